// The hierarchical limiter, driven by a simulated clock as the session's timer would drive it.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "ratelimit/limiter.hpp"

namespace ccbt::ratelimit {
namespace {

using namespace std::chrono_literals;
const time_point t0 = time_point{} + 1000s;
constexpr auto up = direction::upload;
constexpr auto down = direction::download;

// Peers that always want more: each keeps one request of `chunk` bytes outstanding and asks again
// as soon as it is fully granted. Bytes granted inside [window_from, window_to) are counted apart.
struct sim {
  explicit sim(limiter& l) : lim(l) {}
  limiter& lim;
  time_point now = t0;
  std::int64_t chunk = 16 * 1024;
  time_point window_from = t0, window_to = time_point::max();
  std::map<peer_id, std::int64_t> total, in_window;
  std::vector<std::pair<peer_id, direction>> flows;
  std::size_t polls = 0;

  void credit(peer_id p, std::int64_t n) {
    total[p] += n;
    if (now >= window_from && now < window_to) in_window[p] += n;
  }
  // Asks until something is left waiting (a full grant is used at once and asked for again).
  void ask(peer_id p, direction d) {
    for (int i = 0; i < 1'000'000; ++i) {
      const auto g = lim.request(p, d, chunk, now);
      credit(p, g);
      if (g < chunk) return;
    }
    FAIL() << "peer " << p << " is never made to wait";
  }
  void add(peer_id p, direction d = up) {
    flows.emplace_back(p, d);
    ask(p, d);
  }
  void run_until(time_point end) {
    std::vector<grant> grants;
    while (true) {
      const auto w = lim.next_wakeup(now);
      if (!w || *w > end) break;
      EXPECT_GE(*w, now);
      now = *w;
      grants.clear();
      lim.poll(now, grants);
      ++polls;
      for (const auto& g : grants) {
        EXPECT_GT(g.bytes, 0);
        credit(g.peer, g.bytes);
        if (g.complete) ask(g.peer, g.dir);
      }
    }
    now = end;
  }
};

double ratio(std::int64_t got, double expected) { return static_cast<double>(got) / expected; }

TEST(Limiter, UnlimitedGrantsEverythingAtOnce) {
  limiter lim;
  const auto t = lim.add_torrent();
  const auto p = lim.add_peer(t);
  EXPECT_EQ(lim.request(p, up, 1 << 30, t0), 1 << 30);
  EXPECT_EQ(lim.request(p, down, 5, t0), 5);
  EXPECT_EQ(lim.waiters(up), 0u);
  EXPECT_EQ(lim.next_wakeup(t0), std::nullopt);
  EXPECT_EQ(lim.time_until(p, up, 1 << 30, t0), duration::zero());
  lim.consume(p, up, 1 << 30, t0);
  EXPECT_EQ(lim.request(p, up, 7, t0), 7);
}

TEST(Limiter, AccuracyOver20SecondsWithinOnePercent) {
  for (const std::int64_t rate : {10'000LL, 250'000LL, 1'000'000LL, 50'000'000LL, 500'000'000LL}) {
    limiter lim;
    lim.set_global_rate(down, rate, t0);
    sim s{lim};
    s.window_from = t0 + 2s;  // after the initial burst
    s.window_to = t0 + 22s;
    for (int i = 0; i < 3; ++i) s.add(lim.add_peer(), down);
    s.run_until(t0 + 22s);
    const auto got = std::accumulate(s.in_window.begin(), s.in_window.end(), std::int64_t{0},
                                     [](std::int64_t a, const auto& kv) { return a + kv.second; });
    EXPECT_NEAR(ratio(got, static_cast<double>(rate) * 20), 1.0, 0.01) << "rate " << rate;
    // Never more than rate x time + one burst, from the very start.
    const auto all = std::accumulate(s.total.begin(), s.total.end(), std::int64_t{0},
                                     [](std::int64_t a, const auto& kv) { return a + kv.second; });
    EXPECT_LE(all, rate * 22 + default_burst(rate)) << "rate " << rate;
    // The timer fires at most once per min_wakeup (plus the polls right after a change).
    EXPECT_LE(s.polls, 22s / 5ms + 10) << "rate " << rate;
  }
}

TEST(Limiter, BurstAfterIdleThenSteadyRate) {
  limiter lim;
  lim.set_global_rate(up, 1'000'000, t0, 200'000);
  const auto p = lim.add_peer();
  EXPECT_EQ(lim.request(p, up, 150'000, t0), 150'000);
  EXPECT_EQ(lim.request(p, up, 100'000, t0), 50'000);  // the rest of the burst
  EXPECT_EQ(lim.queued(p, up), 50'000);
  EXPECT_EQ(lim.next_wakeup(t0), t0 + 16384us);  // one quantum
  EXPECT_EQ(lim.cancel(p, up), 50'000);
  // Idle for 10 s: the bucket holds one burst, not 10 s of tokens.
  const auto later = t0 + 10s;
  EXPECT_EQ(lim.request(p, up, 10'000'000, later), 200'000);
  std::vector<grant> g;
  lim.poll(later + 100ms, g);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].peer, p);
  EXPECT_EQ(g[0].bytes, 100'000);
  EXPECT_FALSE(g[0].complete);
}

TEST(Limiter, FiftyPeersShareTheGlobalBucketEqually) {
  limiter lim;
  lim.set_global_rate(up, 2'000'000, t0);
  sim s{lim};
  s.window_from = t0 + 1s;  // the first peer to ask takes the initial burst
  s.window_to = t0 + 21s;
  std::vector<peer_id> peers;
  for (int i = 0; i < 50; ++i) {
    peers.push_back(lim.add_peer());
    s.add(peers.back());
  }
  s.run_until(t0 + 21s);
  std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = 0;
  for (const auto p : peers) {
    lo = std::min(lo, s.in_window[p]);
    hi = std::max(hi, s.in_window[p]);
  }
  const double fair = 2'000'000.0 * 20 / 50;
  EXPECT_GT(static_cast<double>(lo), fair * 0.97);
  EXPECT_LT(static_cast<double>(hi), fair * 1.03);
  EXPECT_LE(hi - lo, 2 * 16 * 1024) << "no peer is more than a couple of quanta ahead";
}

TEST(Limiter, LateJoinerIsServedAtOnceAndGetsItsShare) {
  limiter lim;
  lim.set_global_rate(up, 1'000'000, t0);
  sim s{lim};
  for (int i = 0; i < 10; ++i) s.add(lim.add_peer());
  s.run_until(t0 + 10s);
  const auto late = lim.add_peer();
  s.window_from = s.now;
  s.window_to = s.now + 10s;
  s.add(late);
  EXPECT_EQ(s.total[late], 0);  // it queues behind peers that share its bucket ...
  s.run_until(t0 + 10s + 200ms);
  EXPECT_GT(s.total[late], 0);  // ... and is served within a few rounds
  s.run_until(t0 + 20s);
  EXPECT_NEAR(ratio(s.in_window[late], 1'000'000.0 * 10 / 11), 1.0, 0.05);
}

TEST(Limiter, HierarchyTakesTheTightestLevel) {
  limiter lim;
  lim.set_global_rate(down, 1'000'000, t0);
  const auto t = lim.add_torrent();
  lim.set_torrent_rate(t, down, 300'000, t0);
  const auto a = lim.add_peer(t);
  const auto b = lim.add_peer(t);
  const auto c = lim.add_peer();  // another torrent's peer, no torrent limit
  lim.set_peer_rate(a, down, 50'000, t0);
  sim s{lim};
  s.window_from = t0 + 2s;
  s.window_to = t0 + 22s;
  s.add(a, down);
  s.add(b, down);
  s.add(c, down);
  s.run_until(t0 + 22s);
  EXPECT_NEAR(ratio(s.in_window[a], 50'000.0 * 20), 1.0, 0.02);   // its own limit
  EXPECT_NEAR(ratio(s.in_window[b], 250'000.0 * 20), 1.0, 0.02);  // the rest of the torrent's
  EXPECT_NEAR(ratio(s.in_window[c], 700'000.0 * 20), 1.0, 0.02);  // the rest of the global
}

TEST(Limiter, TorrentBucketIsSharedFairlyWhenTheGlobalIsUnlimited) {
  limiter lim;
  const auto t1 = lim.add_torrent();
  const auto t2 = lim.add_torrent();
  lim.set_torrent_rate(t1, up, 100'000, t0);
  lim.set_torrent_rate(t2, up, 400'000, t0);
  sim s{lim};
  s.chunk = 4096;
  s.window_from = t0 + 2s;
  s.window_to = t0 + 22s;
  std::vector<peer_id> p1, p2;
  for (int i = 0; i < 5; ++i) {
    p1.push_back(lim.add_peer(t1));
    s.add(p1.back());
    p2.push_back(lim.add_peer(t2));
    s.add(p2.back());
  }
  s.run_until(t0 + 22s);
  for (const auto p : p1) EXPECT_NEAR(ratio(s.in_window[p], 20'000.0 * 20), 1.0, 0.05) << p;
  for (const auto p : p2) EXPECT_NEAR(ratio(s.in_window[p], 80'000.0 * 20), 1.0, 0.05) << p;
}

TEST(Limiter, LiveRateChanges) {
  limiter lim;
  lim.set_global_rate(up, 1'000'000, t0);
  sim s{lim};
  s.window_from = t0 + 1s;
  s.window_to = t0 + 10s;
  for (int i = 0; i < 4; ++i) s.add(lim.add_peer());
  s.run_until(t0 + 10s);
  const auto first = std::accumulate(s.in_window.begin(), s.in_window.end(), std::int64_t{0},
                                     [](std::int64_t a, const auto& kv) { return a + kv.second; });
  EXPECT_NEAR(ratio(first, 9'000'000.0), 1.0, 0.01);

  lim.set_global_rate(up, 200'000, s.now);
  s.in_window.clear();
  s.window_from = t0 + 10s;
  s.window_to = t0 + 30s;
  s.run_until(t0 + 30s);
  const auto second = std::accumulate(s.in_window.begin(), s.in_window.end(), std::int64_t{0},
                                      [](std::int64_t a, const auto& kv) { return a + kv.second; });
  EXPECT_NEAR(ratio(second, 4'000'000.0), 1.0, 0.01);

  // Lifting the limit frees the queue at once.
  lim.set_global_rate(up, 0, s.now);
  EXPECT_EQ(lim.next_wakeup(s.now), s.now);
  std::vector<grant> g;
  lim.poll(s.now, g);
  EXPECT_EQ(g.size(), 4u);
  for (const auto& x : g) EXPECT_TRUE(x.complete);
  EXPECT_EQ(lim.waiters(up), 0u);
}

TEST(Limiter, NewRequestsDoNotOvertakeWaiters) {
  limiter lim;
  lim.set_global_rate(up, 100'000, t0, 10'000);
  const auto a = lim.add_peer();
  const auto b = lim.add_peer();
  EXPECT_EQ(lim.request(a, up, 1'000'000, t0), 10'000);
  EXPECT_EQ(lim.request(b, up, 1000, t0 + 50ms), 0);  // tokens are there, but a was first
  EXPECT_EQ(lim.waiters(up), 2u);
  std::vector<grant> g;
  lim.poll(t0 + 50ms, g);  // 5000 tokens: a first (older), quantum 16 KiB -> a takes them all
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].peer, a);
  EXPECT_EQ(g[0].bytes, 5000);
  g.clear();
  lim.poll(t0 + 70ms, g);  // now b has been served less: it goes first
  ASSERT_GE(g.size(), 1u);
  EXPECT_EQ(g[0].peer, b);
  EXPECT_EQ(g[0].bytes, 1000);
  EXPECT_TRUE(g[0].complete);
  // Another request of a while it waits adds to its request and grants nothing now.
  EXPECT_EQ(lim.request(a, up, 500, t0 + 70ms), 0);
  EXPECT_EQ(lim.queued(a, up), 1'000'000 - 10'000 - 5000 - (g.size() > 1 ? g[1].bytes : 0) + 500);
}

TEST(Limiter, PeersOfOtherBucketsAreNotHeldUp) {
  limiter lim;  // global unlimited
  const auto t = lim.add_torrent();
  lim.set_torrent_rate(t, down, 1000, t0);
  const auto slow = lim.add_peer(t);
  const auto free = lim.add_peer();
  EXPECT_EQ(lim.request(slow, down, 5000, t0), 1000);
  EXPECT_EQ(lim.request(free, down, 5000, t0), 5000);  // shares no limited bucket with the waiter
  const auto other = lim.add_peer(t);
  EXPECT_EQ(lim.request(other, down, 10, t0 + 1s), 0);  // shares the torrent's bucket: queues
}

TEST(Limiter, ConsumeChargesAllLevels) {
  limiter lim;
  lim.set_global_rate(up, 1'000'000, t0, 100'000);
  const auto t = lim.add_torrent();
  lim.set_torrent_rate(t, up, 1'000'000, t0, 100'000);
  const auto p = lim.add_peer(t);
  const auto q = lim.add_peer();
  lim.consume(p, up, 500'000, t0);  // protocol bytes already sent
  EXPECT_EQ(lim.request(q, up, 10, t0), 0);  // the global bucket is in debt for everyone
  EXPECT_EQ(lim.time_until(q, up, 1, t0), 400'001us);
  EXPECT_EQ(lim.next_wakeup(t0), t0 + 400'010us);  // until its whole request (10 bytes) fits
}

TEST(Limiter, CancelRemoveAndMovePeers) {
  limiter lim;
  lim.set_global_rate(up, 1000, t0);
  const auto t = lim.add_torrent();
  const auto a = lim.add_peer(t);
  const auto b = lim.add_peer();
  (void)lim.request(a, up, 5000, t0);
  (void)lim.request(b, up, 5000, t0);
  EXPECT_EQ(lim.waiters(up), 2u);
  lim.set_peer_torrent(b, t);
  lim.remove_peer(a);
  EXPECT_EQ(lim.waiters(up), 1u);
  const auto c = lim.add_peer(t);  // reuses a's slot, with a clean state
  EXPECT_EQ(c, a);
  EXPECT_EQ(lim.queued(c, up), 0);
  lim.remove_torrent(t);  // b continues without the torrent level
  std::vector<grant> g;
  lim.poll(t0 + 5s, g);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].peer, b);
  EXPECT_EQ(lim.cancel(b, up), 5000 - g[0].bytes);
  EXPECT_EQ(lim.waiters(up), 0u);
  EXPECT_EQ(lim.next_wakeup(t0 + 5s), std::nullopt);
  EXPECT_EQ(lim.add_torrent(), t);
}

TEST(Limiter, DirectionsAreIndependent) {
  limiter lim;
  lim.set_global_rate(up, 1000, t0);
  const auto p = lim.add_peer();
  EXPECT_EQ(lim.request(p, up, 5000, t0), 1000);
  EXPECT_EQ(lim.request(p, down, 5000, t0), 5000);
}

}  // namespace
}  // namespace ccbt::ratelimit

namespace ccbt::ratelimit {
namespace {

TEST(LimiterRefund, UnusedGrantGoesBackToEveryLevel) {
  using namespace std::chrono_literals;
  const time_point t = time_point{} + 1000s;
  limiter lim;
  lim.set_global_rate(direction::download, 100'000, t);    // burst 16 KiB
  const auto tor = lim.add_torrent();
  lim.set_torrent_rate(tor, direction::download, 50'000, t);  // burst 16 KiB
  const auto p = lim.add_peer(tor);
  const auto other = lim.add_peer(tor);
  EXPECT_EQ(lim.request(p, direction::download, 16 * 1024, t), 16 * 1024);  // every bucket drained
  EXPECT_EQ(lim.request(other, direction::download, 1, t), 0);             // nothing left now
  EXPECT_EQ(lim.cancel(other, direction::download), 1);
  // The read returned 6 KiB of the 16 KiB granted: 10 KiB go back to the global and torrent buckets.
  lim.refund(p, direction::download, 10 * 1024, t);
  EXPECT_EQ(lim.request(other, direction::download, 10 * 1024, t), 10 * 1024);
  EXPECT_EQ(lim.request(other, direction::download, 1, t), 0);
}

TEST(LimiterRefund, NeverAboveBurstAndNoOpWhenUnlimited) {
  using namespace std::chrono_literals;
  const time_point t = time_point{} + 1000s;
  limiter lim;
  lim.set_global_rate(direction::upload, 100'000, t);  // burst 16 KiB, full
  const auto p = lim.add_peer();
  lim.refund(p, direction::upload, 1'000'000, t);
  EXPECT_EQ(lim.request(p, direction::upload, 1'000'000, t), 16 * 1024);
  EXPECT_EQ(lim.cancel(p, direction::upload), 1'000'000 - 16 * 1024);
  const auto q = lim.add_peer();
  lim.refund(q, direction::download, 5'000, t);  // unlimited: nothing to give back
  EXPECT_EQ(lim.request(q, direction::download, 123, t), 123);
  // The refund left no credit behind: a limit set afterwards starts at its burst, not above it.
  lim.set_global_rate(direction::download, 100'000, t);
  EXPECT_EQ(lim.request(q, direction::download, 1'000'000, t), 16 * 1024);
}

TEST(LimiterTightestRate, SmallestLimitedLevel) {
  using namespace std::chrono_literals;
  const time_point t = time_point{} + 1000s;
  limiter lim;
  const auto tor = lim.add_torrent();
  const auto p = lim.add_peer(tor);
  EXPECT_EQ(lim.tightest_rate(p, direction::download), 0);
  lim.set_global_rate(direction::download, 1'000'000, t);
  EXPECT_EQ(lim.tightest_rate(p, direction::download), 1'000'000);
  lim.set_torrent_rate(tor, direction::download, 300'000, t);
  EXPECT_EQ(lim.tightest_rate(p, direction::download), 300'000);
  lim.set_peer_rate(p, direction::download, 500'000, t);
  EXPECT_EQ(lim.tightest_rate(p, direction::download), 300'000);
  EXPECT_EQ(lim.tightest_rate(p, direction::upload), 0);
}

}  // namespace
}  // namespace ccbt::ratelimit
