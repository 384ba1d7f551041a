// The key table (the one place a setting is declared for the configuration) and the value
// conversions shared by the TOML, environment and command-line front ends.
#include "config/keys.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <limits>
#include <type_traits>

namespace ccbt::config {
namespace detail {
namespace {

constexpr std::int64_t kib = 1024;
constexpr std::int64_t mib = kib * 1024;
constexpr std::int64_t gib = mib * 1024;
constexpr std::int64_t tib = gib * 1024;

constexpr const auto& strategy_names = piece_strategy_names;
constexpr std::array<std::string_view, 3> prealloc_names = {"none", "sparse", "full"};
constexpr std::array<std::string_view, 2> read_mode_names = {"pread", "mmap"};  // disk_read_mode order
constexpr std::array<std::string_view, 3> encryption_names = {"enabled", "required", "disabled"};  // encryption_policy
constexpr std::array<std::string_view, 4> encryption_payload_names = {"prefer_plaintext", "prefer_rc4", "rc4_only",
                                                                      "plaintext_only"};  // payload_encryption order

// "IP:PORT" with a numeric IPv4 address or a bracketed IPv6 one, as the session's listener parses it.
std::string check_endpoint(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return "expected \"IP:PORT\" (IPv6 as \"[::]:PORT\")";
  std::string host(s.substr(0, colon));
  const auto port_text = s.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535)
    return "port must be a number in 0..65535";
  unsigned char buf[16];
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (::inet_pton(AF_INET6, host.c_str(), buf) == 1) return {};
    return "\"" + host + "\" is not an IPv6 address";
  }
  if (::inet_pton(AF_INET, host.c_str(), buf) == 1) return {};
  return "expected a numeric IP address before the port (IPv6 in brackets), not \"" + host + "\"";
}

// A numeric IPv4 or IPv6 address (no port, no brackets).
std::string check_ip(std::string_view s) {
  unsigned char buf[16];
  const std::string host(s);
  if (::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1) return {};
  return "expected a numeric IPv4 or IPv6 address";
}

std::string check_printable(std::string_view s) {
  for (const char c : s)
    if (c < 0x20 || c > 0x7e) return "only printable ASCII characters are allowed";
  return {};
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1fu; }
    else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0fu; }
    else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07u; }
    else return false;
    if (n >= s.size() - i) return false;  // the sequence runs past the end
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    const std::uint32_t min_cp = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    if (cp < min_cp || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

using vt = value_type;
using am = apply_mode;

// The table. Order = documentation order; sections appear in one block each.
const descriptor table[] = {
    // ---- network
    {{"network", "listen_interfaces", vt::string_list, am::restart, "", 1, 64, {},
      "Addresses to accept peer connections on, as \"IP:PORT\" (IPv6 as \"[::]:6881\"); port 0 picks a free port."},
     &settings::listen_interfaces, &check_endpoint},
    {{"network", "peer_id_prefix", vt::string, am::restart, "", 0, 20, {},
      "Start of the 20-byte peer id sent to peers (Azureus style \"-CCvvvv-\"); the rest is random."},
     &settings::peer_id_prefix, &check_printable},
    {{"network", "max_connections", vt::integer, am::live, "", 1, 65535, {},
      "Peer connections across all torrents."},
     &settings::max_connections},
    {{"network", "max_connections_per_torrent", vt::integer, am::live, "", 1, 65535, {},
      "Peer connections per torrent."},
     &settings::max_connections_per_torrent},
    {{"network", "max_half_open", vt::integer, am::live, "", 1, 10000, {},
      "Outgoing connection attempts in progress at once."},
     &settings::max_half_open},
    {{"network", "peer_connect_timeout_ms", vt::integer, am::live, "ms", 100, 600'000, {},
      "Time allowed for an outgoing TCP connection to be established."},
     &settings::peer_connect_timeout_ms},
    {{"network", "handshake_timeout_ms", vt::integer, am::live, "ms", 100, 600'000, {},
      "Time allowed for the BitTorrent handshake once connected."},
     &settings::handshake_timeout_ms},
    {{"network", "inactivity_timeout_s", vt::integer, am::live, "s", 10, 86'400, {},
      "A peer that sends nothing at all (not even a keep-alive) for this long is disconnected."},
     &settings::inactivity_timeout_s},
    {{"network", "max_peer_list_size", vt::integer, am::live, "", 10, 100'000, {},
      "Candidate peer addresses (from trackers, peer exchange, --peer) remembered per torrent; when full, "
      "the worst-ranked unused ones make room."},
     &settings::max_peer_list_size},
    {{"network", "encryption", vt::choice, am::live, "", 0, 0, encryption_names,
      "MSE/PE (Message Stream Encryption) handshakes, as libtorrent and Transmission speak them: enabled = accept "
      "plaintext and encrypted peers, connect encrypted first and retry once in plaintext (a peer that failed is "
      "dialled in plaintext from then on); required = encrypted "
      "only, both ways; disabled = plaintext only (encrypted peers are refused)."},
     &settings::encryption},
    {{"network", "encryption_payload", vt::choice, am::live, "", 0, 0, encryption_payload_names,
      "What follows an encrypted handshake: prefer_plaintext / prefer_rc4 offer and accept both, and pick that one "
      "when an incoming peer offers both (on our connections the peer picks); rc4_only / plaintext_only offer and "
      "accept only that one. Plaintext costs no CPU; "
      "RC4 also hides the payload from traffic shapers."},
     &settings::encryption_payload},

    // ---- strategy (piece selection and request pipelining)
    {{"strategy", "piece_strategy", vt::choice, am::live, "", 0, 0, strategy_names,
      "Order in which pieces are requested: rarest_first (best for the swarm), sequential (file order) or "
      "round_robin."},
     &settings::strategy},
    {{"strategy", "min_request_queue", vt::integer, am::live, "", 1, 10'000, {},
      "Fewest block requests kept outstanding per peer."},
     &settings::min_request_queue},
    {{"strategy", "max_request_queue", vt::integer, am::live, "", 1, 10'000, {},
      "Most block requests outstanding per peer (also capped by the reqq the peer advertises)."},
     &settings::max_request_queue},
    {{"strategy", "request_queue_time_ms", vt::integer, am::live, "ms", 100, 60'000, {},
      "A peer's request queue holds this much time of its measured download rate."},
     &settings::request_queue_time_ms},
    {{"strategy", "request_timeout_s", vt::integer, am::live, "s", 1, 3600, {},
      "A block not received within this time is requested from another peer."},
     &settings::request_timeout_s},
    {{"strategy", "snub_timeout_s", vt::integer, am::live, "s", 1, 3600, {},
      "A peer that sends no block for this long while we request from it is snubbed."},
     &settings::snub_timeout_s},
    {{"strategy", "max_allowed_in_request_queue", vt::integer, am::live, "", 1, 100'000, {},
      "Requests a peer may have queued with us before further ones are rejected (the reqq we advertise)."},
     &settings::max_allowed_in_request_queue},
    {{"strategy", "max_metadata_size", vt::size, am::live, "bytes", 16 * kib, 64 * mib, {},
      "Largest info dictionary fetched from peers for a magnet link (BEP 9); a peer announcing more is not asked."},
     &settings::max_metadata_size},

    // ---- choking
    {{"choking", "unchoke_slots", vt::integer, am::live, "", 1, 1000, {},
      "Upload slots per torrent, the optimistic unchoke included."},
     &settings::unchoke_slots},
    {{"choking", "unchoke_interval_s", vt::integer, am::live, "s", 1, 3600, {},
      "Time between choking rounds."},
     &settings::unchoke_interval_s},
    {{"choking", "optimistic_unchoke_interval_s", vt::integer, am::live, "s", 1, 3600, {},
      "Time between changes of the optimistic unchoke."},
     &settings::optimistic_unchoke_interval_s},

    // ---- disk
    {{"disk", "preallocation", vt::choice, am::restart, "", 0, 0, prealloc_names,
      "How new files are allocated: none (grow as written), sparse (full size, no blocks reserved) or full "
      "(every block reserved up front)."},
     &settings::prealloc},
    {{"disk", "write_buffer_size", vt::size, am::restart, "bytes", mib, 64 * gib, {},
      "Memory for received blocks waiting to be written; when it is full, peers are not read until it drains."},
     &settings::write_buffer_bytes},
    {{"disk", "hash_lanes", vt::integer, am::restart, "", 0, 16, {},
      "On CPUs with AVX-512, complete pieces of v1-only torrents are SHA-1-hashed this many at a time in one "
      "pass (about half the CPU of one at a time); 0 or 1 hashes each piece alone as its blocks arrive."},
     &settings::hash_lanes},
    {{"disk", "hash_lane_wait_ms", vt::integer, am::restart, "ms", 1, 10'000, {},
      "Longest a complete piece waits for others to be hashed with (its verdict comes that much later at most)."},
     &settings::hash_lane_wait_ms},
    {{"disk", "io_threads", vt::integer, am::restart, "", 1, 64, {},
      "Threads doing file reads and writes."},
     &settings::disk_threads},
    {{"disk", "hash_threads", vt::integer, am::restart, "", 0, 256, {},
      "Threads verifying piece hashes; 0 = one per CPU core."},
     &settings::hash_threads},
    {{"disk", "file_pool_size", vt::integer, am::restart, "", 1, 65'536, {},
      "Files kept open at once."},
     &settings::file_pool_size},
    {{"disk", "fsync_on_verify", vt::boolean, am::restart, "", 0, 0, {},
      "Flush each piece to stable storage before recording it as verified (safe against power loss, slower)."},
     &settings::fsync_on_verify},
    {{"disk", "read_mode", vt::choice, am::restart, "", 0, 0, read_mode_names,
      "How seeding reads the files: pread (read into a buffer, then sent) or mmap (memory-mapped, sent to peers "
      "without a copy in ccbt; pread where a file cannot be mapped)."},
     &settings::read_mode},

    // ---- limits (rates)
    {{"limits", "download_rate", vt::size, am::live, "bytes/s", 0, tib, {},
      "Download rate of all torrents together; 0 = unlimited."},
     &settings::download_rate_limit},
    {{"limits", "upload_rate", vt::size, am::live, "bytes/s", 0, tib, {},
      "Upload rate of all torrents together; 0 = unlimited."},
     &settings::upload_rate_limit},
    {{"limits", "peer_download_rate", vt::size, am::live, "bytes/s", 0, tib, {},
      "Download rate of each peer connection; 0 = unlimited."},
     &settings::peer_download_rate_limit},
    {{"limits", "peer_upload_rate", vt::size, am::live, "bytes/s", 0, tib, {},
      "Upload rate to each peer connection; 0 = unlimited."},
     &settings::peer_upload_rate_limit},

    // ---- security
    {{"security", "hash_failures_to_ban", vt::integer, am::live, "", 1, 1000, {},
      "A peer that sent data for this many pieces that failed their hash check is banned."},
     &settings::hash_failures_to_ban},

    // ---- discovery
    {{"discovery", "announce_to_all_tiers", vt::boolean, am::restart, "", 0, 0, {},
      "Announce to one tracker of every tier at once; false (BEP 12) uses the first tier that has a working "
      "tracker and moves to the next tier only when all of its trackers fail."},
     &settings::announce_to_all_tiers},
    {{"discovery", "tracker_num_want", vt::integer, am::restart, "", 0, 2000, {},
      "Peers asked from a tracker per announce."},
     &settings::tracker_num_want},
    {{"discovery", "tracker_http_timeout_s", vt::integer, am::restart, "s", 1, 600, {},
      "Time allowed for a whole HTTP(S) announce, redirects included."},
     &settings::tracker_http_timeout_s},
    {{"discovery", "tracker_udp_timeout_s", vt::integer, am::restart, "s", 1, 60, {},
      "First wait for a UDP tracker's answer; doubled after each retransmission (BEP 15)."},
     &settings::tracker_udp_timeout_s},
    {{"discovery", "tracker_udp_retries", vt::integer, am::restart, "", 0, 8, {},
      "UDP retransmissions before an announce counts as failed (BEP 15 allows up to 8)."},
     &settings::tracker_udp_retries},
    {{"discovery", "pex", vt::boolean, am::live, "", 0, 0, {},
      "Exchange peer addresses with connected peers (BEP 11 ut_pex); never done for private torrents."},
     &settings::enable_pex},

    // ---- state
    {{"state", "resume_db", vt::string, am::restart, "", 0, 4096, {},
      "Path of the fast-resume database (SQLite); empty = no fast resume."},
     &settings::resume_db},

    // ---- daemon
    {{"daemon", "state_dir", vt::string, am::restart, "", 0, 4096, {},
      "Directory of the daemon's state (torrent list, resume data, API token, lock); empty = "
      "$XDG_STATE_HOME/ccbt (~/.local/state/ccbt)."},
     &settings::daemon_state_dir},
    {{"daemon", "api_bind", vt::string, am::restart, "", 1, 64, {},
      "Numeric IP address the HTTP/JSON API listens on; keep it on loopback unless you know why not."},
     &settings::api_bind, &check_ip},
    {{"daemon", "api_port", vt::integer, am::restart, "", 0, 65535, {},
      "TCP port of the HTTP/JSON API; 0 picks a free port (the bound address is written to "
      "<state_dir>/api.endpoint)."},
     &settings::api_port},
    {{"daemon", "api_max_connections", vt::integer, am::restart, "", 1, 10'000, {},
      "API connections open at once; further ones are answered 503 and closed."},
     &settings::api_max_connections},
    {{"daemon", "api_max_body", vt::size, am::restart, "bytes", 64 * kib, gib, {},
      "Largest API request body (a .torrent upload is base64 in JSON: 4/3 of the file); larger ones get 413."},
     &settings::api_max_body_bytes},
};

constexpr std::size_t table_size = sizeof table / sizeof table[0];

const std::array<key_info, table_size>& infos() {
  static const auto a = [] {
    std::array<key_info, table_size> out{};
    for (std::size_t i = 0; i < table_size; ++i) out[i] = table[i].info;
    return out;
  }();
  return a;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// A quoted string from the environment or --set: "..." or '...', \" and \\ unescaped in "...".
std::string unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '\'' && s.back() == '\'') return std::string(s.substr(1, s.size() - 2));
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::string(s);
  std::string out;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\' && i + 2 < s.size()) ++i;
    out.push_back(s[i]);
  }
  return out;
}

