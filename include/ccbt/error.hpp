// ccbt::error — the one error type every parser and L1 module returns.
//
// An error carries a std::error_code (module enum + category, each value with a human message),
// an optional byte offset into the input that was being parsed, and a context string that says
// where in the structure the problem is ("info.files[3].path", "magnet xt", ...). message() joins
// them into one line for users. Exceptions are used only for programming errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include <tl/expected.hpp>

namespace ccbt {

struct error {
  std::error_code code;
  std::optional<std::uint64_t> offset;  // byte offset in the input, when it applies
  std::string context;                  // where in the structure, e.g. "info.piece length"

  // "<category>: <what> at byte N (<context>)" — one line, for users.
  [[nodiscard]] std::string message() const;

  friend bool operator==(const error& e, std::error_code c) noexcept { return e.code == c; }
};

template <class T>
using result = tl::expected<T, error>;

template <class Errc>
[[nodiscard]] tl::unexpected<error> make_error(Errc e, std::string context = {},
                                               std::optional<std::uint64_t> offset = std::nullopt) {
  return tl::unexpected<error>(error{make_error_code(e), offset, std::move(context)});
}

}  // namespace ccbt
