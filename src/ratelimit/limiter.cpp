#include "ratelimit/limiter.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace ccbt::ratelimit {

// ---- ids

torrent_id limiter::add_torrent() {
  torrent_id t;
  if (!free_torrents_.empty()) {
    t = free_torrents_.back();
    free_torrents_.pop_back();
    torrents_[t] = torrent_state{};
  } else {
    t = static_cast<torrent_id>(torrents_.size());
    torrents_.emplace_back();
  }
  torrents_[t].used = true;
  return t;
}

void limiter::remove_torrent(torrent_id t) {
  assert(t < torrents_.size() && torrents_[t].used);
  for (auto& p : peers_)
    if (p.used && p.torrent == t) p.torrent = no_torrent;
  torrents_[t] = torrent_state{};
  free_torrents_.push_back(t);
}

peer_id limiter::add_peer(torrent_id t) {
  assert(t == no_torrent || (t < torrents_.size() && torrents_[t].used));
  peer_id p;
  if (!free_peers_.empty()) {
    p = free_peers_.back();
    free_peers_.pop_back();
    peers_[p] = peer_state{};
  } else {
    p = static_cast<peer_id>(peers_.size());
    peers_.emplace_back();
  }
  peers_[p].used = true;
  peers_[p].torrent = t;
  return p;
}

void limiter::set_peer_torrent(peer_id p, torrent_id t) {
  assert(p < peers_.size() && peers_[p].used);
  assert(t == no_torrent || (t < torrents_.size() && torrents_[t].used));
  auto& ps = peers_[p];
  for (std::size_t i = 0; i < 2; ++i) {
    if (ps.want[i] == 0) continue;
    if (ps.torrent != no_torrent) --torrents_[ps.torrent].waiting[i];
    if (t != no_torrent) ++torrents_[t].waiting[i];
  }
  ps.torrent = t;
}

void limiter::remove_peer(peer_id p) {
  assert(p < peers_.size() && peers_[p].used);
  (void)cancel(p, direction::upload);
  (void)cancel(p, direction::download);
  peers_[p] = peer_state{};
  free_peers_.push_back(p);
}

// ---- rates

void limiter::set_global_rate(direction d, std::int64_t rate, time_point now, std::int64_t burst) {
  global_[index(d)].set_rate(rate, burst, now);
}

void limiter::set_torrent_rate(torrent_id t, direction d, std::int64_t rate, time_point now, std::int64_t burst) {
  assert(t < torrents_.size() && torrents_[t].used);
  torrents_[t].bucket[index(d)].set_rate(rate, burst, now);
}

void limiter::set_peer_rate(peer_id p, direction d, std::int64_t rate, time_point now, std::int64_t burst) {
  assert(p < peers_.size() && peers_[p].used);
  peers_[p].bucket[index(d)].set_rate(rate, burst, now);
}

std::int64_t limiter::tightest_rate(peer_id p, direction d) const {
  assert(p < peers_.size() && peers_[p].used);
  const auto i = index(d);
  std::int64_t r = 0;
  const auto fold = [&r](const token_bucket& b) {
    if (!b.unlimited()) r = r == 0 ? b.rate() : std::min(r, b.rate());
  };
  fold(peers_[p].bucket[i]);
  if (const auto* t = torrent_of(p)) fold(t->bucket[i]);
  fold(global_[i]);
  return r;
}

// ---- helpers

limiter::torrent_state* limiter::torrent_of(peer_id p) {
  const auto t = peers_[p].torrent;
  return t == no_torrent ? nullptr : &torrents_[t];
}

const limiter::torrent_state* limiter::torrent_of(peer_id p) const {
  const auto t = peers_[p].torrent;
  return t == no_torrent ? nullptr : &torrents_[t];
}

limiter::chain limiter::buckets(peer_id p, direction d) {
  const auto i = index(d);
  auto* t = torrent_of(p);
  return {&peers_[p].bucket[i], t ? &t->bucket[i] : nullptr, &global_[i]};
}

std::int64_t limiter::room(peer_id p, direction d, time_point now) const {
  const auto i = index(d);
  std::int64_t r = std::min(peers_[p].bucket[i].available(now), global_[i].available(now));
  if (const auto* t = torrent_of(p)) r = std::min(r, t->bucket[i].available(now));
  return std::max<std::int64_t>(r, 0);
}

bool limiter::all_unlimited(peer_id p, direction d) const {
  const auto i = index(d);
  const auto* t = torrent_of(p);
  return peers_[p].bucket[i].unlimited() && global_[i].unlimited() && (!t || t->bucket[i].unlimited());
}

bool limiter::must_queue(peer_id p, direction d) const {
  const auto i = index(d);
  if (queue_[i].empty()) return false;
  if (!global_[i].unlimited()) return true;  // everyone in the queue shares the global bucket
  const auto* t = torrent_of(p);
  return t && !t->bucket[i].unlimited() && t->waiting[i] > 0;
}

void limiter::enqueue(peer_id p, direction d, std::int64_t n) {
  const auto i = index(d);
  auto& ps = peers_[p];
  // Join level with the least-served waiter: no head start, no debt from before.
  std::int64_t base = std::numeric_limits<std::int64_t>::max();
  for (const auto q : queue_[i]) base = std::min(base, peers_[q].served[i]);
  ps.served[i] = queue_[i].empty() ? 0 : base;
  ps.want[i] = n;
  ps.seq[i] = next_seq_++;
  queue_[i].push_back(p);
  if (auto* t = torrent_of(p)) ++t->waiting[i];
}

