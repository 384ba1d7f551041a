#include "magnet/text.hpp"

#include <algorithm>

namespace ccbt::magnet::detail {
namespace {

constexpr char k_hex_lower[] = "0123456789abcdef";

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) noexcept { return is_digit(c) || is_alpha(c); }
char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// RFC 4648 base32 value of c (either case), or -1.
int base32_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

}  // namespace

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return to_lower(x) == to_lower(y); });
}

std::optional<std::string> percent_decode(std::string_view raw, std::size_t& bad_at) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c != '%') {
      out.push_back(c);
    } else {
      if (raw.size() - i < 3) {  // '%' needs two more characters
        bad_at = i;
        return std::nullopt;
      }
      const int hi = hex_value(raw[i + 1]);
      const int lo = hex_value(raw[i + 2]);
      if (hi < 0 || lo < 0) {
        bad_at = i;
        return std::nullopt;
      }
      out.push_back(static_cast<char>((hi << 4) | lo));
      i += 2;
    }
  }
  return out;
}

void percent_encode(std::string& out, std::string_view value, std::string_view keep) {
  for (const char c : value) {
    if (is_alnum(c) || keep.find(c) != std::string_view::npos) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(k_hex_lower[b >> 4]);
      out.push_back(k_hex_lower[b & 0xf]);
    }
  }
}

std::optional<sha1_hash> base32_decode_160(std::string_view text, std::size_t& bad_at) {
  if (text.size() != 32) {
    bad_at = std::min<std::size_t>(text.size(), 32);
    return std::nullopt;
  }
  sha1_hash h;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t out = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int v = base32_value(text[i]);
    if (v < 0) {
      bad_at = i;
      return std::nullopt;
    }
    acc = (acc << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      h.bytes[out++] = static_cast<std::uint8_t>((acc >> bits) & 0xffu);
    }
  }
  // 32 * 5 = 160 bits = exactly 20 bytes, nothing left over.
  return h;
}

std::size_t first_non_hex(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (hex_value(text[i]) < 0) return i;
  return text.size();
}

bool is_ipv4(std::string_view s) noexcept {
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t j = i;
    unsigned value = 0;
    while (j < s.size() && is_digit(s[j]) && j - i < 3) {
      value = value * 10 + static_cast<unsigned>(s[j] - '0');
      ++j;
    }
    const std::size_t len = j - i;
    if (len == 0 || value > 255 || (len > 1 && s[i] == '0')) return false;
    ++parts;
    if (j == s.size()) return parts == 4;
    if (s[j] != '.' || parts == 4) return false;
    i = j + 1;
  }
}

bool is_ipv6(std::string_view s) noexcept {
  if (s.size() < 2 || s.size() > 45) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s.substr(0, 2) == "::") {
    compressed = true;
    i = 2;
    if (i == s.size()) return true;
  } else if (s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size() && s[j] != ':') ++j;
    const std::string_view part = s.substr(i, j - i);
    if (part.find('.') != std::string_view::npos) {
      // An embedded IPv4 address ends the address and stands for two groups.
      if (j != s.size() || !is_ipv4(part)) return false;
      groups += 2;
      break;
    }
    if (part.empty() || part.size() > 4 || first_non_hex(part) != part.size()) return false;
    ++groups;
    if (j == s.size()) break;
    if (j + 1 < s.size() && s[j + 1] == ':') {
      if (compressed) return false;
      compressed = true;
      i = j + 2;
    } else {
      if (j + 1 == s.size()) return false;  // a trailing single ':'
      i = j + 1;
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

bool is_hostname(std::string_view s) noexcept {
  if (s.empty() || s.size() > 253) return false;
  bool all_numeric = true;
  std::size_t i = 0;
  while (true) {
    std::size_t j = i;
    while (j < s.size() && s[j] != '.') {
      const char c = s[j];
      if (!is_alnum(c) && c != '-' && c != '_') return false;
      if (!is_digit(c)) all_numeric = false;
      ++j;
    }
    const std::size_t len = j - i;
    if (len == 0 || len > 63 || s[i] == '-' || s[j - 1] == '-') return false;
    if (j == s.size()) break;
    i = j + 1;
  }
  // "1.2.3" or "300.1.1.1" are neither an address nor a name.
  return !all_numeric;
}

std::optional<std::uint16_t> parse_port(std::string_view s) noexcept {
  if (s.empty() || s.size() > 5) return std::nullopt;
  std::uint32_t v = 0;
  for (const char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

}  // namespace ccbt::magnet::detail
