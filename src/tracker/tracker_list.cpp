#include "tracker/tracker_list.hpp"

#include <algorithm>
#include <random>

namespace ccbt::tracker {

tracker_list::tracker_list(const std::vector<std::vector<std::string>>& tiers, std::uint64_t shuffle_seed,
                           list_options opts)
    : opts_(opts) {
  std::mt19937_64 rng(shuffle_seed);
  std::size_t tier_index = 0;
  for (const auto& tier : tiers) {
    const std::size_t first = entries_.size();
    for (const auto& url : tier) add(url, tier_index);
    if (entries_.size() == first) continue;  // an empty tier (or only duplicates) takes no index
    std::shuffle(entries_.begin() + static_cast<std::ptrdiff_t>(first), entries_.end(), rng);
    ++tier_index;
  }
}

bool tracker_list::add(std::string url, std::size_t tier) {
  if (url.empty()) return false;
  for (const auto& e : entries_)
    if (e.url == url) return false;
  const std::size_t last_tier = entries_.empty() ? 0 : entries_.back().tier;
  if (entries_.empty()) {
    tier = 0;
  } else if (tier > last_tier + 1) {
    tier = last_tier + 1;
  }
  tracker_info t;
  t.id = next_id_++;
  t.url = std::move(url);
  t.tier = tier;
  // A tracker added while running is announced to at once (with "started").
  t.next_announce = clock::time_point::min();
  const auto pos = std::find_if(entries_.begin(), entries_.end(), [&](const tracker_info& e) { return e.tier > tier; });
  entries_.insert(pos, std::move(t));
  return true;
}

bool tracker_list::remove(const std::string& url) {
  const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const tracker_info& e) { return e.url == url; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

const tracker_info* tracker_list::find(std::uint32_t id) const noexcept {
  for (const auto& e : entries_)
    if (e.id == id) return &e;
  return nullptr;
}

tracker_info* tracker_list::find_mut(std::uint32_t id) noexcept {
  for (auto& e : entries_)
    if (e.id == id) return &e;
  return nullptr;
}

bool tracker_list::working(const tracker_info& t) const noexcept { return t.state == tracker_state::working; }

clock::time_point tracker_list::due(const tracker_info& t) const noexcept { return t.next_announce; }

void tracker_list::start(clock::time_point now) {
  running_ = true;
  ++generation_;
  for (auto& e : entries_) {
    e.state = tracker_state::not_contacted;
    e.fails = 0;
    e.last_error.reset();
    e.started_acked = false;
    e.pending_completed = false;
    e.in_flight_event = event::none;
    e.next_announce = now;
  }
}

void tracker_list::completed(clock::time_point now) {
  if (complete_) return;
  complete_ = true;
  for (auto& e : entries_) {
    if (!e.started_acked) continue;
    e.pending_completed = true;
    if (working(e)) e.next_announce = now;
  }
}

std::vector<announce_job> tracker_list::stop(clock::time_point now) {
  (void)now;
  std::vector<announce_job> jobs;
  if (!running_) return jobs;
  running_ = false;
  ++generation_;
  for (auto& e : entries_) {
    const bool told = e.started_acked ||
                      (e.state == tracker_state::updating && e.in_flight_event == event::started);
    if (e.state == tracker_state::updating) e.state = tracker_state::not_contacted;
    e.in_flight_event = event::none;
    if (told) jobs.push_back(announce_job{e.id, e.url, event::stopped, e.tracker_id, generation_});
    e.started_acked = false;
    e.pending_completed = false;
  }
  return jobs;
}

void tracker_list::force_reannounce(clock::time_point now) {
  for (auto& e : entries_) {
    if (e.state == tracker_state::updating) continue;
    if (working(e) && e.last_success) {
      e.next_announce = std::max(now, *e.last_success + e.min_interval);
    } else {
      e.next_announce = now;
    }
  }
}

announce_job tracker_list::issue(tracker_info& t) {
  event ev = event::none;
  if (!t.started_acked) {
    ev = event::started;
    // The request will say left=0: the tracker counts us as a seed, "completed" would be noise.
    if (complete_) t.pending_completed = false;
  } else if (t.pending_completed) {
    ev = event::completed;
  }
  t.state = tracker_state::updating;
  t.in_flight_event = ev;
  return announce_job{t.id, t.url, ev, t.tracker_id, generation_};
}

std::vector<announce_job> tracker_list::poll(clock::time_point now) {
  std::vector<announce_job> jobs;
  if (!running_) return jobs;
  std::size_t i = 0;
  while (i < entries_.size()) {
    const std::size_t tier = entries_[i].tier;
    std::size_t end = i;
    while (end < entries_.size() && entries_[end].tier == tier) ++end;
    bool active = false;
    for (std::size_t k = i; k < end; ++k) {
      auto& e = entries_[k];
      if (e.state == tracker_state::updating) {
        active = true;
        break;
      }
      if (working(e)) {
        if (due(e) <= now) jobs.push_back(issue(e));
        active = true;
        break;
      }
      if (due(e) <= now) {
        jobs.push_back(issue(e));
        active = true;
        break;
      }
      // In back-off: the next tracker of this tier gets its chance.
    }
    if (active && !opts_.announce_to_all_tiers) break;
    i = end;
  }
  return jobs;
}

std::optional<clock::time_point> tracker_list::next_wakeup(clock::time_point now) const {
  if (!running_) return std::nullopt;
  std::optional<clock::time_point> best;
  const auto consider = [&](clock::time_point t) {
    if (!best || t < *best) best = t;
  };
  std::size_t i = 0;
  while (i < entries_.size()) {
    const std::size_t tier = entries_[i].tier;
    std::size_t end = i;
    while (end < entries_.size() && entries_[end].tier == tier) ++end;
    bool active = false;
    for (std::size_t k = i; k < end; ++k) {
      const auto& e = entries_[k];
      if (e.state == tracker_state::updating) {
        active = true;
        break;
      }
      consider(due(e));
      if (working(e) || due(e) <= now) {
        active = true;
        break;
      }
    }
    if (active && !opts_.announce_to_all_tiers) break;
    i = end;
  }
  return best;
}

void tracker_list::promote(std::uint32_t id) {
  const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const tracker_info& e) { return e.id == id; });
  if (it == entries_.end()) return;
  const auto first = std::find_if(entries_.begin(), it, [&](const tracker_info& e) { return e.tier == it->tier; });
  std::rotate(first, it, it + 1);
}

