// The embedded tracker's HTTP side as pure functions: request targets in, bencoded bodies out.
// Fuzzed with the HTTP response parser (tests/fuzz/tracker_http.cpp).
//
// Invariants: every value is percent-decoded and checked (info_hash and peer_id exactly 20 bytes,
// port 0..65535 and non-zero unless the event is "stopped", counters unsigned 64-bit, numwant
// 0..max); the sender's address always comes from the socket, never from "ip" parameters.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ccbt/error.hpp>

#include "tracker/errors.hpp"
#include "tracker/types.hpp"

namespace ccbt::tracker::server {

struct http_announce {
  announce_request request;  // key and tracker_id are not interpreted
  bool compact = true;       // compact=0 asks for a list of dictionaries
  bool no_peer_id = false;
};

// A request target split at '?': "/announce" and "info_hash=...".
struct target_parts {
  std::string_view path;
  std::string_view query;
};
[[nodiscard]] target_parts split_target(std::string_view target) noexcept;

[[nodiscard]] result<http_announce> parse_announce_query(std::string_view query);
// Up to max_hashes info_hash parameters (more is an error); none is an error too.
[[nodiscard]] result<std::vector<sha1_hash>> parse_scrape_query(std::string_view query, std::size_t max_hashes);

struct announce_reply {
  std::uint32_t interval = 0;
  std::uint32_t min_interval = 0;
  std::int64_t complete = 0;
  std::int64_t incomplete = 0;
  std::int64_t downloaded = 0;
  std::vector<peer_entry> peers;  // IPv4 ones go to "peers", IPv6 ones to "peers6" when compact
};

[[nodiscard]] std::string encode_announce_reply(const announce_reply& r, bool compact, bool no_peer_id);
[[nodiscard]] std::string encode_scrape_reply(std::span<const scrape_entry> entries);
[[nodiscard]] std::string encode_failure(std::string_view reason);

}  // namespace ccbt::tracker::server
