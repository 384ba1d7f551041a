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
#include <ccbt/settings.hpp>

#include "rpc/api_error.hpp"

namespace ccbt::rpc {

// Largest .torrent file accepted (after base64 decoding).
inline constexpr std::size_t max_torrent_size = std::size_t{8} << 20;
// Most entries in a list field (peers, priorities).
inline constexpr std::size_t max_list_entries = 100'000;

// POST /api/v1/torrents
struct add_request {
  std::string torrent;                 // the .torrent file's bytes (decoded from base64)
  std::string save_path;               // absolute
  bool paused = false;
  std::vector<std::uint8_t> file_priorities;  // index = file; 0..7
  std::optional<piece_strategy> strategy;
  std::vector<std::string> peers;      // "host:port"
};
[[nodiscard]] api_result<add_request> parse_add_request(std::string_view body);

// POST /api/v1/torrents/{id}/files: {"priorities": {"0": 7, "3": 0}} or [[0, 7], [3, 0]]
[[nodiscard]] api_result<std::vector<std::pair<std::uint32_t, std::uint8_t>>> parse_file_priorities(std::string_view body);

// POST /api/v1/torrents/{id}/peers: {"peers": ["127.0.0.1:6881"]}
[[nodiscard]] api_result<std::vector<std::string>> parse_peers_request(std::string_view body);

// POST /api/v1/torrents/{id}/options: {"strategy": "sequential"}
struct options_request {
  std::optional<piece_strategy> strategy;
};
[[nodiscard]] api_result<options_request> parse_options_request(std::string_view body);

// PUT /api/v1/config/{key}: {"value": "16 MiB"} (a string as typed for --set; numbers and booleans
// are taken as their text).
[[nodiscard]] api_result<std::string> parse_config_value(std::string_view body);

// "rarest_first" | "sequential" | "round_robin"
[[nodiscard]] std::optional<piece_strategy> parse_strategy(std::string_view s);
[[nodiscard]] const char* strategy_name(piece_strategy s);

// A torrent id in a path: 40 hex digits (info_hash::id()).
[[nodiscard]] api_result<sha1_hash> parse_torrent_id(std::string_view text);

// Strict RFC 4648 base64 (padding required, no whitespace); nullopt when malformed.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view in);
[[nodiscard]] std::string base64_encode(std::string_view in);

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
