#pragma once
#include <string>

#include "util/error.hpp"

namespace mlpack::test {

// The error message of a failed result, "" for a success: safe in REQUIRE_MESSAGE, whose message
// doctest also renders for passing assertions under --success.
template <class T>
std::string why(const util::Result<T>& r) {
  return r ? std::string() : r.error().message;
}

}  // namespace mlpack::test
