// Request bodies and targets -> typed commands. See request.hpp.
#include "rpc/request.hpp"

#include <array>
#include <charconv>

#include <nlohmann/json.hpp>

namespace ccbt::rpc {
namespace {

using json = nlohmann::json;

constexpr std::size_t max_depth = 32;

// JSON nested deeper than max_depth is refused before nlohmann sees it (its values are destroyed
// recursively, so unbounded nesting would be unbounded stack).
bool too_deep(std::string_view body) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

api_result<json> parse_object(std::string_view body) {
  if (body.empty()) return tl::unexpected(bad_request("the request needs a JSON object body"));
  if (too_deep(body)) return tl::unexpected(bad_request("JSON nested deeper than 32 levels"));
  json j;
  try {
    j = json::parse(body.begin(), body.end());
  } catch (const json::parse_error& e) {
    const std::string what = e.what();
    const auto colon = what.find(": ");
    return tl::unexpected(bad_request("malformed JSON at byte " + std::to_string(e.byte) + ": " +
                                      (colon == std::string::npos ? what : what.substr(colon + 2))));
  } catch (const json::exception& e) {
    // e.g. out_of_range: a number too large for a double
    return tl::unexpected(bad_request(std::string("malformed JSON: ") + e.what()));
  }
  if (!j.is_object()) return tl::unexpected(bad_request("the request body must be a JSON object"));
  return j;
}

// Every key of obj must be one of `known`.
template <std::size_t N>
api_result<void> only_known(const json& obj, const std::array<std::string_view, N>& known) {
  for (const auto& [k, v] : obj.items()) {
    bool ok = false;
    for (const auto& n : known) ok = ok || k == n;
    if (!ok) return tl::unexpected(bad_request("unknown field \"" + k + "\""));
  }
  return {};
}

api_result<std::string> get_string(const json& obj, const char* name) {
  const auto& v = obj.at(name);
  if (!v.is_string()) return tl::unexpected(bad_request(std::string("\"") + name + "\" must be a string"));
  return v.get<std::string>();
}

api_result<std::uint8_t> priority_of(const json& v, const std::string& where) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > 7)
    return tl::unexpected(bad_request(where + " must be an integer priority 0..7"));
  return static_cast<std::uint8_t>(v.get<std::int64_t>());
}

api_result<std::uint32_t> index_of(std::string_view s, const std::string& where) {
  std::uint32_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
    return tl::unexpected(bad_request(where + " must be a file index (a non-negative integer)"));
  return n;
}

api_result<std::vector<std::string>> peer_list(const json& v) {
  if (!v.is_array()) return tl::unexpected(bad_request("\"peers\" must be an array of \"host:port\" strings"));
  if (v.size() > max_list_entries) return tl::unexpected(bad_request("\"peers\" has too many entries"));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string() || !valid_peer_address(v[i].get<std::string>()))
      return tl::unexpected(bad_request("peers[" + std::to_string(i) + "] must be \"host:port\" (IPv6 as \"[::1]:port\")"));
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

