#include "util/error.hpp"

namespace mlpack::util {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_input: return "invalid_input";
    case ErrorKind::io: return "io";
    case ErrorKind::network: return "network";
    case ErrorKind::http: return "http";
    case ErrorKind::auth: return "auth";
    case ErrorKind::integrity: return "integrity";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::unsatisfiable: return "unsatisfiable";
    case ErrorKind::stale: return "stale";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

int exit_code(ErrorKind kind) { return kind == ErrorKind::invalid_input ? 2 : 1; }

}  // namespace mlpack::util
