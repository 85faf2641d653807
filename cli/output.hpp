#pragma once
// How the CLI talks to people and to machines: one error line (+ hint), or one JSON document.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace mlpack::cli {

struct Output {
  bool json = false;
  bool quiet = false;
  int verbose = 0;

  // Prints the error (and a hint where one helps) and returns the exit code for it.
  int error(const util::Error& error) const;
  // Prints a result document on stdout (JSON mode only).
  void document(const nlohmann::json& doc) const;
  // A line for people, on stderr, unless quiet or in JSON mode.
  void info(const std::string& line) const;
};

// The hint shown under an error, or "" when there is no obvious next step.
std::string hint_for(const util::Error& error);

}  // namespace mlpack::cli
