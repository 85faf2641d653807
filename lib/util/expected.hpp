#pragma once
// Pass-through error handling in one line (STYLE.md habit 4; ccache's util/expected.hpp does the
// same). A g++/clang statement expression, so the value of a successful Result can be taken in
// place:
//   auto text = TRY(util::read_file(path));        // returns the error from the enclosing function
//   TRY(util::write_file_atomic(path, text));      // Result<void>: nothing to take
//   auto doc = TRY_CONTEXT(parse(text), "reading `mlpack.lock`");   // the error gains context
// The enclosing function must return some util::Result<U>.
#include <type_traits>
#include <utility>

#include "util/error.hpp"

namespace mlpack::util::detail {

template <class R>
decltype(auto) take_value(R&& r) {
  using Value = typename std::remove_cvref_t<R>::value_type;
  if constexpr (std::is_void_v<Value>) return;
  else return Value(*std::forward<R>(r));
}

}  // namespace mlpack::util::detail

#define TRY(...)                                                                        \
  ({                                                                                    \
    auto&& mlpack_try_result_ = (__VA_ARGS__);                                          \
    if (!mlpack_try_result_) return std::unexpected(std::move(mlpack_try_result_.error())); \
    ::mlpack::util::detail::take_value(std::forward<decltype(mlpack_try_result_)>(mlpack_try_result_)); \
  })

#define TRY_CONTEXT(expr, what)                                                        \
  ({                                                                                    \
    auto&& mlpack_try_result_ = (expr);                                                 \
    if (!mlpack_try_result_) return std::unexpected(mlpack_try_result_.error().context(what)); \
    ::mlpack::util::detail::take_value(std::forward<decltype(mlpack_try_result_)>(mlpack_try_result_)); \
  })
