// Announce scheduling for one torrent: BEP 12 tiers, intervals, retries and events, as a pure state
// machine (no sockets, no clock: the caller passes `now` and performs the announces it is told to).
//
// Use: start(now); then loop { for each job in poll(now): announce, then on_success/on_failure(job);
// sleep until next_wakeup(now) }; completed(now) when the download finishes; stop(now) on pause or
// exit returns the "stopped" announces to send (best effort, without retries).
//
// Invariants:
//  - Trackers keep their tier; each tier is shuffled once at construction (seeded, so tests are
//    deterministic); a tracker that answers is moved to the front of its tier (BEP 12).
//  - Per tier at most one announce is in flight. With announce_to_all_tiers false (the BEP 12
//    default), only the first tier that has a working or retryable tracker is used; a tier whose
//    trackers all fail hands over to the next tier until one of its trackers' retry time comes.
//  - A tracker is never announced to more often than its (floored) min interval, except for the
//    "completed" event; a failing tracker is retried after retry_base·2^(fails-1), capped at
//    retry_max.
//  - The first announce a tracker receives after start() carries "started"; "completed" goes to
//    trackers that already got "started" while the torrent was incomplete; "stopped" goes to every
//    tracker that got (or is being sent) "started". Results of jobs issued before the latest
//    start()/stop() are ignored (the job's generation).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <ccbt/error.hpp>

#include "tracker/types.hpp"

namespace ccbt::tracker {

using clock = std::chrono::steady_clock;

struct list_options {
  std::chrono::seconds default_interval{1800};   // when a tracker gives no interval
  std::chrono::seconds min_interval_floor{60};   // never announce more often than this (regular announces)
  std::chrono::seconds max_interval{24 * 3600};  // intervals above this are clamped
  std::chrono::seconds retry_base{15};           // first retry after a failure
  std::chrono::seconds retry_max{3600};
  bool announce_to_all_tiers = false;
};

struct announce_job {
  std::uint32_t tracker = 0;  // stable id: index into tracker_list::trackers() by id()
  std::string url;
  event ev = event::none;
  std::string tracker_id;     // to send as "trackerid"
  std::uint64_t generation = 0;
};

enum class tracker_state : std::uint8_t { not_contacted, updating, working, failing };

struct tracker_info {
  std::uint32_t id = 0;
  std::string url;
  std::size_t tier = 0;
  tracker_state state = tracker_state::not_contacted;
  int fails = 0;                                  // consecutive failures
  std::optional<error> last_error;
  std::string warning;
  std::string tracker_id;
  std::optional<std::int64_t> seeds, leechers, downloaded;
  std::optional<clock::time_point> last_success;
  clock::time_point next_announce{};              // working: next regular announce; failing: retry time
  std::chrono::seconds interval{0};
  std::chrono::seconds min_interval{0};
  // internal bookkeeping
  bool started_acked = false;
  bool pending_completed = false;
  event in_flight_event = event::none;
};

class tracker_list {
 public:
  tracker_list(const std::vector<std::vector<std::string>>& tiers, std::uint64_t shuffle_seed,
               list_options opts = {});

  // Adds a tracker at the end of `tier` (a tier past the last makes a new last tier). Duplicate
  // URLs are ignored; returns false for them.
  bool add(std::string url, std::size_t tier);
  // Removes the tracker with this URL (a result of an announce in flight to it is then ignored;
  // no "stopped" is sent). False if no tracker has that URL.
  bool remove(const std::string& url);

  void start(clock::time_point now);
  void completed(clock::time_point now);
  [[nodiscard]] std::vector<announce_job> stop(clock::time_point now);
  // Announce as soon as each tracker's min interval allows (a user's "reannounce").
  void force_reannounce(clock::time_point now);

  [[nodiscard]] std::vector<announce_job> poll(clock::time_point now);
  // The earliest time poll() will have something to do; nullopt when nothing is scheduled.
  [[nodiscard]] std::optional<clock::time_point> next_wakeup(clock::time_point now) const;

  void on_success(const announce_job& job, clock::time_point now, const announce_response& r);
  void on_failure(const announce_job& job, clock::time_point now, error e);

  [[nodiscard]] bool running() const noexcept { return running_; }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  // Trackers in announce order (tier by tier; promotions applied).
  [[nodiscard]] std::span<const tracker_info> trackers() const noexcept { return entries_; }
  [[nodiscard]] const tracker_info* find(std::uint32_t id) const noexcept;

 private:
  tracker_info* find_mut(std::uint32_t id) noexcept;
  [[nodiscard]] bool working(const tracker_info& t) const noexcept;
  [[nodiscard]] clock::time_point due(const tracker_info& t) const noexcept;
  announce_job issue(tracker_info& t);
  void promote(std::uint32_t id);

  list_options opts_;
  std::vector<tracker_info> entries_;  // sorted by tier; within a tier, announce order
  std::uint32_t next_id_ = 0;
  std::uint64_t generation_ = 0;
  bool running_ = false;
  bool complete_ = false;
};

}  // namespace ccbt::tracker
