#include "session/announcer.hpp"

#include <algorithm>

namespace ccbt::session_detail {

namespace asio = net::asio;

namespace {

ccbt::tracker_state to_public(tracker::tracker_state s) {
  switch (s) {
    case tracker::tracker_state::updating: return ccbt::tracker_state::updating;
    case tracker::tracker_state::working: return ccbt::tracker_state::working;
    case tracker::tracker_state::failing: return ccbt::tracker_state::failing;
    case tracker::tracker_state::not_contacted: break;
  }
  return ccbt::tracker_state::not_contacted;
}

}  // namespace

announcer::announcer(asio::io_context& io, announce_context& ctx, announcer_config cfg,
                     const std::vector<std::vector<std::string>>& tiers, announcer_callbacks cb)
    : io_(io),
      ctx_(ctx),
      cfg_(std::move(cfg)),
      list_(tiers, cfg_.shuffle_seed, cfg_.list),
      cb_(std::move(cb)),
      timer_(io) {}

void announcer::start() {
  if (list_.running()) return;
  ++generation_;
  list_.start(tracker::clock::now());
  ensure_loop();
  wake();
}

void announcer::completed() {
  list_.completed(tracker::clock::now());
  wake();
}

void announcer::stop() {
  if (!list_.running()) return;
  ++generation_;
  auto jobs = list_.stop(tracker::clock::now());
  for (auto& job : jobs) {
    ++ctx_.stops_in_flight;
    asio::co_spawn(io_, announce(std::move(job), generation_), asio::detached);
  }
  wake();  // the loop sees the list stopped and ends
}

void announcer::detach() {
  stop();
  cb_ = {};
}

void announcer::force_reannounce() {
  list_.force_reannounce(tracker::clock::now());
  wake();
}

bool announcer::add_tracker(const std::string& url, std::size_t tier) {
  if (!list_.add(url, tier)) return false;
  wake();
  return true;
}

bool announcer::remove_tracker(const std::string& url) {
  if (!list_.remove(url)) return false;
  wake();
  return true;
}

std::vector<tracker_status> announcer::status() const {
  const auto now = tracker::clock::now();
  std::vector<tracker_status> out;
  for (const auto& t : list_.trackers()) {
    tracker_status s;
    s.url = t.url;
    s.tier = static_cast<int>(t.tier);
    s.state = to_public(t.state);
    s.fails = t.fails;
    if (t.last_error) s.last_error = t.last_error->message();
    s.warning = t.warning;
    s.seeds = t.seeds;
    s.leechers = t.leechers;
    s.downloaded = t.downloaded;
    if (list_.running() && t.state != tracker::tracker_state::updating && t.next_announce != tracker::clock::time_point::min())
      s.next_announce_s = std::max<std::int64_t>(
          0, std::chrono::duration_cast<std::chrono::seconds>(t.next_announce - now).count());
    if (t.last_success)
      s.last_announce_s = std::chrono::duration_cast<std::chrono::seconds>(now - *t.last_success).count();
    s.interval_s = t.interval.count();
    s.min_interval_s = t.min_interval.count();
    out.push_back(std::move(s));
  }
  return out;
}

void announcer::ensure_loop() {
  if (loop_alive_) return;
  loop_alive_ = true;
  asio::co_spawn(io_, run(), asio::detached);
}

void announcer::wake() { timer_.cancel(); }

net::awaitable<void> announcer::run() {
  auto self = shared_from_this();
  while (list_.running()) {
    const auto now = tracker::clock::now();
    auto jobs = list_.poll(now);
    for (auto& job : jobs) asio::co_spawn(io_, announce(std::move(job), generation_), asio::detached);
    auto next = list_.next_wakeup(now).value_or(tracker::clock::time_point::max());
    // Nothing issued yet something "due": wait a little rather than spin.
    if (jobs.empty() && next <= now) next = now + std::chrono::milliseconds(250);
    timer_.expires_at(next);
    (void)co_await timer_.async_wait(net::use_nothrow);
  }
  loop_alive_ = false;
}

tracker::announce_request announcer::make_request(const tracker::announce_job& job) const {
  tracker::announce_request req;
  req.info_hash = cfg_.info_hash;
  req.pid = cfg_.pid;
  if (cb_.numbers) {
    const auto n = cb_.numbers();
    req.uploaded = n.uploaded;
    req.downloaded = n.downloaded;
    req.left = n.left;
    req.port = n.port;
  }
  req.ev = job.ev;
  req.key = cfg_.key;
  req.num_want = job.ev == tracker::event::stopped ? std::optional<std::int32_t>(0) : cfg_.num_want;
  req.tracker_id = job.tracker_id;
  return req;
}

net::awaitable<void> announcer::announce(tracker::announce_job job, std::uint64_t generation) {
  auto self = shared_from_this();
  auto req = make_request(job);
  auto r = co_await ctx_.client.announce(job.url, std::move(req));
  if (job.ev == tracker::event::stopped) {
    --ctx_.stops_in_flight;
    co_return;
  }
  if (generation != generation_) co_return;  // issued before the latest start()/stop()
  const auto now = tracker::clock::now();
  announce_report rep;
  rep.url = job.url;
  if (r) {
    list_.on_success(job, now, *r);
    rep.peers = r->peers.size();
    if (cb_.peers && !r->peers.empty()) cb_.peers(r->peers);
    if (cb_.report) cb_.report(rep);
    if (!r->warning.empty() && cb_.report) {
      rep.outcome = announce_outcome::warning;
      rep.message = r->warning;
      cb_.report(rep);
    }
  } else {
    rep.outcome = announce_outcome::error;
    rep.error = r.error().code;
    rep.message = r.error().message();
    list_.on_failure(job, now, r.error());
    if (cb_.report) cb_.report(rep);
  }
  wake();
}

}  // namespace ccbt::session_detail