void tracker_list::on_success(const announce_job& job, clock::time_point now, const announce_response& r) {
  if (job.generation != generation_ || !running_) return;
  auto* t = find_mut(job.tracker);
  if (!t || t->state != tracker_state::updating) return;
  t->state = tracker_state::working;
  t->fails = 0;
  t->last_error.reset();
  t->warning = r.warning;
  if (!r.tracker_id.empty()) t->tracker_id = r.tracker_id;
  if (r.complete) t->seeds = r.complete;
  if (r.incomplete) t->leechers = r.incomplete;
  if (r.downloaded) t->downloaded = r.downloaded;
  t->last_success = now;
  t->min_interval = std::min(std::max(opts_.min_interval_floor, r.min_interval.value_or(std::chrono::seconds{0})),
                             opts_.max_interval);
  t->interval = std::clamp(r.interval.value_or(opts_.default_interval), t->min_interval, opts_.max_interval);
  t->next_announce = now + t->interval;
  if (job.ev == event::started) t->started_acked = true;
  if (job.ev == event::completed) t->pending_completed = false;
  // completed() arrived while this announce was in flight: send it now.
  if (t->pending_completed && t->started_acked) t->next_announce = now;
  t->in_flight_event = event::none;
  promote(job.tracker);
}

void tracker_list::on_failure(const announce_job& job, clock::time_point now, error e) {
  if (job.generation != generation_ || !running_) return;
  auto* t = find_mut(job.tracker);
  if (!t || t->state != tracker_state::updating) return;
  t->state = tracker_state::failing;
  ++t->fails;
  t->last_error = std::move(e);
  t->in_flight_event = event::none;
  auto delay = opts_.retry_base;
  for (int i = 1; i < t->fails && delay < opts_.retry_max; ++i) delay *= 2;
  t->next_announce = now + std::min(delay, opts_.retry_max);
}

}  // namespace ccbt::tracker
