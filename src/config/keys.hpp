// The key table behind include/ccbt/config.hpp: each public key_info paired with the settings field
// it reads and writes, and the conversions every front end shares (TOML, environment, --set).
//
// A key's value travels as `value` (integers of every width as int64, choices as their name), is
// checked by check() against the key's type and range, and only then written to the field, so
// write() never sees a value it cannot store.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <ccbt/config.hpp>
#include <ccbt/settings.hpp>

namespace ccbt::config::detail {

using value = std::variant<bool, std::int64_t, std::string, std::vector<std::string>>;

using field = std::variant<int settings::*, std::int64_t settings::*, std::size_t settings::*, bool settings::*,
                           std::string settings::*, std::vector<std::string> settings::*,
                           piece_strategy settings::*, preallocation settings::*, disk_read_mode settings::*,
                           encryption_policy settings::*, payload_encryption settings::*>;

// Extra check on a string (or each element of a list): "" when fine, else what is wrong.
using string_check = std::string (*)(std::string_view);

struct descriptor {
  key_info info;
  field member;
  string_check check_string = nullptr;
};

[[nodiscard]] std::span<const descriptor> descriptors() noexcept;
[[nodiscard]] const descriptor* find(std::string_view section, std::string_view key) noexcept;
[[nodiscard]] const descriptor& of(const key_info& k) noexcept;  // k must come from keys()

[[nodiscard]] value read(const settings& s, const descriptor& d);
// d and v must have passed check().
void write(settings& s, const descriptor& d, const value& v);

struct problem {
  errc code;
  std::string text;  // "expected an integer in 1..65535, got 0"
};
// Normalises v in place (a size string becomes its byte count, a single string a one-element
// list) and checks type and range.
[[nodiscard]] std::optional<problem> check(const descriptor& d, value& v);
// Text from the environment or --set -> value of d's type (then check()).
[[nodiscard]] std::optional<problem> from_text(const descriptor& d, std::string_view text, value& out);
[[nodiscard]] std::string to_toml(const descriptor& d, const value& v);

// "16 MiB", "1.5GiB", "500 kB", "2 MiB/s" (when per_second) -> bytes. nullopt when malformed or
// larger than int64.
[[nodiscard]] std::optional<std::int64_t> parse_size(std::string_view text, bool per_second);
// A TOML basic string literal with escapes.
[[nodiscard]] std::string quote(std::string_view s);
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// Rules between keys; "" when consistent, else the message naming the keys.
[[nodiscard]] std::string cross_check(const settings& s);

// parse() without the rules between keys (load() checks them once every layer is applied).
[[nodiscard]] result<loaded_config> parse_layer(std::string_view text, std::string_view source_name,
                                                const settings& base);
// " at ccbt.toml line 3, column 7"
[[nodiscard]] std::string location(std::string_view source, std::uint32_t line, std::uint32_t column);

}  // namespace ccbt::config::detail
