#include "wire/ut_pex.hpp"

#include <cstring>
#include <utility>

#include <ccbt/bencode.hpp>

#include "wire/errors.hpp"
#include "wire/payload.hpp"

namespace ccbt::wire {
using detail::fail;
namespace {

// The byte string under `key`, empty if absent; an error if present and not a string.
result<std::pair<std::string_view, std::size_t>> field(const bencode::node& root, std::string_view key) {
  const auto n = root.find(key);
  if (!n) return std::pair<std::string_view, std::size_t>{};
  if (!n->is_string()) return fail(errc::ut_pex_bad_field, std::string(key) + " is not a byte string", n->offset());
  return std::pair{n->string(), n->offset()};
}

// Appends the compact entries of one list (entry = ip_size + 2 bytes) with their flags.
result<void> read_list(const bencode::node& root, std::string_view key, std::string_view flags_key,
                       std::size_t ip_size, std::size_t max, std::vector<pex_peer>& out) {
  auto list = field(root, key);
  if (!list) return tl::unexpected(std::move(list.error()));
  const auto [bytes, offset] = *list;
  const std::size_t entry = ip_size + 2;
  if (bytes.size() % entry != 0)
    return fail(errc::ut_pex_bad_length,
                std::string(key) + ": " + std::to_string(bytes.size()) + " bytes, not a multiple of " +
                    std::to_string(entry),
                offset);
  const std::size_t n = bytes.size() / entry;
  if (out.size() + n > max)
    return fail(errc::ut_pex_too_many_peers,
                std::string(key) + ": " + std::to_string(out.size() + n) + " peers, limit " + std::to_string(max),
                offset);
  std::string_view flags;
  if (!flags_key.empty()) {
    auto f = field(root, flags_key);
    if (!f) return tl::unexpected(std::move(f.error()));
    if (root.find(flags_key) && f->first.size() != n)
      return fail(errc::ut_pex_flags_mismatch,
                  std::string(flags_key) + ": " + std::to_string(f->first.size()) + " bytes for " +
                      std::to_string(n) + " peers",
                  f->second);
    flags = f->first;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const char* e = bytes.data() + i * entry;
    pex_peer p;
    p.ip.size = static_cast<std::uint8_t>(ip_size);
    std::memcpy(p.ip.bytes.data(), e, ip_size);
    p.port = static_cast<std::uint16_t>((static_cast<unsigned char>(e[ip_size]) << 8) |
                                        static_cast<unsigned char>(e[ip_size + 1]));
    p.flags = flags.empty() ? std::uint8_t{0} : static_cast<std::uint8_t>(flags[i]);
    out.push_back(p);
  }
  return {};
}

void write_entry(std::string& out, const pex_peer& p) {
  out.append(reinterpret_cast<const char*>(p.ip.bytes.data()), p.ip.size);
  out += static_cast<char>(p.port >> 8);
  out += static_cast<char>(p.port & 0xff);
}

}  // namespace

result<ut_pex> decode_ut_pex(std::string_view payload, const ut_pex_limits& limits) {
  bencode::limits lim;
  lim.max_depth = limits.max_depth;
  lim.max_tokens = limits.max_tokens;
  auto doc = detail::decode_payload(payload, lim, "ut_pex");
  if (!doc) return tl::unexpected(std::move(doc.error()));
  const bencode::node root = doc->root();
  if (!root.is_dict()) return fail(errc::ut_pex_not_dict, "ut_pex", 0);
  ut_pex m;
  if (auto r = read_list(root, "added", "added.f", 4, limits.max_added, m.added); !r) return tl::unexpected(r.error());
  if (auto r = read_list(root, "added6", "added6.f", 16, limits.max_added, m.added); !r)
    return tl::unexpected(r.error());
  if (auto r = read_list(root, "dropped", {}, 4, limits.max_dropped, m.dropped); !r) return tl::unexpected(r.error());
  if (auto r = read_list(root, "dropped6", {}, 16, limits.max_dropped, m.dropped); !r)
    return tl::unexpected(r.error());
  return m;
}

std::string encode_ut_pex(const ut_pex& m) {
  std::string added, added_f, added6, added6_f, dropped, dropped6;
  for (const auto& p : m.added) {
    if (p.ip.size == 4) {
      write_entry(added, p);
      added_f += static_cast<char>(p.flags);
    } else if (p.ip.size == 16) {
      write_entry(added6, p);
      added6_f += static_cast<char>(p.flags);
    }
  }
  for (const auto& p : m.dropped) {
    if (p.ip.size == 4) write_entry(dropped, p);
    else if (p.ip.size == 16) write_entry(dropped6, p);
  }
  // Keys in canonical (sorted) order; written directly: the values are plain byte strings.
  std::string out = "d";
  auto put = [&out](std::string_view key, const std::string& value) {
    out += std::to_string(key.size());
    out += ':';
    out += key;
    out += std::to_string(value.size());
    out += ':';
    out += value;
  };
  put("added", added);
  put("added.f", added_f);
  put("added6", added6);
  put("added6.f", added6_f);
  put("dropped", dropped);
  put("dropped6", dropped6);
  out += 'e';
  return out;
}

}  // namespace ccbt::wire