std::string kind_of(const value& v) {
  switch (v.index()) {
    case 0: return std::get<bool>(v) ? "true" : "false";
    case 1: return std::to_string(std::get<std::int64_t>(v));
    case 2: return "the string " + quote(std::get<std::string>(v));
    default: return "an array";
  }
}

std::string range_text(std::int64_t lo, std::int64_t hi) { return std::to_string(lo) + ".." + std::to_string(hi); }

// Bytes as TOML: 0 or an exact multiple of KiB/MiB/GiB/TiB as "N MiB", else the integer.
std::string size_text(std::int64_t n) {
  if (n > 0) {
    static constexpr std::pair<std::int64_t, std::string_view> units[] = {{tib, "TiB"}, {gib, "GiB"}, {mib, "MiB"}, {kib, "KiB"}};
    for (const auto& [mult, name] : units)
      if (n % mult == 0) return "\"" + std::to_string(n / mult) + " " + std::string(name) + "\"";
  }
  return std::to_string(n);
}

std::optional<problem> check_string(const descriptor& d, const std::string& s, const std::string& where) {
  if (!valid_utf8(s)) return problem{errc::invalid_value, where + "is not valid UTF-8"};
  if (d.check_string) {
    auto msg = d.check_string(s);
    if (!msg.empty()) return problem{errc::invalid_value, where + msg + ", got " + quote(s)};
  }
  return std::nullopt;
}

}  // namespace

