// Parsing of API request bodies (JSON) and targets into typed commands — pure, no I/O, fuzzed by
// tests/fuzz/rpc_request.cpp.
//
// Every function rejects malformed input with an api_error naming the field and what was expected
// (status 400, or 413 for a .torrent over max_torrent_size). Unknown fields are rejected too, so a
// misspelt option is never silently ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ccbt/hash.hpp>
#include <ccbt/rpc_client.hpp>
#include <ccbt/settings.hpp>

#include "rpc/api_error.hpp"
#include "rpc/stream_setting.hpp"

namespace ccbt::rpc {

// Largest .torrent file accepted (after base64 decoding).
inline constexpr std::size_t max_torrent_size = std::size_t{8} << 20;
// Longest magnet link accepted.
inline constexpr std::size_t max_magnet_size = 64 * 1024;
// Most entries in a list field (peers, priorities).
inline constexpr std::size_t max_list_entries = 100'000;

// POST /api/v1/torrents
struct add_request {
  std::string torrent;                 // the .torrent file's bytes (decoded from base64), or
  std::string magnet;                  // a magnet link (exactly one of the two is set)
  std::string save_path;               // absolute
  bool paused = false;
  std::vector<std::uint8_t> file_priorities;  // index = file; 0..7
  std::optional<piece_strategy> strategy;
  std::vector<std::string> peers;      // "host:port"
  std::optional<std::int64_t> download_rate_limit;  // the torrent's own limits (bytes/s, 0 = unlimited)
  std::optional<std::int64_t> upload_rate_limit;
  std::optional<stream_setting> stream;  // fetch this file position first ("stream": {"file", "offset"})
};
[[nodiscard]] api_result<add_request> parse_add_request(std::string_view body);

// POST /api/v1/torrents/{id}/files: {"priorities": {"0": 7, "3": 0}} or [[0, 7], [3, 0]]
[[nodiscard]] api_result<std::vector<std::pair<std::uint32_t, std::uint8_t>>> parse_file_priorities(std::string_view body);

// POST /api/v1/torrents/{id}/peers: {"peers": ["127.0.0.1:6881"]}
[[nodiscard]] api_result<std::vector<std::string>> parse_peers_request(std::string_view body);

// POST /api/v1/torrents/{id}/options: {"strategy": "sequential", "download_rate_limit": 1048576,
// "upload_rate_limit": null, "max_connections": 20, "unchoke_slots": 4,
// "stream": {"file": 0, "offset": 1048576}}. A field given as null goes
// back to following the session's settings; a field left out is unchanged.
template <class T>
struct option_change {
  bool present = false;
  std::optional<T> value;  // nullopt with present: cleared
};
struct options_request {
  option_change<piece_strategy> strategy;
  option_change<std::int64_t> download_rate_limit;  // bytes/s, 0 = unlimited
  option_change<std::int64_t> upload_rate_limit;
  option_change<int> max_connections;
  option_change<int> unchoke_slots;
  option_change<stream_setting> stream;  // null: stop streaming
};
[[nodiscard]] api_result<options_request> parse_options_request(std::string_view body);

// PUT /api/v1/config/{key}: {"value": "16 MiB"} (a string as typed for --set; numbers and booleans
// are taken as their text).
[[nodiscard]] api_result<std::string> parse_config_value(std::string_view body);

// POST /api/v1/torrents/{id}/trackers: {"url": "udp://tracker.example:6969/announce", "tier": 0}
struct tracker_request {
  std::string url;
  int tier = 0;
};
[[nodiscard]] api_result<tracker_request> parse_tracker_request(std::string_view body);
// http://, https:// or udp:// followed by printable ASCII, at most 2048 characters.
[[nodiscard]] bool plausible_tracker_url(std::string_view url);

// "rarest_first" | "sequential" | "round_robin"
[[nodiscard]] std::optional<piece_strategy> parse_strategy(std::string_view s);
[[nodiscard]] const char* strategy_name(piece_strategy s);

// A torrent id in a path: 40 hex digits (info_hash::id()).
[[nodiscard]] api_result<sha1_hash> parse_torrent_id(std::string_view text);

// Strict RFC 4648 base64 (padding required, no whitespace); nullopt when malformed. The encoder,
// public for clients, is in <ccbt/rpc_client.hpp>.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view in);

// An HTTP request target split into path segments and query parameters (percent-decoded).
struct target {
  std::vector<std::string> segments;   // "/api/v1/torrents/ab" -> {"api", "v1", "torrents", "ab"}
  std::vector<std::pair<std::string, std::string>> query;
  [[nodiscard]] std::optional<std::string_view> param(std::string_view name) const;
};
[[nodiscard]] api_result<target> parse_target(std::string_view text);
// "true"/"1"/"false"/"0" (a query flag); error names the parameter.
[[nodiscard]] api_result<bool> parse_flag(std::string_view name, std::string_view value);

// "host:port" with a port in 1..65535 (IPv6 in brackets).
[[nodiscard]] bool valid_peer_address(std::string_view s);

}  // namespace ccbt::rpc
