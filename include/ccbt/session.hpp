// The session: the engine. It owns one network thread (an asio io_context that holds all protocol
// state), the disk and hash pools, and every torrent. All public calls are thread-safe: they post to
// the network thread and, for queries, wait for the answer.
//
// No asio here: the implementation lives in src/session behind a pointer.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ccbt/add_torrent_params.hpp>
#include <ccbt/alerts.hpp>
#include <ccbt/error.hpp>
#include <ccbt/settings.hpp>
#include <ccbt/stats.hpp>
#include <ccbt/torrent_overrides.hpp>

namespace ccbt {

namespace session_detail {
class session_impl;
class torrent;
}  // namespace session_detail

class torrent_handle {
 public:
  torrent_handle() = default;

  [[nodiscard]] bool valid() const;
  [[nodiscard]] info_hash hashes() const;
  [[nodiscard]] torrent_status status() const;
  [[nodiscard]] std::vector<peer_info> peers() const;
  // One byte per piece: 1 if verified.
  [[nodiscard]] std::vector<bool> have_pieces() const;
  // The metainfo; null while a torrent added from a magnet link is still fetching it.
  [[nodiscard]] std::shared_ptr<const metainfo::torrent_info> torrent_file() const;

  void pause() const;
  void resume() const;
  void add_peer(const std::string& host_port) const;
  void set_file_priority(std::size_t file_index, std::uint8_t priority) const;
  void set_piece_priority(std::uint32_t piece, std::uint8_t priority) const;
  void set_strategy(piece_strategy s) const;  // same as setting overrides().strategy
  void force_recheck() const;

  // Trackers, in announce order (BEP 12 tiers; a tracker that answered moves to the front of its tier).
  [[nodiscard]] std::vector<tracker_status> trackers() const;
  // Adds a tracker at the end of `tier` (a tier past the last makes a new last tier); announced to
  // at once if the torrent is running. False for a URL already present.
  bool add_tracker(const std::string& url, int tier = 0) const;
  // False if no tracker has this URL. No "stopped" is sent to it.
  bool remove_tracker(const std::string& url) const;
  // Announce to the trackers now, as far as each one's min interval allows.
  void force_reannounce() const;
  // Per-torrent overrides, applied at once and saved in the resume store. Replaces all fields.
  void set_overrides(const torrent_overrides& o) const;
  [[nodiscard]] torrent_overrides overrides() const;
  // Fetch the pieces at this file position first, in order (nullopt: stop streaming). false if the
  // torrent or the file does not exist.
  bool set_stream(const std::optional<stream_target>& target) const;

  friend bool operator==(const torrent_handle& a, const torrent_handle& b) { return a.id_ == b.id_; }

 private:
  friend class session_detail::session_impl;
  torrent_handle(std::weak_ptr<session_detail::session_impl> s, sha1_hash id) : s_(std::move(s)), id_(id) {}

  std::weak_ptr<session_detail::session_impl> s_;
  sha1_hash id_{};
};

class session {
 public:
  explicit session(const settings& s = {});
  ~session();  // stops every torrent (flushing disk and resume state) and joins the threads
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  [[nodiscard]] result<torrent_handle> add_torrent(add_torrent_params params);
  void remove_torrent(const torrent_handle& h, bool delete_files = false);
  [[nodiscard]] std::vector<torrent_handle> torrents() const;
  [[nodiscard]] std::optional<torrent_handle> find_torrent(const sha1_hash& id) const;

  // The port actually bound by the first listen interface (useful with port 0); 0 if none.
  [[nodiscard]] std::uint16_t listen_port() const;
  [[nodiscard]] session_stats stats() const;
  // Applies at once what can change live (rates, connection limits, choker, strategy, queues, ...);
  // returns the names of the changed settings that only take effect at the next start
  // ("network.listen_interfaces", "disk.io_threads", ...), which keep their running values.
  std::vector<std::string> apply_settings(const settings& s);

  [[nodiscard]] std::vector<alert> pop_alerts();
  // Waits until an alert is queued or the timeout expires; true if alerts are waiting.
  bool wait_for_alert(std::chrono::milliseconds timeout);

 private:
  std::shared_ptr<session_detail::session_impl> impl_;
};

}  // namespace ccbt
