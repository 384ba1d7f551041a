#include "tracker/udp_packet.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "tracker/http_parse.hpp"

namespace ccbt::tracker::udp {
namespace {

std::uint32_t get32(bytes_view p, std::size_t at) noexcept {
  return (std::uint32_t{p[at]} << 24) | (std::uint32_t{p[at + 1]} << 16) | (std::uint32_t{p[at + 2]} << 8) |
         std::uint32_t{p[at + 3]};
}
std::uint64_t get64(bytes_view p, std::size_t at) noexcept {
  return (std::uint64_t{get32(p, at)} << 32) | get32(p, at + 4);
}
std::uint16_t get16(bytes_view p, std::size_t at) noexcept {
  return static_cast<std::uint16_t>((unsigned{p[at]} << 8) | unsigned{p[at + 1]});
}
void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  put32(out, static_cast<std::uint32_t>(v >> 32));
  put32(out, static_cast<std::uint32_t>(v));
}
void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put_bytes(std::vector<std::uint8_t>& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

std::int64_t clamp_count(std::uint32_t v) noexcept { return static_cast<std::int64_t>(v); }

// Size, transaction id, error packet and action checks shared by every response decoder.
result<void> check_response(bytes_view p, std::uint32_t tid, action expected, std::size_t min_size) {
  if (p.size() < 8) return make_error(errc::packet_too_short, "header", p.size());
  if (get32(p, 4) != tid) return make_error(errc::wrong_transaction_id, {}, 4);
  const auto act = get32(p, 0);
  if (act == static_cast<std::uint32_t>(action::error)) {
    const std::string_view text(reinterpret_cast<const char*>(p.data()) + 8, p.size() - 8);
    return make_error(errc::tracker_failure, printable(text, 1024));
  }
  if (act != static_cast<std::uint32_t>(expected)) return make_error(errc::wrong_action, std::to_string(act), 0);
  if (p.size() < min_size) return make_error(errc::packet_too_short, {}, p.size());
  return {};
}

}  // namespace

std::vector<std::uint8_t> encode_connect(std::uint32_t transaction_id) {
  std::vector<std::uint8_t> out;
  out.reserve(connect_request_size);
  put64(out, protocol_id);
  put32(out, static_cast<std::uint32_t>(action::connect));
  put32(out, transaction_id);
  return out;
}

std::vector<std::uint8_t> encode_announce(std::uint64_t connection_id, std::uint32_t transaction_id,
                                          const announce_request& req, std::string_view url_data) {
  std::vector<std::uint8_t> out;
  out.reserve(announce_request_size + 2 + url_data.size() + url_data.size() / 255 * 2);
  put64(out, connection_id);
  put32(out, static_cast<std::uint32_t>(action::announce));
  put32(out, transaction_id);
  put_bytes(out, req.info_hash.view());
  put_bytes(out, req.pid.view());
  put64(out, req.downloaded);
  put64(out, req.left);
  put64(out, req.uploaded);
  put32(out, static_cast<std::uint32_t>(req.ev));
  put32(out, 0);  // ip: the sender's
  put32(out, req.key);
  put32(out, req.num_want && *req.num_want >= 0 ? static_cast<std::uint32_t>(*req.num_want)
                                                  : std::numeric_limits<std::uint32_t>::max());
  put16(out, req.port);
  // BEP 41 URLData options, at most 255 bytes each.
  while (!url_data.empty()) {
    const auto n = std::min<std::size_t>(url_data.size(), 255);
    out.push_back(2);
    out.push_back(static_cast<std::uint8_t>(n));
    put_bytes(out, url_data.substr(0, n));
    url_data.remove_prefix(n);
  }
  return out;
}

std::vector<std::uint8_t> encode_scrape(std::uint64_t connection_id, std::uint32_t transaction_id,
                                        std::span<const sha1_hash> hashes) {
  const auto n = std::min(hashes.size(), max_scrape_hashes);
  std::vector<std::uint8_t> out;
  out.reserve(scrape_request_header + 20 * n);
  put64(out, connection_id);
  put32(out, static_cast<std::uint32_t>(action::scrape));
  put32(out, transaction_id);
  for (std::size_t i = 0; i < n; ++i) put_bytes(out, hashes[i].view());
  return out;
}

std::optional<header> peek_header(bytes_view packet) noexcept {
  if (packet.size() < 8) return std::nullopt;
  return header{get32(packet, 0), get32(packet, 4)};
}

result<std::uint64_t> decode_connect(bytes_view packet, std::uint32_t transaction_id) {
  if (auto ok = check_response(packet, transaction_id, action::connect, connect_response_size); !ok)
    return tl::unexpected(ok.error());
  return get64(packet, 8);
}

result<announce_response> decode_announce(bytes_view packet, std::uint32_t transaction_id, bool ipv6,
                                          const parse_limits& lim) {
  if (auto ok = check_response(packet, transaction_id, action::announce, announce_response_header); !ok)
    return tl::unexpected(ok.error());
  const std::size_t entry = ipv6 ? 18 : 6;
  const std::size_t rest = packet.size() - announce_response_header;
  if (rest % entry != 0) return make_error(errc::invalid_packet_size, ipv6 ? "peers6" : "peers", packet.size());
  const std::size_t count = rest / entry;
  if (count > lim.max_peers) return make_error(errc::too_many_peers, std::to_string(count), announce_response_header);
  announce_response r;
  if (const auto interval = get32(packet, 8); interval > 0)
    r.interval = std::chrono::seconds(std::min<std::uint32_t>(interval, std::numeric_limits<std::int32_t>::max()));
  r.incomplete = clamp_count(get32(packet, 12));
  r.complete = clamp_count(get32(packet, 16));
  r.peers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = announce_response_header + i * entry;
    peer_entry e;
    e.address.v6 = ipv6;
    std::memcpy(e.address.ip.data(), packet.data() + at, ipv6 ? 16 : 4);
    e.address.port = get16(packet, at + (ipv6 ? 16 : 4));
    if (e.address.port == 0) continue;
    r.peers.push_back(e);
  }
  return r;
}

