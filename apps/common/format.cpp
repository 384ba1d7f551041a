#include "common/format.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace ccbt::apps {

std::string format_size(std::uint64_t bytes) {
  static constexpr std::array<const char*, 7> units{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1024.0 && u + 1 < units.size()) {
    v /= 1024.0;
    ++u;
  }
  std::string num = v >= 100 ? fmt::format("{:.0f}", v) : v >= 10 ? fmt::format("{:.1f}", v) : fmt::format("{:.2f}", v);
  // Drop useless trailing zeros: "16.0" -> "16", "1.50" -> "1.5".
  if (num.find('.') != std::string::npos) {
    while (num.back() == '0') num.pop_back();
    if (num.back() == '.') num.pop_back();
  }
  return num + " " + units[u];
}

std::string format_rate(double bytes_per_second) {
  if (!(bytes_per_second > 0)) return "0 B/s";
  const double capped = std::min(bytes_per_second, static_cast<double>(std::numeric_limits<std::uint64_t>::max() / 2));
  return format_size(static_cast<std::uint64_t>(capped)) + "/s";
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e9) return "--:--";
  const auto s = static_cast<std::uint64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);

  // Integer and fraction parts, kept exact: value = whole + frac_num / frac_den.
  std::uint64_t whole = 0;
  std::uint64_t frac_num = 0;
  std::uint64_t frac_den = 1;
  std::size_t i = 0;
  bool digits = false;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0; ++i) {
    const auto d = static_cast<std::uint64_t>(text[i] - '0');
    if (whole > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
    whole = whole * 10 + d;
    digits = true;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0; ++i) {
      if (frac_den >= 1'000'000) return std::nullopt;  // at most 6 decimals
      frac_num = frac_num * 10 + static_cast<std::uint64_t>(text[i] - '0');
      frac_den *= 10;
      digits = true;
    }
  }
  if (!digits) return std::nullopt;
  while (i < text.size() && is_space(text[i])) ++i;

  std::string unit;
  for (; i < text.size(); ++i) unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))));
  unsigned shift = 0;
  if (unit.empty() || unit == "b") {
    shift = 0;
  } else {
    static constexpr std::string_view prefixes = "kmgt";
    const auto p = prefixes.find(unit[0]);
    if (p == std::string_view::npos) return std::nullopt;
    const std::string_view rest = std::string_view(unit).substr(1);
    if (!(rest.empty() || rest == "b" || rest == "ib")) return std::nullopt;
    shift = 10 * static_cast<unsigned>(p + 1);
  }
  if (shift > 0 && whole > (std::numeric_limits<std::uint64_t>::max() >> shift)) return std::nullopt;
  std::uint64_t bytes = whole << shift;
  if (frac_num != 0) {
    // frac_num / frac_den * 2^shift must be a whole number of bytes.
    const std::uint64_t scaled = frac_num << shift;  // frac_num < 2^20, shift <= 40: fits
    if (scaled % frac_den != 0) return std::nullopt;
    const std::uint64_t add = scaled / frac_den;
    if (bytes > std::numeric_limits<std::uint64_t>::max() - add) return std::nullopt;
    bytes += add;
  }
  return bytes;
}

std::optional<stream_spec> parse_stream_spec(std::string_view text) {
  const auto colon = text.find(':');
  const auto file_text = text.substr(0, colon);
  if (file_text.empty() || file_text.size() > 9 || file_text.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  stream_spec s;
  for (const char c : file_text) s.file = s.file * 10 + static_cast<std::size_t>(c - '0');
  if (colon != std::string_view::npos) {
    const auto offset = parse_size(text.substr(colon + 1));
    if (!offset) return std::nullopt;
    s.offset = *offset;
  }
  return s;
}

}  // namespace ccbt::apps
