// Engine settings: every knob of the session, grouped, each with its default.
//
// A plain value type. The session copies it at construction; session::apply_settings() changes the
// keys that can change live (rates, limits, choker slots, ...). The TOML configuration maps 1:1 onto
// these fields (docs/configuration.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ccbt {

enum class piece_strategy : std::uint8_t { rarest_first, sequential, round_robin };
// The names of the strategies, in enum order: the configuration, the API, btbt and the resume store
// all spell them this way.
inline constexpr std::array<std::string_view, 3> piece_strategy_names = {"rarest_first", "sequential",
                                                                          "round_robin"};
[[nodiscard]] constexpr std::string_view to_string(piece_strategy s) noexcept {
  return piece_strategy_names[static_cast<std::size_t>(s)];
}
[[nodiscard]] constexpr std::optional<piece_strategy> parse_piece_strategy(std::string_view s) noexcept {
  for (std::size_t i = 0; i < piece_strategy_names.size(); ++i)
    if (s == piece_strategy_names[i]) return static_cast<piece_strategy>(i);
  return std::nullopt;
}
enum class preallocation : std::uint8_t { none, sparse, full };
// How seeding reads file data: pread = read into a buffer, then send it; mmap = memory-mapped files
// sent without a copy in ccbt (pread where a file cannot be mapped).
enum class disk_read_mode : std::uint8_t { pread, mmap };
// MSE/PE (Message Stream Encryption) handshakes: enabled = incoming plaintext or MSE, outgoing MSE
// first and plaintext once if that fails; required = MSE only, both ways; disabled = plaintext only.
enum class encryption_policy : std::uint8_t { enabled, required, disabled };
// What follows an MSE handshake: the methods we offer (outgoing) / accept (incoming) and the one we
// pick when the peer offers both.
enum class payload_encryption : std::uint8_t { prefer_plaintext, prefer_rc4, rc4_only, plaintext_only };

struct settings {
  // ---- network
  // "ip:port" to listen on; port 0 = any free port. IPv6 as "[::1]:6881".
  std::vector<std::string> listen_interfaces = {"0.0.0.0:6881"};
  std::string peer_id_prefix = "-CC0010-";   // Azureus-style client id (8 chars)
  int max_connections = 200;                 // all torrents together
  int max_connections_per_torrent = 60;
  int max_half_open = 32;                    // outgoing connects in progress
  int peer_connect_timeout_ms = 10'000;
  int handshake_timeout_ms = 20'000;
  int inactivity_timeout_s = 120;            // no message at all for this long -> disconnect
  int max_peer_list_size = 1000;             // candidate addresses kept per torrent
  bool enable_pex = true;                    // BEP 11 peer exchange (never on private torrents)
  encryption_policy encryption = encryption_policy::enabled;        // MSE/PE handshakes
  payload_encryption encryption_payload = payload_encryption::prefer_plaintext;  // after MSE

  // ---- requests and picking
  piece_strategy strategy = piece_strategy::rarest_first;
  int min_request_queue = 16;                // per-peer outstanding block requests, lower bound
  int max_request_queue = 250;               // upper bound (also capped by the peer's reqq)
  int request_queue_time_ms = 2000;          // target: rate x this = bytes in flight per peer
  int request_timeout_s = 20;                // a block not received in this time goes to another peer
  int snub_timeout_s = 60;                   // no block for this long while requesting -> snubbed
  int max_allowed_in_request_queue = 500;    // requests we queue for a peer before rejecting (our reqq)
  std::size_t max_metadata_size = std::size_t{16} << 20;  // magnet links: largest info dict fetched

  // ---- choking
  int unchoke_slots = 4;                     // upload slots per torrent, the optimistic one included
  int unchoke_interval_s = 10;
  int optimistic_unchoke_interval_s = 30;

  // ---- disk
  preallocation prealloc = preallocation::sparse;
  std::size_t write_buffer_bytes = std::size_t{32} << 20;  // write-back buffer (back-pressure above)
  int hash_lanes = 16;                       // complete v1 pieces SHA-1-hashed together (AVX-512); 0/1 = off
  int hash_lane_wait_ms = 20;                // longest a complete piece waits for others to hash with
  int disk_threads = 2;                      // pread/pwrite workers
  int hash_threads = 0;                      // 0 = one per core
  int file_pool_size = 256;                  // open file handles
  bool fsync_on_verify = false;              // fdatasync a piece before recording it (power-loss safety)
  disk_read_mode read_mode = disk_read_mode::pread;  // seeding reads: pread into buffers, or mapped files

  // ---- rates (bytes/s, 0 = unlimited)
  std::int64_t download_rate_limit = 0;
  std::int64_t upload_rate_limit = 0;
  std::int64_t peer_download_rate_limit = 0;  // each peer connection
  std::int64_t peer_upload_rate_limit = 0;

  // ---- bans
  int hash_failures_to_ban = 2;              // pieces a peer contributed to that failed their hash

  // ---- discovery (trackers)
  bool announce_to_all_tiers = false;        // BEP 12: false = the first tier that answers only
  int tracker_num_want = 200;                // peers asked for per announce
  int tracker_http_timeout_s = 30;           // a whole HTTP(S) announce, redirects included
  int tracker_udp_timeout_s = 15;            // BEP 15: first wait for a UDP answer, doubled per retry
  int tracker_udp_retries = 2;               // UDP retransmissions before the announce fails

  // ---- state
  std::string resume_db;                     // path of the SQLite fast-resume store ("" = none)

  // ---- daemon (read by the daemon and btbt, not by the session)
  std::string daemon_state_dir;              // "" = $XDG_STATE_HOME/ccbt (~/.local/state/ccbt)
  std::string api_bind = "127.0.0.1";        // address of the HTTP/JSON API
  int api_port = 6880;                       // 0 = any free port (written to <state_dir>/api.endpoint)
  int api_max_connections = 32;              // API connections open at once; more get 503
  std::size_t api_max_body_bytes = std::size_t{16} << 20;  // largest request body (.torrent uploads)
};

}  // namespace ccbt
