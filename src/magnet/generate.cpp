// Magnet link writer, select-only normalisation and lookup.
#include <ccbt/magnet.hpp>

#include <algorithm>

#include "magnet/text.hpp"

namespace ccbt::magnet {
namespace {

void append_range(std::string& out, const file_range& r) {
  out += std::to_string(r.first);
  if (r.last != r.first) {
    out += '-';
    out += std::to_string(r.last);
  }
}

}  // namespace

std::vector<file_range> normalize(std::vector<file_range> ranges) {
  std::erase_if(ranges, [](const file_range& r) { return r.first > r.last; });
  std::sort(ranges.begin(), ranges.end(),
            [](const file_range& a, const file_range& b) { return a.first != b.first ? a.first < b.first : a.last < b.last; });
  std::vector<file_range> out;
  out.reserve(ranges.size());
  for (const auto& r : ranges) {
    // Merge when r overlaps or touches the previous range (64-bit so last + 1 cannot wrap).
    if (!out.empty() && std::uint64_t{r.first} <= std::uint64_t{out.back().last} + 1) {
      out.back().last = std::max(out.back().last, r.last);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

bool selects(const magnet_link& link, std::size_t file_index) noexcept {
  const auto& ranges = link.select_only;
  if (ranges.empty()) return true;
  if (file_index > std::size_t{UINT32_MAX}) return false;
  const auto i = static_cast<std::uint32_t>(file_index);
  // The last range starting at or before i is the only one that can hold it (ranges are disjoint).
  auto it = std::upper_bound(ranges.begin(), ranges.end(), i,
                             [](std::uint32_t v, const file_range& r) { return v < r.first; });
  if (it == ranges.begin()) return false;
  --it;
  return i <= it->last;
}

std::string to_string(const magnet_link& link) {
  const auto& h = link.hashes;
  if (!h.v1 && !h.v2) return {};

  std::string out = "magnet:?";
  if (h.v1) {
    out += "xt=urn:btih:";
    out += h.v1->to_hex();
  }
  if (h.v2) {
    if (h.v1) out += '&';
    out += "xt=urn:btmh:1220";
    out += h.v2->to_hex();
  }
  if (!link.name.empty()) {
    out += "&dn=";
    detail::percent_encode(out, link.name, detail::value_safe);
  }
  for (const auto& tr : link.trackers) {
    out += "&tr=";
    detail::percent_encode(out, tr, detail::value_safe);
  }
  for (const auto& ws : link.web_seeds) {
    out += "&ws=";
    detail::percent_encode(out, ws, detail::value_safe);
  }
  for (const auto& peer : link.peers) {
    out += "&x.pe=";
    // Valid hosts (addresses and DNS names) need no escaping; anything else is escaped so it
    // cannot break the link's structure.
    const bool v6 = peer.host.find(':') != std::string::npos;
    if (v6) out += '[';
    detail::percent_encode(out, peer.host, "-_.:");
    if (v6) out += ']';
    out += ':';
    out += std::to_string(peer.port);
  }
  if (const auto ranges = normalize(link.select_only); !ranges.empty()) {
    out += "&so=";
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      if (i != 0) out += ',';
      append_range(out, ranges[i]);
    }
  }
  for (const auto& e : link.extra) {
    if (e.empty()) continue;
    out += '&';
    // Verbatim, except that an '&' would split the parameter in two.
    for (const char c : e) {
      if (c == '&') out += "%26";
      else out += c;
    }
  }
  return out;
}

}  // namespace ccbt::magnet