void limiter::dequeue(peer_id p, direction d) {
  const auto i = index(d);
  auto& q = queue_[i];
  const auto it = std::find(q.begin(), q.end(), p);
  if (it == q.end()) return;
  *it = q.back();
  q.pop_back();
  peers_[p].want[i] = 0;
  if (auto* t = torrent_of(p)) --t->waiting[i];
}

// ---- transfers

std::int64_t limiter::request(peer_id p, direction d, std::int64_t n, time_point now) {
  assert(p < peers_.size() && peers_[p].used);
  const auto i = index(d);
  if (n <= 0) return 0;
  auto& ps = peers_[p];
  if (ps.want[i] > 0) {
    ps.want[i] += n;
    return 0;
  }
  if (must_queue(p, d)) {
    enqueue(p, d, n);
    return 0;
  }
  const auto g = std::min(n, room(p, d, now));
  if (g > 0) {
    buckets(p, d).each([&](token_bucket& b) { b.take(g, now); });
  }
  if (g < n) enqueue(p, d, n - g);
  return g;
}

std::int64_t limiter::cancel(peer_id p, direction d) {
  assert(p < peers_.size() && peers_[p].used);
  const auto left = peers_[p].want[index(d)];
  if (left > 0) dequeue(p, d);
  return left;
}

void limiter::consume(peer_id p, direction d, std::int64_t n, time_point now) {
  assert(p < peers_.size() && peers_[p].used);
  buckets(p, d).each([&](token_bucket& b) { b.consume(n, now); });
}

void limiter::refund(peer_id p, direction d, std::int64_t n, time_point now) {
  assert(p < peers_.size() && peers_[p].used);
  buckets(p, d).each([&](token_bucket& b) { b.refund(n, now); });
}

void limiter::poll(time_point now, std::vector<grant>& out) {
  for (const auto d : {direction::upload, direction::download}) {
    const auto i = index(d);
    if (queue_[i].empty()) continue;
    // Least served first; each turn takes at most a quantum, so a pass shares what is there.
    scratch_ = queue_[i];
    std::sort(scratch_.begin(), scratch_.end(), [&](peer_id a, peer_id b) {
      const auto &x = peers_[a], &y = peers_[b];
      return x.served[i] != y.served[i] ? x.served[i] < y.served[i] : x.seq[i] < y.seq[i];
    });
    const std::size_t first = out.size();
    for (const auto p : scratch_) out.push_back({p, d, 0, false});
    std::vector<std::size_t> active(scratch_.size());
    for (std::size_t j = 0; j < active.size(); ++j) active[j] = first + j;
    while (!active.empty()) {
      std::size_t kept = 0;
      for (const auto slot : active) {
        const auto p = out[slot].peer;
        auto& ps = peers_[p];
        const auto limit = all_unlimited(p, d) ? ps.want[i] : std::min(ps.want[i], opts_.quantum);
        const auto g = std::min(limit, room(p, d, now));
        if (g <= 0) continue;
        buckets(p, d).each([&](token_bucket& b) { b.take(g, now); });
        ps.want[i] -= g;
        ps.served[i] += g;
        out[slot].bytes += g;
        // Held back by a bucket (not by the quantum): no more for it in this poll.
        if (g == limit && ps.want[i] > 0) active[kept++] = slot;
      }
      active.resize(kept);
    }
    // Drop the peers that got nothing; complete requests leave the queue.
    std::size_t w = first;
    for (std::size_t r = first; r < out.size(); ++r) {
      if (out[r].bytes == 0) continue;
      out[r].complete = peers_[out[r].peer].want[i] == 0;
      if (out[r].complete) dequeue(out[r].peer, d);
      out[w++] = out[r];
    }
    out.resize(w);
  }
}

std::optional<time_point> limiter::next_wakeup(time_point now) const {
  std::optional<duration> best;
  for (const auto d : {direction::upload, direction::download}) {
    const auto i = index(d);
    for (const auto p : queue_[i]) {
      // Wake when this waiter can take a quantum (or all it wants), or 50 ms worth of a slow
      // bucket: low rates are then served in small, regular grants instead of one burst.
      const auto k = std::min(peers_[p].want[i], opts_.quantum);
      const auto wait = [&](const token_bucket& b) {
        return b.time_until(std::min(k, std::max<std::int64_t>(b.rate() / 20, 1)), now);
      };
      auto t = std::max(wait(peers_[p].bucket[i]), wait(global_[i]));
      if (const auto* tor = torrent_of(p)) t = std::max(t, wait(tor->bucket[i]));
      if (!best || t < *best) best = t;
    }
  }
  if (!best) return std::nullopt;
  if (*best <= duration::zero()) return now;
  return now + std::max(*best, opts_.min_wakeup);
}

duration limiter::time_until(peer_id p, direction d, std::int64_t k, time_point now) const {
  assert(p < peers_.size() && peers_[p].used);
  const auto i = index(d);
  auto t = std::max(peers_[p].bucket[i].time_until(k, now), global_[i].time_until(k, now));
  if (const auto* tor = torrent_of(p)) t = std::max(t, tor->bucket[i].time_until(k, now));
  return t;
}

std::int64_t limiter::queued(peer_id p, direction d) const {
  assert(p < peers_.size() && peers_[p].used);
  return peers_[p].want[index(d)];
}

}  // namespace ccbt::ratelimit
