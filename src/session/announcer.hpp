// announcer — runs one torrent's tracker announces: a tracker::tracker_list (BEP 12 tiers,
// intervals, retries, events) driven by a timer on the network thread, the requests sent through
// the session's shared tracker::client.
//
// It knows only an info-hash, the tiers and three callbacks (the transfer numbers for a request,
// the peers a tracker returned, the per-tracker outcome), so a torrent without metadata yet (a
// magnet) can announce as well as a complete one.
//
// Invariants:
//  - Network thread only; no locks. The announcer keeps itself alive (shared_from_this) while its
//    loop or an announce is running, so the torrent may drop it at any time; callbacks are
//    cleared by detach() and are never called after it.
//  - At most one loop coroutine; it runs while the tracker list is running (start() .. stop()).
//  - Results of announces issued before the latest start()/stop() are dropped (no peers, no
//    alerts): the list would ignore them too.
//  - "stopped" announces are best effort: sent once, counted in announce_context::stops_in_flight
//    until they finish, so the session can wait a bounded time for them at shutdown.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ccbt/hash.hpp>
#include <ccbt/stats.hpp>

#include "net/asio.hpp"
#include "tracker/client.hpp"
#include "tracker/tracker_list.hpp"

namespace ccbt::session_detail {

// Shared by every announcer of a session; owned by session_impl and outliving its io_context.
struct announce_context {
  explicit announce_context(tracker::client_options o) : client(std::move(o)) {}
  tracker::client client;
  std::size_t stops_in_flight = 0;
};

struct announce_numbers {
  std::uint64_t uploaded = 0;
  std::uint64_t downloaded = 0;
  std::uint64_t left = 0;
  std::uint16_t port = 0;
};

enum class announce_outcome : std::uint8_t { reply, warning, error };

struct announce_report {
  announce_outcome outcome = announce_outcome::reply;
  std::string url;
  std::string message;       // warning text or error message ("" for a reply)
  std::error_code error;
  std::size_t peers = 0;     // peers in the reply
};

struct announcer_config {
  sha1_hash info_hash;                 // the hash announced (v1, or the truncated v2 hash)
  tracker::peer_id pid;
  std::uint32_t key = 0;               // BEP 7 key, random per torrent
  std::optional<std::int32_t> num_want;
  tracker::list_options list;
  std::uint64_t shuffle_seed = 0;
};

struct announcer_callbacks {
  std::function<announce_numbers()> numbers;
  std::function<void(const std::vector<tracker::peer_entry>&)> peers;
  std::function<void(const announce_report&)> report;
};

class announcer : public std::enable_shared_from_this<announcer> {
 public:
  announcer(net::asio::io_context& io, announce_context& ctx, announcer_config cfg,
            const std::vector<std::vector<std::string>>& tiers, announcer_callbacks cb);

  // Begins announcing ("started" to each tracker); a no-op while running.
  void start();
  // The download finished: "completed" to the trackers told "started" while incomplete. Also call
  // it right after start() for a torrent that is complete from the start (then left = 0 says it).
  void completed();
  // "stopped" to every tracker told "started"; nothing more is announced until start().
  void stop();
  // stop() and forget the callbacks (the torrent is going away).
  void detach();
  void force_reannounce();
  bool add_tracker(const std::string& url, std::size_t tier);
  bool remove_tracker(const std::string& url);

  [[nodiscard]] bool running() const noexcept { return list_.running(); }
  [[nodiscard]] std::vector<tracker_status> status() const;

 private:
  net::awaitable<void> run();
  net::awaitable<void> announce(tracker::announce_job job, std::uint64_t generation);
  tracker::announce_request make_request(const tracker::announce_job& job) const;
  void ensure_loop();
  void wake();

  net::asio::io_context& io_;
  announce_context& ctx_;
  announcer_config cfg_;
  tracker::tracker_list list_;
  announcer_callbacks cb_;
  net::asio::steady_timer timer_;
  bool loop_alive_ = false;
  std::uint64_t generation_ = 0;  // bumped by start()/stop()
};

}  // namespace ccbt::session_detail

namespace ccbt::session_detail {

class torrent;

// The announcer of a torrent: announces `hash` to `tiers`, numbers from the torrent's status, the
// peers go to torrent::add_candidate(.., peer_source::tracker), outcomes become tracker_* alerts.
// Callbacks hold the torrent weakly.
[[nodiscard]] std::shared_ptr<announcer> make_torrent_announcer(torrent& t, const sha1_hash& hash,
                                                                const std::vector<std::vector<std::string>>& tiers);

// The metainfo's tiers followed by the extra tiers (add_torrent_params::trackers).
[[nodiscard]] std::vector<std::vector<std::string>> merge_tiers(const std::vector<std::vector<std::string>>& first,
                                                                const std::vector<std::vector<std::string>>& extra);

}  // namespace ccbt::session_detail
