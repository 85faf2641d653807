#include "apt/signature.hpp"

#include <optional>
#include <set>

#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/text.hpp"

namespace mlpack::apt {

using util::ErrorKind;
using util::fail;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view begin_signed = "-----BEGIN PGP SIGNED MESSAGE-----";
constexpr std::string_view begin_signature = "-----BEGIN PGP SIGNATURE-----";
constexpr std::string_view end_signature = "-----END PGP SIGNATURE-----";
constexpr std::string_view begin_key = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    auto line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Decodes the ASCII-armoured key blocks in `text` (RFC 4880 section 6.2) into binary packets,
// which is what gpgv's --keyring needs. The CRC line is skipped: gpgv checks the packets.
std::optional<std::string> dearmor(std::string_view text) {
  std::string out;
  bool in_block = false, in_body = false;
  unsigned acc = 0;
  int bits = 0;
  for (auto line : lines_of(text)) {
    std::string t = util::trim(line);
    if (!in_block) {
      if (t == begin_key) in_block = true, in_body = false;
      continue;
    }
    if (t.starts_with("-----END")) {
      in_block = false;
      acc = 0, bits = 0;
      continue;
    }
    if (!in_body) {
      if (t.empty()) in_body = true;  // armour headers end at the first blank line
      else if (t.find(':') == std::string::npos) in_body = true;  // no headers at all
      else continue;
      if (t.empty()) continue;
    }
    if (t.starts_with('=')) continue;  // CRC24
    for (char c : t) {
      if (c == '=') break;
      int v = base64_value(c);
      if (v < 0) return std::nullopt;
      acc = (acc << 6) | static_cast<unsigned>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.push_back(static_cast<char>((acc >> bits) & 0xff));
      }
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// The keyring as a path gpgv can read: the file itself when binary, or a dearmoured copy in `tmp`.
Result<fs::path> usable_keyring(const fs::path& keyring, const fs::path& tmp) {
  if (keyring.empty())
    return fail(ErrorKind::invalid_input, "no keyring is configured to verify it against");
  std::error_code ec;
  if (!fs::is_regular_file(keyring, ec))
    return fail(ErrorKind::invalid_input, "keyring `" + keyring.string() +
                                              "` does not exist (install the distribution's keyring package, "
                                              "e.g. `debian-archive-keyring`, or name the right file)");
  auto content = TRY_CONTEXT(util::read_file(keyring, 16 << 20), "reading keyring");
  if (content.empty()) return fail(ErrorKind::invalid_input, "keyring `" + keyring.string() + "` is empty");
  if (content.find(begin_key) == std::string::npos) return fs::absolute(keyring);
  auto binary = dearmor(content);
  if (!binary)
    return fail(ErrorKind::invalid_input, "keyring `" + keyring.string() + "` is not a valid ASCII-armoured key");
  auto dest = tmp / "keyring.gpg";
  TRY(util::write_file_atomic(dest, *binary, 0600));
  return dest;
}

struct StatusVerdict {
  std::vector<std::string> good;  // fingerprints with GOODSIG + acceptable VALIDSIG
  std::vector<std::string> problems;
};

// Reads gpgv's --status-fd lines the way apt does: a signature counts when it has GOODSIG and a
// VALIDSIG with a strong digest; any BADSIG refuses the document; signatures from unknown keys
// (NO_PUBKEY), expired or revoked keys are worthless but do not spoil a good one (Debian signs
// with several keys, and a keyring may hold only some of them).
StatusVerdict read_status(std::string_view status) {
  StatusVerdict v;
  std::set<std::string> goodsig_keyids;
  for (auto line : lines_of(status)) {
    if (!line.starts_with("[GNUPG:] ")) continue;
    auto w = util::split(line.substr(9), ' ');
    if (w.empty()) continue;
    const auto& kw = w[0];
    if (kw == "GOODSIG" && w.size() > 1) {
      goodsig_keyids.insert(w[1]);
    } else if (kw == "VALIDSIG" && w.size() >= 9) {
      // Fields: fpr date ts expire version reserved pubkey-algo hash-algo class [primary-fpr].
      const std::string& hash_algo = w[8];
      // 1 MD5, 2 SHA1, 3 RIPEMD160: broken or deprecated, refused as apt refuses them.
      if (hash_algo == "1" || hash_algo == "2" || hash_algo == "3") {
        v.problems.push_back("signature by " + w[1] + " uses a weak digest algorithm");
        continue;
      }
      // GOODSIG names the (sub)key id, the last 16 hex digits of the fingerprint.
      const std::string& fpr = w[1];
      bool matched = false;
      for (const auto& id : goodsig_keyids)
        if (fpr.size() >= id.size() && fpr.ends_with(id)) matched = true;
      if (matched) v.good.push_back(w.size() >= 11 ? w[10] : fpr);
    } else if (kw == "BADSIG") {
      v.problems.push_back("BAD signature from key " + (w.size() > 1 ? w[1] : std::string("?")));
    } else if (kw == "EXPKEYSIG") {
      v.problems.push_back("signed by expired key " + (w.size() > 1 ? w[1] : std::string("?")));
    } else if (kw == "REVKEYSIG") {
      v.problems.push_back("signed by revoked key " + (w.size() > 1 ? w[1] : std::string("?")));
    } else if (kw == "EXPSIG") {
      v.problems.push_back("signature has expired");
    } else if (kw == "NO_PUBKEY") {
      v.problems.push_back("signed by key " + (w.size() > 1 ? w[1] : std::string("?")) + ", which is not in the keyring");
    } else if (kw == "ERRSIG") {
      // Reported together with NO_PUBKEY for unknown keys; alone it means an unusable signature.
    } else if (kw == "NODATA") {
      v.problems.push_back("no signature found");
    }
  }
  return v;
}

Result<Verified> run_gpgv(std::vector<std::string> args, const fs::path& tmp, const fs::path& output,
                          std::string_view what) {
  auto status_path = tmp / "status";
  auto log_path = tmp / "log";
  auto rc = util::run_program(args, status_path, log_path);
  if (!rc && rc.error().kind == ErrorKind::unsupported)
    return fail(ErrorKind::unsupported, "`" + args[0] + "` is not installed; it verifies apt repository signatures "
                                        "(install the `gpgv` package)");
  if (!rc) return std::unexpected(rc.error().context("verifying " + std::string(what)));
  auto status = TRY(util::read_file(status_path, 1 << 20));
  auto verdict = read_status(status);
  bool bad = false;
  for (const auto& p : verdict.problems)
    if (p.starts_with("BAD")) bad = true;
  if (bad || verdict.good.empty()) {
    std::string why;
    for (const auto& p : verdict.problems) why += (why.empty() ? "" : "; ") + p;
    if (why.empty()) {
      auto log = util::read_file(log_path, 1 << 20);
      std::string detail = log ? util::trim(*log) : std::string();
      if (auto nl = detail.rfind('\n'); nl != std::string::npos) detail = detail.substr(nl + 1);
      why = "gpgv found no good signature (exit status " + std::to_string(*rc) + ")" +
            (detail.empty() ? "" : ": " + detail);
    }
    return fail(ErrorKind::integrity, std::string(what) + ": signature verification failed: " + why);
  }
  Verified out;
  out.signers = std::move(verdict.good);
  if (!output.empty()) {
    auto text = TRY_CONTEXT(util::read_file(output, 1 << 30), "reading what gpgv verified");
    out.text = std::move(text);
  }
  return out;
}

// apt's rule: an InRelease is one clearsigned message, with nothing but whitespace around it.
// gpgv would ignore unsigned text outside the armour, but a second signed message (a replayed
// Release) must not ride along.
Result<void> check_clearsigned_shape(std::string_view document, std::string_view what) {
  auto lines = lines_of(document);
  std::size_t i = 0;
  while (i < lines.size() && blank(lines[i])) ++i;
  if (i == lines.size() || lines[i] != begin_signed)
    return fail(ErrorKind::integrity, std::string(what) + " is not a clearsigned document");
  std::size_t begins = 0, sig_begins = 0, sig_ends = 0, last_end = 0;
  for (std::size_t j = i; j < lines.size(); ++j) {
    if (lines[j] == begin_signed) ++begins;
    if (lines[j] == begin_signature) ++sig_begins;
    if (lines[j] == end_signature) ++sig_ends, last_end = j;
  }
  if (begins != 1 || sig_begins != 1 || sig_ends != 1)
    return fail(ErrorKind::integrity, std::string(what) + " must hold exactly one signed message");
  for (std::size_t j = last_end + 1; j < lines.size(); ++j)
    if (!blank(lines[j])) return fail(ErrorKind::integrity, std::string(what) + " has text after its signature");
  return {};
}

}  // namespace

Result<Verified> verify_clearsigned(std::string_view document, const fs::path& keyring, std::string_view what,
                                    const GpgvOptions& options) {
  TRY(check_clearsigned_shape(document, what));
  auto tmp = TRY(util::TempDir::create({}, "mlpack-gpgv-"));
  auto ring = TRY_CONTEXT(usable_keyring(keyring, tmp.path()), "verifying " + std::string(what));
  auto doc = tmp.path() / "InRelease";
  TRY(util::write_file_atomic(doc, document, 0600));
  auto out = tmp.path() / "verified";
  return run_gpgv({options.program, "--homedir", tmp.path().string(), "--status-fd", "1", "--keyring", ring.string(),
                   "--output", out.string(), doc.string()},
                  tmp.path(), out, what);
}

Result<Verified> verify_detached(std::string_view data, std::string_view signature, const fs::path& keyring,
                                 std::string_view what, const GpgvOptions& options) {
  auto tmp = TRY(util::TempDir::create({}, "mlpack-gpgv-"));
  auto ring = TRY_CONTEXT(usable_keyring(keyring, tmp.path()), "verifying " + std::string(what));
  auto data_path = tmp.path() / "Release";
  auto sig_path = tmp.path() / "Release.gpg";
  TRY(util::write_file_atomic(data_path, data, 0600));
  TRY(util::write_file_atomic(sig_path, signature, 0600));
  auto verified = TRY(run_gpgv({options.program, "--homedir", tmp.path().string(), "--status-fd", "1", "--keyring",
                                ring.string(), sig_path.string(), data_path.string()},
                               tmp.path(), {}, what));
  verified.text = std::string(data);
  return verified;
}

Result<std::string> unverified_clearsigned_text(std::string_view document, std::string_view what) {
  auto lines = lines_of(document);
  std::size_t i = 0;
  while (i < lines.size() && lines[i] != begin_signed) ++i;
  if (i == lines.size()) return fail(ErrorKind::invalid_input, std::string(what) + " is not a clearsigned document");
  ++i;
  while (i < lines.size() && !blank(lines[i])) ++i;  // Hash: armour headers
  ++i;
  std::string text;
  bool first = true;
  for (; i < lines.size() && lines[i] != begin_signature; ++i) {
    auto line = lines[i];
    if (line.starts_with("- ")) line.remove_prefix(2);
    if (!first) text += '\n';
    text += line;
    first = false;
  }
  if (i == lines.size()) return fail(ErrorKind::invalid_input, std::string(what) + " has no signature block");
  // The line ending before the signature belongs to the armour (RFC 4880 section 7.1).
  return text;
}

}  // namespace mlpack::apt
