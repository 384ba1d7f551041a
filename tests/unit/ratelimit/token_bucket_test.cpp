#include <gtest/gtest.h>

#include <limits>

#include "ratelimit/token_bucket.hpp"

namespace ccbt::ratelimit {
namespace {

using namespace std::chrono_literals;
const time_point t0 = time_point{} + 1000s;

TEST(TokenBucket, ZeroRateIsUnlimited) {
  token_bucket b;
  EXPECT_TRUE(b.unlimited());
  EXPECT_EQ(b.take(1 << 30, t0), 1 << 30);
  EXPECT_EQ(b.available(t0), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(b.time_until(1 << 30, t0), duration::zero());
  b.consume(1 << 30, t0);
  EXPECT_EQ(b.take(5, t0), 5);
  token_bucket z(0, 100, t0);
  EXPECT_TRUE(z.unlimited());
}

TEST(TokenBucket, StartsFullAndRefillsExactly) {
  token_bucket b(1000, 1000, t0);
  EXPECT_EQ(b.burst(), 1000);
  EXPECT_EQ(b.take(5000, t0), 1000);  // the burst, no more
  EXPECT_EQ(b.take(1, t0), 0);
  EXPECT_EQ(b.available(t0 + 1ms), 1);
  EXPECT_EQ(b.available(t0 + 1500us), 1);
  EXPECT_EQ(b.take(10, t0 + 1500us), 1);
  EXPECT_EQ(b.available(t0 + 3ms), 2);  // the half token of 1.5 ms was carried, not lost
  EXPECT_EQ(b.available(t0 + 10s), 1000);  // capped at the burst
}

TEST(TokenBucket, NoRoundingLossOverManySmallSteps) {
  token_bucket b(7, 7, t0);
  std::int64_t got = b.take(100, t0);
  for (int i = 1; i <= 10'000; ++i) got += b.take(100, t0 + i * 1ms);  // 10 s in 1 ms steps
  EXPECT_EQ(got, 7 + 70);
}

TEST(TokenBucket, TimeUntil) {
  token_bucket b(1000, 2000, t0);
  EXPECT_EQ(b.time_until(2000, t0), duration::zero());
  (void)b.take(2000, t0);
  EXPECT_EQ(b.time_until(500, t0), 500ms);
  EXPECT_EQ(b.time_until(500, t0 + 200ms), 300ms);
  EXPECT_EQ(b.time_until(1'000'000, t0), 2s);  // capped at the burst: it can never hold more
  token_bucket c(3, 10, t0);
  (void)c.take(10, t0);
  EXPECT_EQ(c.time_until(1, t0), std::chrono::nanoseconds(333'333'334));  // rounded up
  EXPECT_EQ(c.available(t0 + c.time_until(1, t0)), 1);
  EXPECT_EQ(c.available(t0 + c.time_until(1, t0) - 1ns), 0);
}

TEST(TokenBucket, ConsumeGoesIntoDebt) {
  token_bucket b(1000, 1000, t0);
  b.consume(3000, t0);
  EXPECT_EQ(b.available(t0), -2000);
  EXPECT_EQ(b.take(10, t0), 0);
  EXPECT_EQ(b.time_until(1, t0), 2001ms);
  EXPECT_EQ(b.available(t0 + 2s), 0);
  EXPECT_EQ(b.take(10, t0 + 2010ms), 10);
}

TEST(TokenBucket, LiveRateChange) {
  token_bucket b(1000, 1000, t0);
  (void)b.take(1000, t0);
  b.set_rate(100, 100, t0 + 500ms);  // 500 tokens accrued at the old rate, capped to the new burst
  EXPECT_EQ(b.available(t0 + 500ms), 100);
  (void)b.take(100, t0 + 500ms);
  EXPECT_EQ(b.available(t0 + 1500ms), 100);
  (void)b.take(100, t0 + 1500ms);
  b.set_rate(10'000, 10'000, t0 + 1500ms);  // raising keeps what is there (nothing) ...
  EXPECT_EQ(b.available(t0 + 1500ms), 0);
  EXPECT_EQ(b.available(t0 + 1600ms), 1000);  // ... and accrues at the new rate
  b.set_rate(0, 0, t0 + 2s);
  EXPECT_TRUE(b.unlimited());
  EXPECT_EQ(b.take(1 << 20, t0 + 2s), 1 << 20);
  b.set_rate(500, 0, t0 + 3s);  // newly limited: starts full, default burst
  EXPECT_EQ(b.burst(), default_burst(500));
  EXPECT_EQ(b.available(t0 + 3s), default_burst(500));
}

TEST(TokenBucket, DefaultBurst) {
  EXPECT_EQ(default_burst(0), 0);
  EXPECT_EQ(default_burst(1000), 1000);              // a second's worth when below a block
  EXPECT_EQ(default_burst(100'000), 16 * 1024);      // at least a block
  EXPECT_EQ(default_burst(10'000'000), 1'000'000);   // 100 ms
}

TEST(TokenBucket, TimeGoingBackwardsChangesNothing) {
  token_bucket b(1000, 1000, t0);
  (void)b.take(1000, t0 + 1s);
  EXPECT_EQ(b.available(t0), 0);
  EXPECT_EQ(b.take(5, t0), 0);
  EXPECT_EQ(b.available(t0 + 1001ms), 1);
}

TEST(TokenBucket, HugeRatesAndGapsDoNotOverflow) {
  const std::int64_t tib = std::int64_t{1} << 40;
  token_bucket b(tib, tib, t0);
  (void)b.take(tib, t0);
  EXPECT_EQ(b.available(t0 + 24h * 3650), tib);
  EXPECT_EQ(b.available(t0 + 1ns), 1099);
  token_bucket m(std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max(), t0);
  (void)m.take(std::numeric_limits<std::int64_t>::max(), t0);
  EXPECT_EQ(m.available(t0 + 24h * 365 * 100), std::numeric_limits<std::int64_t>::max());
  EXPECT_GT(m.time_until(std::numeric_limits<std::int64_t>::max(), t0), duration::zero());
}

}  // namespace
}  // namespace ccbt::ratelimit
