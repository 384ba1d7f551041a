// Text helpers for magnet links: percent-encoding, RFC 4648 base32, host and port validation.
// Internal to src/magnet; pure functions over string_views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <ccbt/hash.hpp>

namespace ccbt::magnet::detail {

[[nodiscard]] int hex_value(char c) noexcept;
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

// Percent-decodes `raw` ('+' becomes a space, as libtorrent's unescape_string). On a bad escape
// returns nullopt and sets `bad_at` to the index of the offending '%' in raw.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view raw, std::size_t& bad_at);

// Appends `value` percent-encoded: bytes in `keep` and alphanumerics are written as they are,
// every other byte as lower-case %xx.
void percent_encode(std::string& out, std::string_view value, std::string_view keep);

// The characters libtorrent's escape_string leaves alone besides alphanumerics.
inline constexpr std::string_view value_safe = "-_.!~*()";

// Decodes exactly 32 RFC 4648 base32 characters (either case, no padding) into 20 bytes. On a bad
// character returns nullopt and sets `bad_at` to its index.
[[nodiscard]] std::optional<sha1_hash> base32_decode_160(std::string_view text, std::size_t& bad_at);

// Index of the first non-hex character in `text`, or text.size() if all are hex digits.
[[nodiscard]] std::size_t first_non_hex(std::string_view text) noexcept;

[[nodiscard]] bool is_ipv4(std::string_view s) noexcept;   // dotted quad, no leading zeros
[[nodiscard]] bool is_ipv6(std::string_view s) noexcept;   // RFC 4291 text form, no zone id
[[nodiscard]] bool is_hostname(std::string_view s) noexcept;  // DNS name, not all-numeric

// A decimal port 1..65535 (1 to 5 digits, no sign).
[[nodiscard]] std::optional<std::uint16_t> parse_port(std::string_view s) noexcept;

}  // namespace ccbt::magnet::detail