std::span<const descriptor> descriptors() noexcept { return table; }

const descriptor* find(std::string_view section, std::string_view key) noexcept {
  for (const auto& d : table)
    if (d.info.section == section && d.info.key == key) return &d;
  return nullptr;
}

const descriptor& of(const key_info& k) noexcept {
  const auto i = static_cast<std::size_t>(&k - infos().data());
  assert(i < table_size);
  return table[i];
}

value read(const settings& s, const descriptor& d) {
  return std::visit(
      [&](auto member) -> value {
        using t = std::remove_cvref_t<decltype(s.*member)>;
        const auto& f = s.*member;
        if constexpr (std::is_same_v<t, bool>) return f;
        else if constexpr (std::is_same_v<t, std::string> || std::is_same_v<t, std::vector<std::string>>) return f;
        else if constexpr (std::is_enum_v<t>) {
          const auto i = static_cast<std::size_t>(f);
          // An enumerator without a name (only from code, never from a file) fails check().
          return i < d.info.choices.size() ? std::string(d.info.choices[i]) : "#" + std::to_string(i);
        }
        else return static_cast<std::int64_t>(f);
      },
      d.member);
}

void write(settings& s, const descriptor& d, const value& v) {
  std::visit(
      [&](auto member) {
        using t = std::remove_cvref_t<decltype(s.*member)>;
        auto& f = s.*member;
        if constexpr (std::is_same_v<t, bool>) f = std::get<bool>(v);
        else if constexpr (std::is_same_v<t, std::string> || std::is_same_v<t, std::vector<std::string>>) f = std::get<t>(v);
        else if constexpr (std::is_enum_v<t>) {
          const auto& name = std::get<std::string>(v);
          const auto& c = d.info.choices;
          f = static_cast<t>(std::find(c.begin(), c.end(), name) - c.begin());
        } else f = static_cast<t>(std::get<std::int64_t>(v));
      },
      d.member);
}

