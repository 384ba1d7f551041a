#include "session/bandwidth.hpp"

#include <algorithm>

namespace ccbt::session_detail {

namespace asio = net::asio;
using ratelimit::clock;

// ---- bandwidth ---------------------------------------------------------------------------------

bandwidth::bandwidth(asio::io_context& io, ratelimit::limiter_options opts)
    : limiter_(opts), timer_(std::make_unique<asio::steady_timer>(io)) {}

bandwidth::~bandwidth() = default;

void bandwidth::stop() {
  if (timer_) timer_->cancel();
  timer_.reset();
  armed_ = false;
}

void bandwidth::set_global_rate(direction d, std::int64_t rate) {
  rate = std::max<std::int64_t>(rate, 0);
  if (limiter_.global_rate(d) == rate) return;
  limiter_.set_global_rate(d, rate, clock::now());
  armed_ = false;  // the next wake-up may now be earlier
  schedule();
}

void bandwidth::set_peer_rate(direction d, std::int64_t rate) {
  rate = std::max<std::int64_t>(rate, 0);
  if (peer_[index(d)] == rate) return;
  peer_[index(d)] = rate;
  const auto now = clock::now();
  for (auto* c : channels_)
    if (c) limiter_.set_peer_rate(c->id_, d, rate, now);
  armed_ = false;
  schedule();
}

void bandwidth::set_torrent_rate(ratelimit::torrent_id t, direction d, std::int64_t rate) {
  limiter_.set_torrent_rate(t, d, std::max<std::int64_t>(rate, 0), clock::now());
  armed_ = false;
  schedule();
}

void bandwidth::attach(bandwidth_channel& c) {
  if (channels_.size() <= c.id_) channels_.resize(c.id_ + 1, nullptr);
  channels_[c.id_] = &c;
  const auto now = clock::now();
  for (const auto d : {direction::upload, direction::download})
    if (peer_[index(d)] != 0) limiter_.set_peer_rate(c.id_, d, peer_[index(d)], now);
}

void bandwidth::detach(bandwidth_channel& c) {
  if (c.id_ < channels_.size()) channels_[c.id_] = nullptr;
  limiter_.remove_peer(c.id_);
}

void bandwidth::schedule() {
  if (!timer_) return;
  const auto now = clock::now();
  const auto next = limiter_.next_wakeup(now);
  if (!next) return;
  if (armed_ && armed_at_ <= *next) return;  // an earlier wake-up is already due
  armed_ = true;
  armed_at_ = *next;
  timer_->expires_at(*next);
  timer_->async_wait([this](const net::error_code& ec) {
    if (ec) return;  // re-armed (or stopped): a newer wait owns the timer
    armed_ = false;
    on_timer();
  });
}

void bandwidth::on_timer() {
  grants_.clear();
  limiter_.poll(clock::now(), grants_);
  for (const auto& g : grants_) {
    if (!g.complete || g.peer >= channels_.size() || channels_[g.peer] == nullptr) continue;
    channels_[g.peer]->wake(g.dir);
  }
  schedule();
}

// ---- bandwidth_channel ---------------------------------------------------------------------------

bandwidth_channel::bandwidth_channel(bandwidth& bw, asio::any_io_executor ex, ratelimit::torrent_id t)
    : bw_(bw), id_(bw.limiter_.add_peer(t)), signal_{asio::steady_timer(ex), asio::steady_timer(ex)} {
  bw_.attach(*this);
}

bandwidth_channel::~bandwidth_channel() { bw_.detach(*this); }

bool bandwidth_channel::limited(direction d) const { return tightest_rate(d) != 0; }

std::int64_t bandwidth_channel::tightest_rate(direction d) const { return bw_.limiter_.tightest_rate(id_, d); }

std::int64_t bandwidth_channel::chunk(direction d, std::int64_t want) const {
  if (!limited(d)) return want;
  return std::min<std::int64_t>(want, 16 * 1024);
}

void bandwidth_channel::consume(direction d, std::int64_t n) {
  if (n > 0) bw_.limiter_.consume(id_, d, n, clock::now());
}

void bandwidth_channel::refund(direction d, std::int64_t n) {
  if (n <= 0) return;
  bw_.limiter_.refund(id_, d, n, clock::now());
  bw_.schedule();
}

net::awaitable<bool> bandwidth_channel::acquire(direction d, std::int64_t n) {
  if (closed_) co_return false;
  if (n <= 0) co_return true;
  const auto i = static_cast<std::size_t>(d);
  const auto granted = bw_.limiter_.request(id_, d, n, clock::now());
  if (granted >= n) co_return true;
  waiting_[i] = true;
  bw_.schedule();
  while (waiting_[i] && !closed_) {
    signal_[i].expires_at(clock::time_point::max());
    (void)co_await signal_[i].async_wait(net::use_nothrow);
  }
  co_return !closed_;
}

void bandwidth_channel::wake(direction d) {
  const auto i = static_cast<std::size_t>(d);
  waiting_[i] = false;
  signal_[i].cancel();
}

void bandwidth_channel::close() {
  if (closed_) return;
  closed_ = true;
  for (const auto d : {direction::upload, direction::download}) {
    (void)bw_.limiter_.cancel(id_, d);
    wake(d);
  }
}

}  // namespace ccbt::session_detail
