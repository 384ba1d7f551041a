// Snapshots of torrent, peer and session state for the application.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ccbt/hash.hpp>

namespace ccbt {

// downloading_metadata: added from a magnet link, fetching the info dictionary from peers (BEP 9).
enum class torrent_state : std::uint8_t { checking, downloading, seeding, paused, error, downloading_metadata };
[[nodiscard]] const char* to_string(torrent_state s) noexcept;

struct torrent_status {
  info_hash hashes;
  std::string name;
  torrent_state state = torrent_state::checking;
  std::uint64_t total_wanted = 0;       // bytes of wanted files (pad files excluded)
  std::uint64_t total_wanted_done = 0;  // verified bytes of wanted files
  std::uint32_t num_pieces = 0;
  std::uint32_t pieces_done = 0;
  double progress = 0;                  // total_wanted_done / total_wanted
  std::int64_t download_rate = 0;       // payload bytes/s, averaged over a few seconds
  std::int64_t upload_rate = 0;
  std::uint64_t total_downloaded = 0;   // payload bytes received this session
  std::uint64_t total_uploaded = 0;
  std::uint64_t total_failed_bytes = 0; // bytes of pieces that failed their hash
  int num_peers = 0;                    // connected
  int num_seeds = 0;
  int num_unchoked = 0;                 // peers we upload to
  std::string error;                    // when state == error
};

// How a connection is protected (MSE/PE, network.encryption).
enum class peer_encryption : std::uint8_t {
  none,       // plain BitTorrent handshake
  handshake,  // MSE handshake, plaintext payload
  rc4,        // MSE handshake, RC4 on every byte
};
// "none", "handshake", "rc4".
[[nodiscard]] const char* to_string(peer_encryption e) noexcept;

struct peer_info {
  std::string endpoint;                 // "ip:port"
  std::string client;                   // from the extension handshake "v", or the peer id
  bool incoming = false;
  peer_encryption encryption = peer_encryption::none;
  bool seed = false;
  bool choked = true;                   // we choke them
  bool interested = false;              // they are interested in us
  bool peer_choked = true;              // they choke us
  bool am_interested = false;
  bool snubbed = false;
  std::int64_t download_rate = 0;
  std::int64_t upload_rate = 0;
  std::uint64_t total_downloaded = 0;
  std::uint64_t total_uploaded = 0;
  int request_queue = 0;                // our outstanding requests to them
  int target_queue = 0;                 // the depth the pipeline aims for
  double progress = 0;                  // fraction of pieces they have
};

enum class tracker_state : std::uint8_t {
  not_contacted,  // not announced to yet (or the torrent is stopped)
  updating,       // an announce is in flight
  working,        // the last announce succeeded
  failing,        // the last announce failed; retried later
};
[[nodiscard]] const char* to_string(tracker_state s) noexcept;

// One tracker of a torrent (torrent_handle::trackers()), in announce order.
struct tracker_status {
  std::string url;
  int tier = 0;                             // BEP 12 tier, 0 = first
  tracker_state state = tracker_state::not_contacted;
  int fails = 0;                            // consecutive failed announces
  std::string last_error;                   // message of the last failure ("" after a success)
  std::string warning;                      // "warning message" of the last reply
  std::optional<std::int64_t> seeds;        // from the last reply that gave them
  std::optional<std::int64_t> leechers;
  std::optional<std::int64_t> downloaded;
  std::optional<std::int64_t> next_announce_s;  // seconds until the next announce; none: not scheduled
  std::optional<std::int64_t> last_announce_s;  // seconds since the last successful announce
  std::int64_t interval_s = 0;              // the tracker's interval (after clamping); 0 until a reply
  std::int64_t min_interval_s = 0;
};

struct session_stats {
  std::int64_t download_rate = 0;
  std::int64_t upload_rate = 0;
  std::uint64_t total_downloaded = 0;
  std::uint64_t total_uploaded = 0;
  int num_peers = 0;
  int num_torrents = 0;
  std::uint64_t disk_write_buffer_bytes = 0;
  std::uint64_t disk_queue = 0;
};

}  // namespace ccbt