std::optional<problem> check(const descriptor& d, value& v) {
  const auto& k = d.info;
  const auto wrong = [&] { return problem{errc::wrong_type, "expected " + expected_value(k) + ", got " + kind_of(v)}; };
  switch (k.type) {
    case value_type::boolean:
      if (!std::holds_alternative<bool>(v)) return wrong();
      return std::nullopt;
    case value_type::size:
      if (auto* s = std::get_if<std::string>(&v)) {
        const auto n = parse_size(*s, k.unit == "bytes/s");
        if (!n) return problem{errc::invalid_value, "expected " + expected_value(k) + ", got " + quote(*s)};
        v = *n;
      }
      [[fallthrough]];
    case value_type::integer: {
      const auto* n = std::get_if<std::int64_t>(&v);
      if (!n) return wrong();
      if (*n < k.min || *n > k.max) return problem{errc::out_of_range, "expected " + expected_value(k) + ", got " + std::to_string(*n)};
      return std::nullopt;
    }
    case value_type::string: {
      const auto* s = std::get_if<std::string>(&v);
      if (!s) return wrong();
      if (static_cast<std::int64_t>(s->size()) < k.min || static_cast<std::int64_t>(s->size()) > k.max)
        return problem{errc::out_of_range, "expected " + expected_value(k) + ", got " + std::to_string(s->size()) + " characters"};
      return check_string(d, *s, "");
    }
    case value_type::string_list: {
      if (auto* s = std::get_if<std::string>(&v)) v = std::vector<std::string>{*s};
      const auto* l = std::get_if<std::vector<std::string>>(&v);
      if (!l) return wrong();
      if (static_cast<std::int64_t>(l->size()) < k.min || static_cast<std::int64_t>(l->size()) > k.max)
        return problem{errc::out_of_range, "expected " + expected_value(k) + ", got " + std::to_string(l->size()) + " entries"};
      for (std::size_t i = 0; i < l->size(); ++i)
        if (auto p = check_string(d, (*l)[i], "entry " + std::to_string(i + 1) + ": ")) return p;
      return std::nullopt;
    }
    case value_type::choice: {
      const auto* s = std::get_if<std::string>(&v);
      if (!s) return wrong();
      if (std::find(k.choices.begin(), k.choices.end(), *s) == k.choices.end())
        return problem{errc::invalid_value, "expected " + expected_value(k) + ", got " + quote(*s)};
      return std::nullopt;
    }
  }
  return wrong();
}

