// The session's bandwidth manager on a real io_context: waits without blocking the thread, fair
// sharing between channels, close() and rate changes wake waiters. Functional checks only (the
// accuracy of the rates is tested with simulated time in tests/unit/ratelimit and on loopback in
// tests/interop/test_rate_limits.py).
#include <gtest/gtest.h>

#include <chrono>

#include "session/bandwidth.hpp"

namespace ccbt::session_detail {
namespace {

namespace asio = net::asio;
using namespace std::chrono_literals;

// Runs the io_context until `done` or the deadline; returns whether `done` happened.
template <class F>
bool run_until(asio::io_context& io, F done, std::chrono::milliseconds limit = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < end) {
    io.run_for(10ms);
    if (io.stopped()) io.restart();
  }
  return done();
}

TEST(Bandwidth, UnlimitedNeverWaits) {
  asio::io_context io;
  bandwidth bw(io);
  bandwidth_channel ch(bw, io.get_executor(), ratelimit::no_torrent);
  EXPECT_FALSE(ch.limited(direction::download));
  EXPECT_EQ(ch.chunk(direction::download, 1 << 20), 1 << 20);
  int done = 0;
  asio::co_spawn(io, [&]() -> net::awaitable<void> {
    for (int i = 0; i < 100; ++i)
      if (co_await ch.acquire(direction::download, 1 << 20)) ++done;
  }, asio::detached);
  io.poll();  // no timer involved: everything completes in handlers that are ready now
  EXPECT_EQ(done, 100);
}

TEST(Bandwidth, LimitedChannelsShareFairlyAndWaitWithoutBlocking) {
  asio::io_context io;
  bandwidth bw(io);
  bw.set_global_rate(direction::upload, 2'000'000);
  bandwidth_channel a(bw, io.get_executor(), ratelimit::no_torrent);
  bandwidth_channel b(bw, io.get_executor(), ratelimit::no_torrent);
  EXPECT_TRUE(a.limited(direction::upload));
  EXPECT_EQ(a.chunk(direction::upload, 1 << 20), 16 * 1024);
  std::int64_t got_a = 0, got_b = 0;
  bool stop = false;
  auto flow = [&](bandwidth_channel& c, std::int64_t& got) -> net::awaitable<void> {
    while (!stop && co_await c.acquire(direction::upload, 16 * 1024)) got += 16 * 1024;
  };
  asio::co_spawn(io, flow(a, got_a), asio::detached);
  asio::co_spawn(io, flow(b, got_b), asio::detached);
  // A third coroutine keeps running while both flows wait: the thread is never blocked.
  int ticks = 0;
  asio::steady_timer t(io);
  asio::co_spawn(io, [&]() -> net::awaitable<void> {
    while (!stop) {
      t.expires_after(5ms);
      co_await t.async_wait(asio::use_awaitable);
      ++ticks;
    }
  }, asio::detached);
  // The first flow to run takes the initial burst (100 ms of the rate) alone: count from when both wait.
  ASSERT_TRUE(run_until(io, [&] { return got_a + got_b >= 300'000; }));
  const auto base_a = got_a, base_b = got_b;
  ASSERT_TRUE(run_until(io, [&] { return got_a + got_b >= 1'300'000; }));
  stop = true;
  a.close();
  b.close();
  EXPECT_GT(ticks, 10);
  // Each flow got about half: within 4 quanta of each other.
  EXPECT_LE(std::abs((got_a - base_a) - (got_b - base_b)), 4 * 16 * 1024)
      << got_a - base_a << " vs " << got_b - base_b;
}

TEST(Bandwidth, CloseWakesAWaiterWithFalse) {
  asio::io_context io;
  bandwidth bw(io);
  bw.set_global_rate(direction::download, 1);  // one byte per second: nobody gets 100 KB soon
  bandwidth_channel ch(bw, io.get_executor(), ratelimit::no_torrent);
  std::optional<bool> result;
  asio::co_spawn(io, [&]() -> net::awaitable<void> { result = co_await ch.acquire(direction::download, 100'000); },
                 asio::detached);
  io.run_for(50ms);
  io.restart();
  EXPECT_FALSE(result.has_value());
  ch.close();
  ASSERT_TRUE(run_until(io, [&] { return result.has_value(); }));
  EXPECT_FALSE(*result);
  // Closed: later requests fail at once.
  std::optional<bool> again;
  asio::co_spawn(io, [&]() -> net::awaitable<void> { again = co_await ch.acquire(direction::download, 1); },
                 asio::detached);
  io.poll();
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(*again);
}

TEST(Bandwidth, RaisingTheLimitWakesWaiters) {
  asio::io_context io;
  bandwidth bw(io);
  bw.set_global_rate(direction::download, 1);
  bandwidth_channel ch(bw, io.get_executor(), ratelimit::no_torrent);
  std::optional<bool> result;
  asio::co_spawn(io, [&]() -> net::awaitable<void> { result = co_await ch.acquire(direction::download, 100'000); },
                 asio::detached);
  io.run_for(50ms);
  io.restart();
  EXPECT_FALSE(result.has_value());
  bw.set_global_rate(direction::download, 0);  // unlimited now
  ASSERT_TRUE(run_until(io, [&] { return result.has_value(); }, 2000ms));
  EXPECT_TRUE(*result);
}

TEST(Bandwidth, PerPeerAndPerTorrentLevels) {
  asio::io_context io;
  bandwidth bw(io);
  const auto tor = bw.add_torrent();
  bandwidth_channel ch(bw, io.get_executor(), tor);
  bandwidth_channel other(bw, io.get_executor(), ratelimit::no_torrent);
  bw.set_torrent_rate(tor, direction::upload, 300'000);
  EXPECT_EQ(ch.tightest_rate(direction::upload), 300'000);
  EXPECT_EQ(other.tightest_rate(direction::upload), 0);
  bw.set_peer_rate(direction::upload, 100'000);  // every channel, present and future
  EXPECT_EQ(ch.tightest_rate(direction::upload), 100'000);
  EXPECT_EQ(other.tightest_rate(direction::upload), 100'000);
  bandwidth_channel later(bw, io.get_executor(), tor);
  EXPECT_EQ(later.tightest_rate(direction::upload), 100'000);
  bw.set_peer_rate(direction::upload, 0);
  EXPECT_EQ(later.tightest_rate(direction::upload), 300'000);
  EXPECT_FALSE(later.limited(direction::download));
}

}  // namespace
}  // namespace ccbt::session_detail
