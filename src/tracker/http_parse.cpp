#include "tracker/http_parse.hpp"

#include <cstring>
#include <limits>

#include <ccbt/bencode.hpp>

namespace ccbt::tracker {
namespace {

constexpr std::size_t compact_v4 = 6;
constexpr std::size_t compact_v6 = 18;
constexpr std::size_t max_tracker_id = 1024;

bencode::limits decode_limits(const parse_limits& lim) {
  bencode::limits l;
  l.max_depth = 16;
  l.max_tokens = 64 + 16 * lim.max_peers + 16 * lim.max_scrape_files;
  l.max_input = std::size_t{16} << 20;
  return l;
}

// Decodes the body and checks it is a dictionary without a failure reason.
result<bencode::document> decode_dict(std::string_view body, const parse_limits& lim) {
  auto doc = bencode::decode(body, decode_limits(lim));
  if (!doc) {
    return make_error(errc::invalid_bencode, doc.error().message(), doc.error().offset);
  }
  const auto root = doc->root();
  if (!root.is_dict()) return make_error(errc::not_a_dictionary, {}, 0);
  if (auto failure = root.find("failure reason")) {
    if (!failure->is_string()) return make_error(errc::invalid_field, "failure reason", failure->offset());
    return make_error(errc::tracker_failure, printable(failure->string(), lim.max_message));
  }
  return std::move(*doc);
}

std::uint16_t read_port(const char* p) noexcept {
  return static_cast<std::uint16_t>((static_cast<unsigned>(static_cast<unsigned char>(p[0])) << 8) |
                                    static_cast<unsigned char>(p[1]));
}

// Non-negative integer field; nullopt if absent.
result<std::optional<std::int64_t>> count_field(bencode::node dict, std::string_view key) {
  const auto n = dict.find(key);
  if (!n) return std::optional<std::int64_t>{};
  if (!n->is_int() || n->integer() < 0) return make_error(errc::invalid_field, std::string(key), n->offset());
  return std::optional<std::int64_t>{n->integer()};
}

// Seconds field in 0..INT32_MAX (min_value: the smallest accepted); nullopt if absent.
result<std::optional<std::chrono::seconds>> seconds_field(bencode::node dict, std::string_view key,
                                                          std::int64_t min_value) {
  const auto n = dict.find(key);
  if (!n) return std::optional<std::chrono::seconds>{};
  if (!n->is_int() || n->integer() < min_value || n->integer() > std::numeric_limits<std::int32_t>::max())
    return make_error(errc::invalid_field, std::string(key), n->offset());
  return std::optional<std::chrono::seconds>{std::chrono::seconds(n->integer())};
}

result<void> parse_compact(bencode::node n, bool v6, std::size_t max_peers, std::vector<peer_entry>& out,
                           std::string_view key) {
  const std::size_t entry = v6 ? compact_v6 : compact_v4;
  const auto s = n.string();
  if (s.size() % entry != 0) return make_error(errc::invalid_peers, std::string(key), n.offset());
  const std::size_t count = s.size() / entry;
  if (count > max_peers || out.size() + count > max_peers)
    return make_error(errc::too_many_peers, std::string(key) + ": " + std::to_string(count), n.offset());
  out.reserve(out.size() + count);
  for (std::size_t i = 0; i < count; ++i) {
    const char* p = s.data() + i * entry;
    peer_entry e;
    e.address.v6 = v6;
    std::memcpy(e.address.ip.data(), p, v6 ? 16 : 4);
    e.address.port = read_port(p + (v6 ? 16 : 4));
    if (e.address.port == 0) continue;
    out.push_back(e);
  }
  return {};
}

result<void> parse_peer_dicts(bencode::node list, std::size_t max_peers, std::vector<peer_entry>& out) {
  if (list.size() > max_peers || out.size() + list.size() > max_peers)
    return make_error(errc::too_many_peers, "peers: " + std::to_string(list.size()), list.offset());
  out.reserve(out.size() + list.size());
  std::size_t i = 0;
  for (const auto item : list.items()) {
    const std::string where = "peers[" + std::to_string(i++) + "]";
    if (!item.is_dict()) return make_error(errc::invalid_peer_entry, where, item.offset());
    const auto ip = item.find_string("ip");
    const auto port = item.find_int("port");
    if (!ip || !port || *port <= 0 || *port > 65535) return make_error(errc::invalid_peer_entry, where, item.offset());
    auto address = peer_address::from_ip(*ip, static_cast<std::uint16_t>(*port));
    if (!address) return make_error(errc::invalid_peer_entry, where + ".ip", item.offset());
    peer_entry e{*address, std::nullopt};
    if (const auto id = item.find("peer id")) {
      if (!id->is_string()) return make_error(errc::invalid_peer_entry, where + ".peer id", id->offset());
      e.id = peer_id::from_bytes(id->string());
      if (!e.id) return make_error(errc::invalid_peer_entry, where + ".peer id", id->offset());
    }
    out.push_back(std::move(e));
  }
  return {};
}

}  // namespace

std::string printable(std::string_view text, std::size_t max_bytes) {
  std::string out;
  const std::size_t n = std::min(text.size(), max_bytes);
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    out += (b < 0x20 || b == 0x7f) ? '?' : text[i];
  }
  return out;
}