std::optional<problem> from_text(const descriptor& d, std::string_view raw, value& out) {
  const auto text = trim(raw);
  const auto& k = d.info;
  switch (k.type) {
    case value_type::boolean:
      for (const auto t : {"true", "yes", "on", "1"})
        if (iequals(text, t)) { out = true; return std::nullopt; }
      for (const auto f : {"false", "no", "off", "0"})
        if (iequals(text, f)) { out = false; return std::nullopt; }
      return problem{errc::wrong_type, "expected true or false, got " + quote(text)};
    case value_type::integer: {
      std::string digits;
      for (std::size_t i = 0; i < text.size(); ++i) {
        const bool sep = text[i] == '_' && i > 0 && i + 1 < text.size();
        if (!sep) digits.push_back(text[i]);
      }
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (digits.empty() || end != digits.data() + digits.size() || (ec != std::errc{} && ec != std::errc::result_out_of_range))
        return problem{errc::wrong_type, "expected " + expected_value(k) + ", got " + quote(text)};
      if (ec == std::errc::result_out_of_range)
        return problem{errc::out_of_range, "expected " + expected_value(k) + ", got " + std::string(text)};
      out = n;
      return std::nullopt;
    }
    case value_type::size:
    case value_type::string:
    case value_type::choice:
      out = unquote(text);
      return std::nullopt;
    case value_type::string_list: {
      std::string_view body = text;
      const bool bracketed = body.size() >= 2 && body.front() == '[' && body.back() == ']';
      if (bracketed) body = body.substr(1, body.size() - 2);
      std::vector<std::string> items;
      std::size_t start = 0;
      char in_quote = 0;
      for (std::size_t i = 0; i <= body.size(); ++i) {
        if (i < body.size() && in_quote) {
          if (body[i] == '\\' && in_quote == '"') ++i;
          else if (body[i] == in_quote) in_quote = 0;
          continue;
        }
        if (i < body.size() && (body[i] == '"' || body[i] == '\'')) { in_quote = body[i]; continue; }
        if (i == body.size() || body[i] == ',') {
          const auto item = trim(body.substr(start, std::min(i, body.size()) - start));
          if (!item.empty()) items.push_back(unquote(item));
          start = i + 1;
        }
      }
      if (in_quote) return problem{errc::invalid_value, "unterminated quote in " + quote(text)};
      out = std::move(items);
      return std::nullopt;
    }
  }
  return problem{errc::wrong_type, "unsupported key type"};
}