api_result<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return tl::unexpected(bad_request("truncated %-escape in the URL"));
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return tl::unexpected(bad_request("bad %-escape in the URL"));
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::string error_body(const api_error& e) {
  json j = {{"error", {{"code", e.code}, {"message", e.message}}}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<piece_strategy> parse_strategy(std::string_view s) { return parse_piece_strategy(s); }

const char* strategy_name(piece_strategy s) { return to_string(s).data(); }  // literals: NUL-terminated

bool valid_peer_address(std::string_view s) {
  if (s.size() > 300) return false;
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const auto host = s.substr(0, colon);
  const auto port = s.substr(colon + 1);
  unsigned p = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || p == 0 || p > 65535) return false;
  if (host.front() == '[') return host.size() > 2 && host.back() == ']';
  for (const char c : host)
    if (c == ':' || c == ' ' || c == '/' || static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return false;
  return true;
}

api_result<add_request> parse_add_request(std::string_view body) {
  auto j = parse_object(body);
  if (!j) return tl::unexpected(j.error());
  static constexpr std::array<std::string_view, 10> known = {"torrent",         "magnet",   "save_path",
                                                             "paused",          "file_priorities", "strategy",
                                                             "peers",           "download_rate_limit", "upload_rate_limit",
                                                             "stream"};
  if (auto k = only_known(*j, known); !k) return tl::unexpected(k.error());
  add_request r;
  if (j->contains("torrent") == j->contains("magnet"))
    return tl::unexpected(bad_request("exactly one of \"torrent\" (the .torrent file in base64) and \"magnet\" (a magnet link) is required"));
  if (j->contains("magnet")) {
    auto m = get_string(*j, "magnet");
    if (!m) return tl::unexpected(m.error());
    if (m->empty() || m->size() > max_magnet_size)
      return tl::unexpected(bad_request("\"magnet\" must be a magnet link of at most " + std::to_string(max_magnet_size) + " bytes"));
    r.magnet = std::move(*m);
  } else {
    auto b64 = get_string(*j, "torrent");
    if (!b64) return tl::unexpected(b64.error());
    if (b64->size() / 4 * 3 > max_torrent_size)
      return tl::unexpected(api_error{413, "payload_too_large",
                                      "the .torrent file is larger than " + std::to_string(max_torrent_size >> 20) + " MiB"});
    auto raw = base64_decode(*b64);
    if (!raw) return tl::unexpected(bad_request("\"torrent\" is not valid base64"));
    if (raw->empty()) return tl::unexpected(bad_request("\"torrent\" is empty"));
    r.torrent = std::move(*raw);
  }
  if (!j->contains("save_path")) return tl::unexpected(bad_request("\"save_path\" (an absolute directory) is required"));
  auto sp = get_string(*j, "save_path");
  if (!sp) return tl::unexpected(sp.error());
  if (sp->empty() || sp->front() != '/' || sp->size() > 4096 || sp->find('\0') != std::string::npos)
    return tl::unexpected(bad_request("\"save_path\" must be an absolute path"));
  r.save_path = std::move(*sp);
  if (j->contains("paused")) {
    if (!j->at("paused").is_boolean()) return tl::unexpected(bad_request("\"paused\" must be true or false"));
    r.paused = j->at("paused").get<bool>();
  }
  if (j->contains("file_priorities")) {
    const auto& fp = j->at("file_priorities");
    if (!fp.is_array() || fp.size() > max_list_entries)
      return tl::unexpected(bad_request("\"file_priorities\" must be an array of priorities 0..7"));
    for (std::size_t i = 0; i < fp.size(); ++i) {
      auto p = priority_of(fp[i], "file_priorities[" + std::to_string(i) + "]");
      if (!p) return tl::unexpected(p.error());
      r.file_priorities.push_back(*p);
    }
  }
  if (j->contains("strategy")) {
    auto s = get_string(*j, "strategy");
    if (!s) return tl::unexpected(s.error());
    r.strategy = parse_strategy(*s);
    if (!r.strategy) return tl::unexpected(bad_request("\"strategy\" must be rarest_first, sequential or round_robin"));
  }
  if (j->contains("peers")) {
    auto p = peer_list(j->at("peers"));
    if (!p) return tl::unexpected(p.error());
    r.peers = std::move(*p);
  }
  constexpr std::int64_t tib = std::int64_t{1} << 40;
  for (auto [name, out] : {std::pair{"download_rate_limit", &r.download_rate_limit}, std::pair{"upload_rate_limit", &r.upload_rate_limit}}) {
    if (!j->contains(name) || j->at(name).is_null()) continue;
    const auto& v = j->at(name);
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(tib)) ||
        v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > tib)
      return tl::unexpected(bad_request(std::string("\"") + name + "\" must be an integer in 0.." + std::to_string(tib) + " or null"));
    *out = v.get<std::int64_t>();
  }
  if (j->contains("stream")) {
    auto st = parse_stream_value(j->at("stream"), "stream");
    if (!st) return tl::unexpected(st.error());
    r.stream = *st;
  }
  return r;
}

