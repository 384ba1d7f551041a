// Alerts: what the session tells the application (and, later, the daemon API and bitonic).
//
// Alerts are produced on the network thread and queued; the application drains them with
// session::pop_alerts() or waits with session::wait_for_alert(). Every failure a user can see (a file
// that cannot be written, a peer banned, a listen socket that failed) arrives as an alert with its
// context (torrent, peer, file) and a one-line message.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

#include <ccbt/hash.hpp>

namespace ccbt {

enum class alert_kind : std::uint8_t {
  listen_succeeded,
  listen_failed,
  torrent_added,
  torrent_removed,
  torrent_checked,       // initial check / resume validation finished
  torrent_finished,      // all wanted pieces verified
  torrent_paused,
  torrent_resumed,
  torrent_error,         // the torrent stopped because of an error (e.g. disk full)
  piece_finished,        // a piece passed its hash check
  hash_failed,           // a piece failed its hash check and will be downloaded again
  peer_connected,
  peer_disconnected,     // with the reason
  peer_banned,
  peer_error,            // a protocol violation (the connection was closed)
  storage_error,         // a file could not be read or written
  resume_error,
  tracker_reply,         // a tracker answered an announce (peers: how many it returned)
  tracker_warning,       // a tracker answered with a "warning message"
  tracker_error,         // an announce to one tracker failed (the others are unaffected)
  metadata_received,     // magnet: the info dictionary arrived and matched the info-hash
  metadata_failed,       // magnet: a peer sent metadata that failed the hash check, or it is unusable
};

[[nodiscard]] const char* to_string(alert_kind k) noexcept;

struct alert {
  alert_kind kind{};
  std::chrono::system_clock::time_point when{};
  std::optional<sha1_hash> torrent;      // info_hash::id() of the torrent concerned
  std::string torrent_name;
  std::string peer;                      // "ip:port" when a peer is concerned
  std::optional<std::uint32_t> piece;
  std::error_code error;
  std::string message;                   // one human line, including the context above
  std::string tracker_url;               // tracker_* alerts: the tracker concerned
  int num_peers = 0;                     // tracker_reply: peers in the reply
};

}  // namespace ccbt
