// Path sanitising and duplicate renaming (see sanitize.hpp).
#include "metainfo/sanitize.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <ccbt/metainfo.hpp>

namespace ccbt::metainfo {
namespace detail {
namespace {

constexpr std::size_t k_max_component_bytes = 240;
// An extension is kept on a truncated component if its dot is among the last this many bytes.
constexpr std::size_t k_extension_window = 10;

struct code_point {
  std::int32_t value;  // -1: invalid sequence
  std::size_t length;  // bytes consumed (>= 1)
};

// Decodes one UTF-8 sequence. Invalid sequences consume the length their lead byte announces
// (clamped to the input), an invalid lead byte consumes one byte — as libtorrent does, so the
// same bytes turn into the same number of '_'.
code_point decode_utf8(std::string_view s) {
  const auto lead = static_cast<std::uint8_t>(s[0]);
  std::size_t len = 0;
  std::int32_t cp = 0;
  if (lead < 0x80) return {lead, 1};
  if ((lead >> 5) == 0x6) {
    len = 2;
    cp = lead & 0x1f;
  } else if ((lead >> 4) == 0xe) {
    len = 3;
    cp = lead & 0x0f;
  } else if ((lead >> 3) == 0x1e) {
    len = 4;
    cp = lead & 0x07;
  } else if ((lead >> 2) == 0x3e) {
    return {-1, std::min<std::size_t>(5, s.size())};
  } else {
    return {-1, 1};
  }
  if (len > s.size()) return {-1, s.size()};
  for (std::size_t i = 1; i < len; ++i) {
    const auto b = static_cast<std::uint8_t>(s[i]);
    if ((b & 0xc0) != 0x80) return {-1, len};
    cp = (cp << 6) | (b & 0x3f);
  }
  const std::int32_t min_for_len = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (cp < min_for_len || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return {-1, len};
  return {cp, len};
}

// Removed outright: separators, NUL (libtorrent drops it too) and the code points that flip the
// writing direction (they can make "evil\u202Etxt.exe" display as "evilexe.txt").
bool is_filtered(std::int32_t cp) noexcept {
  switch (cp) {
    case 0: case '/': case '\\':
    case 0x202a: case 0x202b: case 0x202c: case 0x202d: case 0x202e: case 0x200e: case 0x200f:
      return true;
    default:
      return false;
  }
}

char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

}  // namespace

std::string sanitize_component(std::string_view element) {
  if (element == ".") return {};
  if (element.empty()) return "_";
  std::string out;
  out.reserve(std::min(element.size(), k_max_component_bytes + k_extension_window));
  std::size_t dots = 0;
  bool found_extension = false;
  for (std::size_t i = 0; i < element.size();) {
    const code_point cp = decode_utf8(element.substr(i));
    const std::size_t start = i;
    i += cp.length;
    if (cp.value >= 0 && is_filtered(cp.value)) continue;
    if (cp.value < 32) {  // invalid sequence or control character
      out.push_back('_');
      continue;
    }
    out.append(element.substr(start, cp.length));
    if (cp.value == '.') ++dots;
    if (out.size() >= k_max_component_bytes && !found_extension) {
      // Keep a short extension: a dot among the last few bytes of the element, after this point.
      std::size_t dot = std::string_view::npos;
      const std::size_t lower_bound = std::max(
          element.size() > k_extension_window ? element.size() - k_extension_window : 0, start);
      for (std::size_t j = element.size() - 1; j > lower_bound; --j) {
        if (element[j] == '.') {
          dot = j;
          break;
        }
      }
      if (dot == std::string_view::npos) break;
      found_extension = true;
      i = dot;
    }
  }
  if (out.size() == dots && out.size() <= 2) return {};  // "", "." or ".." after filtering
  return out;
}

std::string join_path(const std::vector<std::string>& components) {
  std::string out;
  for (const auto& c : components) {
    if (!out.empty()) out.push_back('/');
    out += c;
  }
  return out;
}

void resolve_duplicates(std::vector<dedup_entry>& entries) {
  // Every directory of every path first: no file may take a directory's name.
  std::unordered_set<std::string> taken;
  for (const auto& e : entries) {
    std::string dir;
    const auto& comps = *e.components;
    for (std::size_t i = 0; i + 1 < comps.size(); ++i) {
      if (i) dir.push_back('/');
      dir += lower(comps[i]);
      taken.insert(dir);
    }
  }
  // Next suffix to try per renamed "base|ext" (keeps renaming linear for hostile inputs).
  std::unordered_map<std::string, std::uint64_t> next_suffix;
  for (auto& e : entries) {
    auto& comps = *e.components;
    std::string full = lower(join_path(comps));
    if (taken.insert(full).second) continue;
    std::string& leaf = comps.back();
    std::size_t dot = leaf.rfind('.');  // as libtorrent: ".hidden" becomes ".1.hidden"
    if (dot == std::string::npos) dot = leaf.size();
    const std::string base = leaf.substr(0, dot);
    const std::string ext = leaf.substr(dot);
    const std::string key = full.substr(0, full.size() - leaf.size()) + lower(base) + '\0' + lower(ext);
    std::uint64_t& n = next_suffix.try_emplace(key, 1).first->second;
    for (;; ++n) {
      std::string candidate = base + '.' + std::to_string(n) + ext;
      std::string candidate_full = full.substr(0, full.size() - leaf.size()) + lower(candidate);
      if (taken.insert(std::move(candidate_full)).second) {
        leaf = std::move(candidate);
        ++n;
        break;
      }
    }
  }
}

}  // namespace detail

bool path_is_safe(std::string_view p) noexcept {
  if (p.empty() || p.front() == '/' || p.back() == '/') return false;
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    const std::string_view c = p.substr(start, end - start);
    if (c.empty() || c == "." || c == "..") return false;
    for (const char ch : c) {
      if (static_cast<unsigned char>(ch) < 32 || ch == '\\') return false;
    }
    start = end + 1;
  }
  return true;
}

}  // namespace ccbt::metainfo