api_result<std::vector<std::pair<std::uint32_t, std::uint8_t>>> parse_file_priorities(std::string_view body) {
  auto j = parse_object(body);
  if (!j) return tl::unexpected(j.error());
  static constexpr std::array<std::string_view, 1> known = {"priorities"};
  if (auto k = only_known(*j, known); !k) return tl::unexpected(k.error());
  if (!j->contains("priorities")) return tl::unexpected(bad_request("\"priorities\" is required"));
  const auto& p = j->at("priorities");
  std::vector<std::pair<std::uint32_t, std::uint8_t>> out;
  if (p.is_object()) {
    if (p.size() > max_list_entries) return tl::unexpected(bad_request("\"priorities\" has too many entries"));
    for (const auto& [k, v] : p.items()) {
      auto idx = index_of(k, "priorities key \"" + k + "\"");
      if (!idx) return tl::unexpected(idx.error());
      auto pr = priority_of(v, "priorities[\"" + k + "\"]");
      if (!pr) return tl::unexpected(pr.error());
      out.emplace_back(*idx, *pr);
    }
  } else if (p.is_array()) {
    if (p.size() > max_list_entries) return tl::unexpected(bad_request("\"priorities\" has too many entries"));
    for (std::size_t i = 0; i < p.size(); ++i) {
      const auto where = "priorities[" + std::to_string(i) + "]";
      if (!p[i].is_array() || p[i].size() != 2 || !p[i][0].is_number_unsigned() || p[i][0].get<std::uint64_t>() > 0xffffffffu)
        return tl::unexpected(bad_request(where + " must be [file index, priority]"));
      auto pr = priority_of(p[i][1], where + "[1]");
      if (!pr) return tl::unexpected(pr.error());
      out.emplace_back(static_cast<std::uint32_t>(p[i][0].get<std::uint64_t>()), *pr);
    }
  } else {
    return tl::unexpected(bad_request("\"priorities\" must be an object {\"index\": priority} or [[index, priority], ...]"));
  }
  if (out.empty()) return tl::unexpected(bad_request("\"priorities\" is empty"));
  return out;
}

api_result<std::vector<std::string>> parse_peers_request(std::string_view body) {
  auto j = parse_object(body);
  if (!j) return tl::unexpected(j.error());
  static constexpr std::array<std::string_view, 1> known = {"peers"};
  if (auto k = only_known(*j, known); !k) return tl::unexpected(k.error());
  if (!j->contains("peers")) return tl::unexpected(bad_request("\"peers\" is required"));
  auto p = peer_list(j->at("peers"));
  if (!p) return tl::unexpected(p.error());
  if (p->empty()) return tl::unexpected(bad_request("\"peers\" is empty"));
  return p;
}

namespace {
template <class T>
api_result<void> integer_option(const json& obj, const char* name, std::int64_t lo, std::int64_t hi,
                                option_change<T>& out) {
  if (!obj.contains(name)) return {};
  out.present = true;
  const auto& v = obj.at(name);
  if (v.is_null()) return {};
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) ||
      v.get<std::int64_t>() < lo || v.get<std::int64_t>() > hi)
    return tl::unexpected(bad_request(std::string("\"") + name + "\" must be an integer in " + std::to_string(lo) + ".." +
                                      std::to_string(hi) + " or null"));
  out.value = static_cast<T>(v.get<std::int64_t>());
  return {};
}
}  // namespace

api_result<options_request> parse_options_request(std::string_view body) {
  auto j = parse_object(body);
  if (!j) return tl::unexpected(j.error());
  static constexpr std::array<std::string_view, 6> known = {"strategy", "download_rate_limit", "upload_rate_limit",
                                                            "max_connections", "unchoke_slots", "stream"};
  if (auto k = only_known(*j, known); !k) return tl::unexpected(k.error());
  if (j->empty()) return tl::unexpected(bad_request("no option given (known: strategy, download_rate_limit, "
                                                    "upload_rate_limit, max_connections, unchoke_slots, stream)"));
  options_request r;
  if (j->contains("strategy")) {
    r.strategy.present = true;
    if (!j->at("strategy").is_null()) {
      auto s = get_string(*j, "strategy");
      if (!s) return tl::unexpected(s.error());
      r.strategy.value = parse_strategy(*s);
      if (!r.strategy.value)
        return tl::unexpected(bad_request("\"strategy\" must be rarest_first, sequential, round_robin or null"));
    }
  }
  constexpr std::int64_t tib = std::int64_t{1} << 40;
  for (auto res : {integer_option(*j, "download_rate_limit", 0, tib, r.download_rate_limit),
                   integer_option(*j, "upload_rate_limit", 0, tib, r.upload_rate_limit),
                   integer_option(*j, "max_connections", 1, 65535, r.max_connections),
                   integer_option(*j, "unchoke_slots", 1, 1000, r.unchoke_slots)})
    if (!res) return tl::unexpected(res.error());
  if (j->contains("stream")) {
    auto st = parse_stream_value(j->at("stream"), "stream");
    if (!st) return tl::unexpected(st.error());
    r.stream.present = true;
    r.stream.value = *st;
  }
  return r;
}

