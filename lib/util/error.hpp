#pragma once
// Errors are values across module boundaries (STYLE.md habit 4).
#include <expected>
#include <string>
#include <utility>

namespace mlpack::util {

// What went wrong, coarse enough for the CLI to choose an exit code.
enum class ErrorKind {
  invalid_input,  // bad flag, malformed reference, malformed file: exit 2
  io,             // local filesystem failure
  network,        // connection failed, dropped, timed out
  http,           // a server answered with an error status
  auth,           // credentials missing or refused
  integrity,      // digest or size mismatch, unsafe archive member
  not_found,      // blob, manifest, tag or file absent
  unsupported,    // valid but not something we handle
  unsatisfiable,  // no set of packages meets the requirements
  stale,          // a lock or cache no longer matches what it was made from (`--locked`)
  internal,
};

const char* to_string(ErrorKind kind);

// A kind plus a human message. Context is prepended as the error travels up:
// "pushing layer sha256:ab12…: PUT https://…: 401 Unauthorized".
struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;

  // Returns a copy with `what: ` prepended to the message.
  [[nodiscard]] Error context(std::string_view what) const& {
    return Error{kind, std::string(what) + ": " + message};
  }
  [[nodiscard]] Error context(std::string_view what) && {
    message.insert(0, std::string(what) + ": ");
    return std::move(*this);
  }
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return std::unexpected(Error{kind, std::move(message)});
}

// Propagate an error with extra context: `if (!r) return util::chain(r, "reading x");`
template <class T>
std::unexpected<Error> chain(const Result<T>& r, std::string_view what) {
  return std::unexpected(r.error().context(what));
}

// Returns the exit code the CLI uses for this kind (PRODUCT.md: 2 invalid input, else 1).
int exit_code(ErrorKind kind);

}  // namespace mlpack::util
