#include <doctest/doctest.h>

#include "pyresolve/resolve.hpp"

using namespace mlpack;

namespace {
pyindex::CoreMetadata parse(const std::string& text) {
  auto m = pyindex::parse_core_metadata(text);
  REQUIRE(m);
  return *m;
}
}  // namespace

TEST_CASE("a wheel's licence: License-Expression first, then a short License, then the classifiers") {
  auto pep639 = parse("Metadata-Version: 2.4\nName: a\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\n"
                      "License: see LICENSE\nClassifier: License :: OSI Approved :: BSD License\n\nbody\n");
  CHECK(pep639.license_expression == "MIT OR Apache-2.0");
  CHECK(pyresolve::license_of(pep639) == "MIT OR Apache-2.0");

  auto field = parse("Name: b\nVersion: 2\nLicense: BSD-3-Clause\nClassifier: License :: OSI Approved :: BSD License\n");
  CHECK(pyresolve::license_of(field) == "BSD-3-Clause");

  // The whole licence text in License (continuation lines folded) is not a name: the classifiers say it.
  std::string text = "Name: c\nVersion: 3\nLicense: Copyright (c) 2005-2024, NumPy Developers.\n        All rights reserved.\n"
                     "        Redistribution and use in source and binary forms, with or without modification, are permitted.\n"
                     "Classifier: License :: OSI Approved :: BSD License\nClassifier: Programming Language :: C\n";
  CHECK(pyresolve::license_of(parse(text)) == "BSD License");

  auto two = parse("Name: d\nVersion: 4\nClassifier: License :: OSI Approved :: MIT License\n"
                   "Classifier: License :: OSI Approved :: Apache Software License\n");
  CHECK(pyresolve::license_of(two) == "MIT License | Apache Software License");
  CHECK(pyresolve::license_of(parse("Name: e\nVersion: 5\nLicense: UNKNOWN\n")).empty());
  CHECK(pyresolve::license_of(parse("Name: f\nVersion: 6\n")).empty());
}