bool plausible_tracker_url(std::string_view url) {
  if (url.size() > 2048) return false;
  if (!(url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0 || url.rfind("udp://", 0) == 0)) return false;
  const auto host = url.substr(url.find("://") + 3);
  if (host.empty() || host.front() == '/' || host.front() == ':') return false;
  for (const char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
  return true;
}

api_result<tracker_request> parse_tracker_request(std::string_view body) {
  auto j = parse_object(body);
  if (!j) return tl::unexpected(j.error());
  static constexpr std::array<std::string_view, 2> known = {"url", "tier"};
  if (auto k = only_known(*j, known); !k) return tl::unexpected(k.error());
  if (!j->contains("url")) return tl::unexpected(bad_request("\"url\" is required"));
  auto url = get_string(*j, "url");
  if (!url) return tl::unexpected(url.error());
  if (!plausible_tracker_url(*url))
    return tl::unexpected(bad_request("\"url\" must be an http://, https:// or udp:// tracker URL (printable ASCII)"));
  tracker_request r;
  r.url = std::move(*url);
  if (j->contains("tier")) {
    const auto& t = j->at("tier");
    if (!t.is_number_integer() || t.get<std::int64_t>() < 0 || t.get<std::int64_t>() > 1000)
      return tl::unexpected(bad_request("\"tier\" must be an integer in 0..1000"));
    r.tier = static_cast<int>(t.get<std::int64_t>());
  }
  return r;
}

api_result<std::string> parse_config_value(std::string_view body) {
  auto j = parse_object(body);
  if (!j) return tl::unexpected(j.error());
  static constexpr std::array<std::string_view, 1> known = {"value"};
  if (auto k = only_known(*j, known); !k) return tl::unexpected(k.error());
  if (!j->contains("value")) return tl::unexpected(bad_request("\"value\" is required"));
  const auto& v = j->at("value");
  std::string text;
  if (v.is_string()) text = v.get<std::string>();
  else if (v.is_boolean() || v.is_number_integer()) text = v.dump();
  else return tl::unexpected(bad_request("\"value\" must be a string, an integer or a boolean"));
  if (text.size() > 4096) return tl::unexpected(bad_request("\"value\" is longer than 4096 characters"));
  return text;
}

api_result<sha1_hash> parse_torrent_id(std::string_view text) {
  auto h = text.size() == 40 ? sha1_hash::from_hex(text) : std::nullopt;
  if (!h) return tl::unexpected(bad_request("a torrent id is 40 hex digits (the info-hash), not \"" +
                                            std::string(text.substr(0, 80)) + "\""));
  return *h;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + static_cast<std::size_t>(k)];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[k] = val(c);
      if (v[k] < 0) return std::nullopt;
    }
    const auto n = static_cast<std::uint32_t>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
    // Canonical encoding: the bits under the padding are zero.
    if ((pad == 1 && (n & 0xff) != 0) || (pad == 2 && (n & 0xffff) != 0)) return std::nullopt;
  }
  return out;
}

std::string base64_encode(std::string_view in) {
  static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out.push_back(digits[(n >> 18) & 63]);
    out.push_back(digits[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? digits[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < in.size() ? digits[n & 63] : '=');
  }
  return out;
}

std::optional<std::string_view> target::param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

api_result<target> parse_target(std::string_view text) {
  if (text.empty() || text.front() != '/') return tl::unexpected(bad_request("the request target must start with /"));
  target t;
  const auto q = text.find('?');
  const auto path = text.substr(0, q);
  std::size_t i = 1;
  while (i <= path.size()) {
    const auto slash = path.find('/', i);
    const auto seg = path.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
    if (!seg.empty()) {
      auto d = percent_decode(seg);
      if (!d) return tl::unexpected(d.error());
      t.segments.push_back(std::move(*d));
      if (t.segments.size() > 16) return tl::unexpected(bad_request("too many path segments"));
    }
    if (slash == std::string_view::npos) break;
    i = slash + 1;
  }
  if (q != std::string_view::npos) {
    auto rest = text.substr(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const auto part = rest.substr(0, amp);
      if (!part.empty()) {
        const auto eq = part.find('=');
        auto k = percent_decode(part.substr(0, eq));
        if (!k) return tl::unexpected(k.error());
        auto v = percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
        if (!v) return tl::unexpected(v.error());
        t.query.emplace_back(std::move(*k), std::move(*v));
        if (t.query.size() > 32) return tl::unexpected(bad_request("too many query parameters"));
      }
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  return t;
}

api_result<bool> parse_flag(std::string_view name, std::string_view value) {
  if (value == "true" || value == "1" || value.empty()) return true;
  if (value == "false" || value == "0") return false;
  return tl::unexpected(bad_request("query parameter " + std::string(name) + " must be true or false"));
}

}  // namespace ccbt::rpc
