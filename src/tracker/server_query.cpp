#include "tracker/server_query.hpp"

#include <charconv>
#include <limits>

#include <ccbt/bencode.hpp>

#include "tracker/url.hpp"

namespace ccbt::tracker::server {
namespace {

template <class T>
bool parse_number(std::string_view s, T& out) noexcept {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

// Calls f(name, raw value) for each "name=value" of a query string.
template <class F>
bool for_each_param(std::string_view query, F&& f) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (!f(item.substr(0, eq), eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1))) return false;
  }
  return true;
}

}  // namespace

target_parts split_target(std::string_view target) noexcept {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

result<http_announce> parse_announce_query(std::string_view query) {
  http_announce out;
  bool have_hash = false, have_id = false, have_port = false, have_left = false;
  std::optional<error> err;
  const auto fail = [&](errc e, std::string_view what) {
    err = error{make_error_code(e), std::nullopt, std::string(what)};
    return false;
  };
  for_each_param(query, [&](std::string_view name, std::string_view raw) {
    auto value = percent_decode(raw);
    if (!value) return fail(errc::invalid_request, name.substr(0, 32));
    const std::string& v = *value;
    if (name == "info_hash") {
      if (have_hash) return true;  // the first one wins
      auto h = sha1_hash::from_bytes(v);
      if (!h) return fail(errc::invalid_request, "info_hash");
      out.request.info_hash = *h;
      have_hash = true;
    } else if (name == "peer_id") {
      auto id = peer_id::from_bytes(v);
      if (!id) return fail(errc::invalid_request, "peer_id");
      out.request.pid = *id;
      have_id = true;
    } else if (name == "port") {
      std::uint16_t port = 0;
      if (!parse_number(v, port)) return fail(errc::invalid_request, "port");
      out.request.port = port;
      have_port = true;
    } else if (name == "uploaded" || name == "downloaded" || name == "left") {
      std::uint64_t n = 0;
      if (!parse_number(v, n)) return fail(errc::invalid_request, name);
      if (name == "uploaded") out.request.uploaded = n;
      if (name == "downloaded") out.request.downloaded = n;
      if (name == "left") {
        out.request.left = n;
        have_left = true;
      }
    } else if (name == "event") {
      if (v == "started") {
        out.request.ev = event::started;
      } else if (v == "completed") {
        out.request.ev = event::completed;
      } else if (v == "stopped") {
        out.request.ev = event::stopped;
      } else if (v.empty() || v == "empty" || v == "paused") {
        out.request.ev = event::none;
      } else {
        return fail(errc::invalid_request, "event");
      }
    } else if (name == "numwant" || name == "num_want") {
      std::int64_t n = 0;
      if (!parse_number(v, n)) return fail(errc::invalid_request, "numwant");
      if (n >= 0) out.request.num_want = static_cast<std::int32_t>(std::min<std::int64_t>(n, 100000));
    } else if (name == "compact") {
      out.compact = v != "0";
    } else if (name == "no_peer_id") {
      out.no_peer_id = v == "1";
    } else if (name == "key") {
      // Not interpreted; kept for logging only when numeric.
      std::uint32_t k = 0;
      if (parse_number(v, k)) out.request.key = k;
    }
    return true;
  });
  if (err) return tl::unexpected(std::move(*err));
  if (!have_hash) return make_error(errc::missing_parameter, "info_hash");
  if (!have_id) return make_error(errc::missing_parameter, "peer_id");
  if (!have_port) return make_error(errc::missing_parameter, "port");
  if (!have_left) return make_error(errc::missing_parameter, "left");
  if (out.request.port == 0 && out.request.ev != event::stopped) return make_error(errc::invalid_request, "port");
  return out;
}

result<std::vector<sha1_hash>> parse_scrape_query(std::string_view query, std::size_t max_hashes) {
  std::vector<sha1_hash> out;
  std::optional<error> err;
  for_each_param(query, [&](std::string_view name, std::string_view raw) {
    if (name != "info_hash") return true;
    auto value = percent_decode(raw);
    auto h = value ? sha1_hash::from_bytes(*value) : std::nullopt;
    if (!h) {
      err = error{make_error_code(errc::invalid_request), std::nullopt, "info_hash"};
      return false;
    }
    if (out.size() >= max_hashes) {
      err = error{make_error_code(errc::invalid_request), std::nullopt, "too many info_hash"};
      return false;
    }
    out.push_back(*h);
    return true;
  });
  if (err) return tl::unexpected(std::move(*err));
  if (out.empty()) return make_error(errc::missing_parameter, "info_hash");
  return out;
}

std::string encode_announce_reply(const announce_reply& r, bool compact, bool no_peer_id) {
  bencode::dict d;
  d["interval"] = static_cast<std::int64_t>(r.interval);
  if (r.min_interval != 0) d["min interval"] = static_cast<std::int64_t>(r.min_interval);
  d["complete"] = r.complete;
  d["incomplete"] = r.incomplete;
  d["downloaded"] = r.downloaded;
  if (compact) {
    std::string v4, v6;
    for (const auto& p : r.peers) {
      auto& out = p.address.v6 ? v6 : v4;
      out.append(reinterpret_cast<const char*>(p.address.ip.data()), p.address.v6 ? 16 : 4);
      out.push_back(static_cast<char>(p.address.port >> 8));
      out.push_back(static_cast<char>(p.address.port & 0xff));
    }
    d["peers"] = std::move(v4);
    if (!v6.empty()) d["peers6"] = std::move(v6);
  } else {
    bencode::list peers;
    peers.reserve(r.peers.size());
    for (const auto& p : r.peers) {
      bencode::dict pd;
      pd["ip"] = p.address.ip_string();
      pd["port"] = static_cast<std::int64_t>(p.address.port);
      if (!no_peer_id && p.id) pd["peer id"] = std::string(p.id->view());
      peers.emplace_back(std::move(pd));
    }
    d["peers"] = std::move(peers);
  }
  return bencode::encode(bencode::value(std::move(d)));
}

std::string encode_scrape_reply(std::span<const scrape_entry> entries) {
  bencode::dict files;
  for (const auto& e : entries) {
    bencode::dict f;
    f["complete"] = e.complete;
    f["downloaded"] = e.downloaded;
    f["incomplete"] = e.incomplete;
    files[std::string(e.info_hash.view())] = std::move(f);
  }
  bencode::dict d;
  d["files"] = std::move(files);
  return bencode::encode(bencode::value(std::move(d)));
}

std::string encode_failure(std::string_view reason) {
  bencode::dict d;
  d["failure reason"] = std::string(reason);
  return bencode::encode(bencode::value(std::move(d)));
}

}  // namespace ccbt::tracker::server