result<scrape_response> decode_scrape(bytes_view packet, std::uint32_t transaction_id,
                                      std::span<const sha1_hash> requested) {
  if (auto ok = check_response(packet, transaction_id, action::scrape, 8); !ok) return tl::unexpected(ok.error());
  const std::size_t rest = packet.size() - 8;
  if (rest % 12 != 0) return make_error(errc::invalid_packet_size, "scrape", packet.size());
  const std::size_t wanted = std::min(requested.size(), max_scrape_hashes);
  if (rest / 12 < wanted) return make_error(errc::packet_too_short, "scrape entries", packet.size());
  if (rest / 12 > wanted) return make_error(errc::invalid_packet_size, "more scrape entries than requested", packet.size());
  scrape_response r;
  r.files.reserve(wanted);
  for (std::size_t i = 0; i < wanted; ++i) {
    const std::size_t at = 8 + i * 12;
    r.files.push_back(scrape_entry{requested[i], clamp_count(get32(packet, at)), clamp_count(get32(packet, at + 4)),
                                   clamp_count(get32(packet, at + 8))});
  }
  return r;
}

result<request> decode_request(bytes_view p) {
  if (p.size() < 16) return make_error(errc::packet_too_short, "header", p.size());
  const auto act = get32(p, 8);
  const auto tid = get32(p, 12);
  switch (static_cast<action>(act)) {
    case action::connect:
      if (get64(p, 0) != protocol_id) return make_error(errc::invalid_request, "protocol id", 0);
      return request{connect_request{tid}};
    case action::announce: {
      if (p.size() < announce_request_size) return make_error(errc::packet_too_short, "announce", p.size());
      announce_packet a{get64(p, 0), tid, {}};
      std::memcpy(a.request.info_hash.bytes.data(), p.data() + 16, 20);
      std::memcpy(a.request.pid.bytes.data(), p.data() + 36, 20);
      a.request.downloaded = get64(p, 56);
      a.request.left = get64(p, 64);
      a.request.uploaded = get64(p, 72);
      const auto ev = get32(p, 80);
      if (ev > 3) return make_error(errc::invalid_request, "event", 80);
      a.request.ev = static_cast<event>(ev);
      // 84: ip (ignored: the tracker uses the sender's address), 88: key
      a.request.key = get32(p, 88);
      const auto num_want = static_cast<std::int32_t>(get32(p, 92));
      if (num_want >= 0) a.request.num_want = num_want;
      a.request.port = get16(p, 96);
      // Bytes after 98 are BEP 41 options, which the embedded tracker does not use.
      return request{std::move(a)};
    }
    case action::scrape: {
      const std::size_t rest = p.size() - scrape_request_header;
      if (rest == 0) return make_error(errc::packet_too_short, "scrape", p.size());
      if (rest % 20 != 0) return make_error(errc::invalid_packet_size, "scrape", p.size());
      if (rest / 20 > max_scrape_hashes) return make_error(errc::invalid_request, "too many info-hashes", p.size());
      scrape_packet s{get64(p, 0), tid, {}};
      s.hashes.resize(rest / 20);
      for (std::size_t i = 0; i < s.hashes.size(); ++i)
        std::memcpy(s.hashes[i].bytes.data(), p.data() + scrape_request_header + 20 * i, 20);
      return request{std::move(s)};
    }
    case action::error: break;
  }
  return make_error(errc::wrong_action, std::to_string(act), 8);
}

std::vector<std::uint8_t> encode_connect_response(std::uint32_t transaction_id, std::uint64_t connection_id) {
  std::vector<std::uint8_t> out;
  out.reserve(connect_response_size);
  put32(out, static_cast<std::uint32_t>(action::connect));
  put32(out, transaction_id);
  put64(out, connection_id);
  return out;
}

std::vector<std::uint8_t> encode_announce_response(std::uint32_t transaction_id, std::uint32_t interval,
                                                   std::uint32_t leechers, std::uint32_t seeders,
                                                   std::span<const peer_address> peers) {
  std::vector<std::uint8_t> out;
  out.reserve(announce_response_header + peers.size() * 18);
  put32(out, static_cast<std::uint32_t>(action::announce));
  put32(out, transaction_id);
  put32(out, interval);
  put32(out, leechers);
  put32(out, seeders);
  for (const auto& p : peers) {
    out.insert(out.end(), p.ip.begin(), p.ip.begin() + (p.v6 ? 16 : 4));
    put16(out, p.port);
  }
  return out;
}

std::vector<std::uint8_t> encode_scrape_response(std::uint32_t transaction_id, std::span<const scrape_entry> entries) {
  std::vector<std::uint8_t> out;
  out.reserve(8 + entries.size() * 12);
  put32(out, static_cast<std::uint32_t>(action::scrape));
  put32(out, transaction_id);
  const auto u32 = [](std::int64_t v) {
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(v, 0, std::numeric_limits<std::uint32_t>::max()));
  };
  for (const auto& e : entries) {
    put32(out, u32(e.complete));
    put32(out, u32(e.downloaded));
    put32(out, u32(e.incomplete));
  }
  return out;
}

std::vector<std::uint8_t> encode_error(std::uint32_t transaction_id, std::string_view message) {
  std::vector<std::uint8_t> out;
  out.reserve(8 + message.size());
  put32(out, static_cast<std::uint32_t>(action::error));
  put32(out, transaction_id);
  put_bytes(out, message);
  return out;
}

}  // namespace ccbt::tracker::udp
