// Tracker URLs: parsing (http, https, udp), announce/scrape query building (BEP 3, 23, 48),
// redirect resolution, percent-encoding. Pure: no I/O, no name resolution.
//
// Invariants of a tracker_url that parse_tracker_url() returns: scheme is one of the three; host is
// non-empty and is an IPv4 literal, an IPv6 literal (brackets removed, ipv6_literal set) or a DNS
// name of [A-Za-z0-9._-]; port is 1..65535 (the scheme default when absent; udp requires one);
// target starts with '/' and holds the path and query without the fragment.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <ccbt/error.hpp>
#include <ccbt/hash.hpp>

#include "tracker/errors.hpp"
#include "tracker/types.hpp"

namespace ccbt::tracker {

enum class url_scheme : std::uint8_t { http, https, udp };

struct tracker_url {
  url_scheme scheme = url_scheme::http;
  std::string host;
  std::uint16_t port = 0;
  std::string target = "/";
  bool ipv6_literal = false;

  // "host", "host:port", "[v6]:port" — the port only when it is not the scheme's default.
  [[nodiscard]] std::string authority() const;
  [[nodiscard]] std::string to_string() const;  // scheme://authority target
};

inline constexpr std::size_t max_url_size = 4096;

[[nodiscard]] result<tracker_url> parse_tracker_url(std::string_view url);

// Every byte except the unreserved set [A-Za-z0-9-._~] as %XX (upper-case hex).
[[nodiscard]] std::string percent_encode(std::string_view bytes);
// %XX decoded; '+' decodes to a space (form encoding). A '%' not followed by two hex digits: error.
[[nodiscard]] result<std::string> percent_decode(std::string_view text);

// The full announce URL: the tracker's URL (fragment removed) with the BEP 3 / BEP 23 parameters
// appended (info_hash, peer_id, port, uploaded, downloaded, left, key, event, numwant, compact=1,
// trackerid).
[[nodiscard]] std::string announce_url(std::string_view tracker, const announce_request& req);

// BEP 48: the scrape URL of an announce URL — the last path component must start with "announce",
// which becomes "scrape" (query kept). UDP URLs scrape at the same address (returned unchanged).
[[nodiscard]] result<std::string> scrape_url(std::string_view announce);

// The scrape URL with one info_hash parameter per hash.
[[nodiscard]] std::string scrape_request_url(std::string_view scrape, std::span<const sha1_hash> hashes);

// The absolute URL a Location header points to, relative to the URL that answered with it
// (absolute, scheme-relative "//host/p", absolute-path "/p" and relative "p" references).
[[nodiscard]] result<std::string> resolve_redirect(std::string_view base, std::string_view location);

}  // namespace ccbt::tracker