std::string to_toml(const descriptor& d, const value& v) {
  switch (v.index()) {
    case 0: return std::get<bool>(v) ? "true" : "false";
    case 1: {
      const auto n = std::get<std::int64_t>(v);
      return d.info.type == value_type::size ? size_text(n) : std::to_string(n);
    }
    case 2: return quote(std::get<std::string>(v));
    default: {
      std::string out = "[";
      const auto& l = std::get<std::vector<std::string>>(v);
      for (std::size_t i = 0; i < l.size(); ++i) {
        if (i) out += ", ";
        out += quote(l[i]);
      }
      return out + "]";
    }
  }
}

std::optional<std::int64_t> parse_size(std::string_view raw, bool per_second) {
  auto text = trim(raw);
  if (per_second && text.size() >= 2 && text.substr(text.size() - 2) == "/s") text = trim(text.substr(0, text.size() - 2));
  std::size_t i = 0;
  __extension__ using u128 = unsigned __int128;
  u128 whole = 0;
  std::size_t digits = 0;
  const u128 cap = u128{1} << 100;  // far above int64, below overflow of the arithmetic below
  for (; i < text.size() && ((text[i] >= '0' && text[i] <= '9') || (text[i] == '_' && digits > 0)); ++i) {
    if (text[i] == '_') continue;
    whole = whole * 10 + static_cast<unsigned>(text[i] - '0');
    if (whole > cap) return std::nullopt;
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  u128 frac = 0, frac_scale = 1;
  if (i < text.size() && text[i] == '.') {
    ++i;
    std::size_t fd = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++fd) {
      if (fd >= 18) return std::nullopt;
      frac = frac * 10 + static_cast<unsigned>(text[i] - '0');
      frac_scale *= 10;
    }
    if (fd == 0) return std::nullopt;
  }
  const auto unit = trim(text.substr(i));
  static constexpr std::pair<std::string_view, std::int64_t> units[] = {
      {"", 1},          {"b", 1},          {"kb", 1000},      {"kib", kib},      {"mb", 1000'000},
      {"mib", mib},     {"gb", 1000'000'000}, {"gib", gib},   {"tb", 1000'000'000'000}, {"tib", tib}};
  for (const auto& [name, mult] : units) {
    if (!iequals(unit, name)) continue;
    if (mult == 1 && frac_scale != 1) return std::nullopt;  // no fractions of a byte
    const u128 bytes = whole * static_cast<u128>(mult) + frac * static_cast<u128>(mult) / frac_scale;
    if (bytes > static_cast<u128>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(bytes);
  }
  return std::nullopt;
}

std::string quote(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (b < 0x20 || b == 0x7f) {
          out += "\\u00";
          out.push_back(hex[b >> 4]);
          out.push_back(hex[b & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (lower(a[i - 1]) == lower(b[j - 1]) ? 0u : 1u)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string cross_check(const settings& s) {
  if (s.min_request_queue > s.max_request_queue)
    return "strategy.min_request_queue (" + std::to_string(s.min_request_queue) +
           ") is larger than strategy.max_request_queue (" + std::to_string(s.max_request_queue) + ")";
  return {};
}

}  // namespace detail

std::string key_info::name() const {
  std::string out(section);
  out += '.';
  out += key;
  return out;
}

std::span<const key_info> keys() noexcept { return detail::infos(); }

std::vector<std::string_view> sections() {
  std::vector<std::string_view> out;
  for (const auto& k : keys())
    if (out.empty() || out.back() != k.section) out.push_back(k.section);
  return out;
}

const key_info* find_key(std::string_view name) noexcept {
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return nullptr;
  const auto* d = detail::find(name.substr(0, dot), name.substr(dot + 1));
  return d ? &keys()[static_cast<std::size_t>(d - detail::descriptors().data())] : nullptr;
}

std::string closest_key(std::string_view name) {
  if (name.size() > 128) return {};
  const auto dot = name.find('.');
  const auto key_part = dot == std::string_view::npos ? name : name.substr(dot + 1);
  const auto section = dot == std::string_view::npos ? std::string_view{} : name.substr(0, dot);
  std::size_t best = std::numeric_limits<std::size_t>::max();
  std::string best_name;
  for (const auto& k : keys()) {
    const auto full = k.name();
    // The key part alone, plus one for a wrong section, so a right key in the wrong section (or
    // without one) is as close as a single typo. A key that starts the other (prealloc,
    // download_rate_limit) counts as one typo too.
    std::size_t by_key = detail::edit_distance(key_part, k.key);
    const auto shorter = std::min(key_part.size(), k.key.size());
    if (shorter >= 4 && detail::edit_distance(key_part.substr(0, shorter), k.key.substr(0, shorter)) == 0)
      by_key = std::min<std::size_t>(by_key, 1);
    if (!section.empty() && section != k.section) ++by_key;
    const std::size_t d = std::min(detail::edit_distance(name, full), by_key);
    if (d < best) {
      best = d;
      best_name = full;
    }
  }
  const std::size_t limit = std::max<std::size_t>(2, key_part.size() / 4);
  return best <= limit ? best_name : std::string{};
}

std::string value_to_toml(const settings& s, const key_info& k) {
  const auto& d = detail::of(k);
  return detail::to_toml(d, detail::read(s, d));
}

std::string expected_value(const key_info& k) {
  using detail::range_text;
  switch (k.type) {
    case value_type::boolean: return "true or false";
    case value_type::integer: return "an integer in " + range_text(k.min, k.max);
    case value_type::size:
      return "a size in " + std::string(k.unit) + " in " + range_text(k.min, k.max) +
             " (an integer, or a string such as \"16 MiB\")";
    case value_type::string:
      return k.min > 0 ? "a string of " + range_text(k.min, k.max) + " characters"
                       : "a string of at most " + std::to_string(k.max) + " characters";
    case value_type::string_list:
      return "an array of " + range_text(k.min, k.max) + " strings";
    case value_type::choice: {
      std::string out = "one of ";
      for (std::size_t i = 0; i < k.choices.size(); ++i) {
        if (i) out += ", ";
        out += detail::quote(k.choices[i]);
      }
      return out;
    }
  }
  return "a value";
}

}  // namespace ccbt::config