result<announce_response> parse_announce_response(std::string_view body, const parse_limits& lim) {
  auto doc = decode_dict(body, lim);
  if (!doc) return tl::unexpected(doc.error());
  const auto root = doc->root();
  announce_response r;

  auto interval = seconds_field(root, "interval", 1);
  if (!interval) return tl::unexpected(interval.error());
  r.interval = *interval;
  auto min_interval = seconds_field(root, "min interval", 0);
  if (!min_interval) return tl::unexpected(min_interval.error());
  r.min_interval = *min_interval;

  for (auto [key, field] : {std::pair{"complete", &r.complete}, std::pair{"incomplete", &r.incomplete},
                            std::pair{"downloaded", &r.downloaded}}) {
    auto v = count_field(root, key);
    if (!v) return tl::unexpected(v.error());
    *field = *v;
  }
  if (const auto id = root.find("tracker id")) {
    if (!id->is_string() || id->string().size() > max_tracker_id)
      return make_error(errc::invalid_field, "tracker id", id->offset());
    r.tracker_id = std::string(id->string());
  }
  if (const auto warning = root.find("warning message")) {
    if (!warning->is_string()) return make_error(errc::invalid_field, "warning message", warning->offset());
    r.warning = printable(warning->string(), lim.max_message);
  }
  if (const auto ext = root.find_string("external ip")) {
    // Informational only: a malformed value is ignored rather than failing the announce.
    if (ext->size() == 4 || ext->size() == 16) {
      peer_address a;
      a.v6 = ext->size() == 16;
      std::memcpy(a.ip.data(), ext->data(), ext->size());
      r.external_ip = a;
    }
  }

  if (const auto peers = root.find("peers")) {
    if (peers->is_string()) {
      if (auto ok = parse_compact(*peers, false, lim.max_peers, r.peers, "peers"); !ok) return tl::unexpected(ok.error());
    } else if (peers->is_list()) {
      if (auto ok = parse_peer_dicts(*peers, lim.max_peers, r.peers); !ok) return tl::unexpected(ok.error());
    } else {
      return make_error(errc::invalid_peers, "peers", peers->offset());
    }
  }
  if (const auto peers6 = root.find("peers6")) {
    if (!peers6->is_string()) return make_error(errc::invalid_peers, "peers6", peers6->offset());
    if (auto ok = parse_compact(*peers6, true, lim.max_peers, r.peers, "peers6"); !ok) return tl::unexpected(ok.error());
  }
  return r;
}

result<scrape_response> parse_scrape_response(std::string_view body, const parse_limits& lim) {
  auto doc = decode_dict(body, lim);
  if (!doc) return tl::unexpected(doc.error());
  const auto root = doc->root();
  scrape_response r;
  const auto files = root.find("files");
  if (!files || !files->is_dict()) return make_error(errc::invalid_field, "files", files ? files->offset() : 0);
  if (files->size() > lim.max_scrape_files)
    return make_error(errc::too_many_files, std::to_string(files->size()), files->offset());
  r.files.reserve(files->size());
  for (const auto [key, value] : files->entries()) {
    const auto hash = sha1_hash::from_bytes(key);
    const std::string where = "files[" + std::to_string(r.files.size()) + "]";
    if (!hash || !value.is_dict()) return make_error(errc::invalid_field, where, value.offset());
    scrape_entry e;
    e.info_hash = *hash;
    for (auto [name, field] : {std::pair{"complete", &e.complete}, std::pair{"downloaded", &e.downloaded},
                               std::pair{"incomplete", &e.incomplete}}) {
      auto v = count_field(value, name);
      if (!v) return make_error(errc::invalid_field, where + "." + name, v.error().offset);
      *field = v->value_or(0);
    }
    r.files.push_back(e);
  }
  if (const auto flags = root.find_dict("flags")) {
    auto mri = seconds_field(*flags, "min_request_interval", 0);
    if (!mri) return make_error(errc::invalid_field, "flags.min_request_interval", mri.error().offset);
    r.min_request_interval = *mri;
  }
  return r;
}

}  // namespace ccbt::tracker
