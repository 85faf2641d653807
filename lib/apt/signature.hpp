#pragma once
// OpenPGP verification of Release files, by running `gpgv`.
//
// Why gpgv and not a library: it is what apt itself runs (apt-key/sqv aside), it is present on
// every Debian and Ubuntu system (Priority: required, pulled in by apt), it understands every key
// and signature format the archives use, and it only verifies — it has no trust database, agent
// or keyserver to configure. We run it with an empty temporary --homedir so no user state is
// read or written, parse its machine-readable --status-fd output, and take the signed text from
// its --output, never by stripping the armour ourselves.
//
// Fail closed: a missing gpgv, a missing or unreadable keyring, an unsigned, badly signed,
// expired-key, revoked-key or weak-digest signature is an error.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace mlpack::apt {

using util::Result;

struct GpgvOptions {
  // The program, looked up on PATH when it has no '/'.
  std::string program = "gpgv";
};

struct Verified {
  std::string text;  // the signed content, exactly as signed
  // Fingerprints of the keys whose good signatures were accepted (at least one).
  std::vector<std::string> signers;
};

// Verifies a clearsigned document (InRelease) against `keyring` and returns its signed text.
// The document must be one signed message and nothing else. Errors are ErrorKind::integrity
// (bad, missing or untrusted signature), invalid_input (a keyring we cannot use) or unsupported
// (gpgv not installed). `what` names the document in messages.
Result<Verified> verify_clearsigned(std::string_view document, const std::filesystem::path& keyring,
                                    std::string_view what, const GpgvOptions& options = {});

// Verifies a detached signature (Release.gpg) over `data` (Release).
Result<Verified> verify_detached(std::string_view data, std::string_view signature,
                                 const std::filesystem::path& keyring, std::string_view what,
                                 const GpgvOptions& options = {});

// The text of a clearsigned document taken without checking anything: for Verify::no only.
// Undoes dash-escaping. ErrorKind::invalid_input when it is not clearsigned.
Result<std::string> unverified_clearsigned_text(std::string_view document, std::string_view what);

}  // namespace mlpack::apt
