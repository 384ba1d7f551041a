#include <gtest/gtest.h>

#include <set>

#include "tracker/tracker_list.hpp"
#include "tracker/errors.hpp"

namespace ccbt::tracker {
namespace {

using namespace std::chrono_literals;

const clock::time_point t0 = clock::time_point{} + 1000h;

announce_response ok(std::chrono::seconds interval = 1800s, std::optional<std::chrono::seconds> min_interval = {}) {
  announce_response r;
  r.interval = interval;
  r.min_interval = min_interval;
  return r;
}
error fail() { return error{make_error_code(errc::timeout), std::nullopt, "test"}; }

announce_job only(std::vector<announce_job> jobs) {
  EXPECT_EQ(jobs.size(), 1u);
  return jobs.empty() ? announce_job{} : jobs.front();
}

TEST(TrackerList, SingleTrackerLifecycle) {
  tracker_list l({{"http://a/announce"}}, 1);
  EXPECT_TRUE(l.poll(t0).empty());  // not started
  EXPECT_FALSE(l.next_wakeup(t0));
  l.start(t0);
  auto j = only(l.poll(t0));
  EXPECT_EQ(j.url, "http://a/announce");
  EXPECT_EQ(j.ev, event::started);
  EXPECT_TRUE(l.poll(t0).empty());  // in flight
  EXPECT_FALSE(l.next_wakeup(t0));
  auto r = ok(100s);
  r.tracker_id = "T1";
  r.complete = 7;
  r.warning = "w";
  l.on_success(j, t0 + 1s, r);
  EXPECT_EQ(l.trackers()[0].state, tracker_state::working);
  EXPECT_EQ(l.trackers()[0].seeds, 7);
  EXPECT_EQ(l.trackers()[0].warning, "w");
  EXPECT_EQ(l.next_wakeup(t0 + 1s), t0 + 101s);
  EXPECT_TRUE(l.poll(t0 + 100s).empty());
  j = only(l.poll(t0 + 101s));
  EXPECT_EQ(j.ev, event::none);
  EXPECT_EQ(j.tracker_id, "T1");
  l.on_success(j, t0 + 102s, ok(100s));
  l.completed(t0 + 110s);
  j = only(l.poll(t0 + 110s));  // completed goes out at once
  EXPECT_EQ(j.ev, event::completed);
  l.on_success(j, t0 + 111s, ok(100s));
  j = only(l.poll(t0 + 211s));
  EXPECT_EQ(j.ev, event::none);
  l.on_success(j, t0 + 212s, ok(100s));
  auto stops = l.stop(t0 + 220s);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].ev, event::stopped);
  EXPECT_EQ(stops[0].tracker_id, "T1");
  EXPECT_FALSE(l.running());
  EXPECT_TRUE(l.poll(t0 + 10000s).empty());
  EXPECT_FALSE(l.next_wakeup(t0 + 10000s));
  EXPECT_TRUE(l.stop(t0 + 10001s).empty());  // stopping twice sends nothing
  // Resuming sends "started" again.
  l.start(t0 + 20000s);
  EXPECT_EQ(only(l.poll(t0 + 20000s)).ev, event::started);
}

TEST(TrackerList, IntervalsAreFlooredAndClamped) {
  list_options o;
  o.min_interval_floor = 60s;
  o.max_interval = 7200s;
  o.default_interval = 900s;
  tracker_list l({{"a"}}, 1, o);
  l.start(t0);
  auto j = only(l.poll(t0));
  l.on_success(j, t0, ok(5s));
  EXPECT_EQ(l.next_wakeup(t0), t0 + 60s);
  j = only(l.poll(t0 + 60s));
  l.on_success(j, t0 + 60s, ok(100000s));
  EXPECT_EQ(l.next_wakeup(t0 + 60s), t0 + 60s + 7200s);
  j = only(l.poll(t0 + 60s + 7200s));
  announce_response no_interval;
  l.on_success(j, t0 + 8000s, no_interval);
  EXPECT_EQ(l.next_wakeup(t0 + 8000s), t0 + 8900s);
  // min interval above interval wins
  j = only(l.poll(t0 + 8900s));
  l.on_success(j, t0 + 8900s, ok(100s, 300s));
  EXPECT_EQ(l.trackers()[0].interval, 300s);
  EXPECT_EQ(l.next_wakeup(t0 + 8900s), t0 + 9200s);
}

TEST(TrackerList, ForceReannounceRespectsMinInterval) {
  tracker_list l({{"a"}}, 1);
  l.start(t0);
  auto j = only(l.poll(t0));
  l.on_success(j, t0, ok(1800s, 120s));
  l.force_reannounce(t0 + 10s);
  EXPECT_TRUE(l.poll(t0 + 10s).empty());
  EXPECT_EQ(l.next_wakeup(t0 + 10s), t0 + 120s);
  EXPECT_EQ(only(l.poll(t0 + 120s)).ev, event::none);
}

TEST(TrackerList, FailureBacksOffExponentially) {
  list_options o;
  o.retry_base = 15s;
  o.retry_max = 100s;
  tracker_list l({{"a"}}, 1, o);
  l.start(t0);
  auto now = t0;
  for (auto expected : {15s, 30s, 60s, 100s, 100s}) {
    auto j = only(l.poll(now));
    EXPECT_EQ(j.ev, event::started);  // never acknowledged, so still "started"
    l.on_failure(j, now, fail());
    EXPECT_EQ(l.next_wakeup(now), now + expected);
    EXPECT_TRUE(l.poll(now + expected - 1s).empty());
    now += expected;
  }
  EXPECT_EQ(l.trackers()[0].state, tracker_state::failing);
  EXPECT_EQ(l.trackers()[0].fails, 5);
  ASSERT_TRUE(l.trackers()[0].last_error);
  EXPECT_EQ(l.trackers()[0].last_error->code, make_error_code(errc::timeout));
  auto j = only(l.poll(now));
  l.on_success(j, now, ok());
  EXPECT_EQ(l.trackers()[0].fails, 0);
  EXPECT_FALSE(l.trackers()[0].last_error);
}

TEST(TrackerList, FailsOverWithinTierThenToNextTierAndPromotes) {
  tracker_list l({{"a1", "a2"}, {"b1"}}, 7);
  l.start(t0);
  auto first = only(l.poll(t0));
  EXPECT_EQ(l.find(first.tracker)->tier, 0u);
  l.on_failure(first, t0, fail());
  auto second = only(l.poll(t0));  // the other tracker of tier 0, at once
  EXPECT_EQ(l.find(second.tracker)->tier, 0u);
  EXPECT_NE(second.url, first.url);
  l.on_failure(second, t0 + 1s, fail());
  auto third = only(l.poll(t0 + 1s));  // tier 0 exhausted: tier 1
  EXPECT_EQ(third.url, "b1");
  EXPECT_EQ(third.ev, event::started);
  l.on_success(third, t0 + 2s, ok(1000s));
  EXPECT_TRUE(l.poll(t0 + 3s).empty());
  // The first tier-0 tracker's retry time (15 s) comes before b1's interval: back to tier 0.
  EXPECT_EQ(l.next_wakeup(t0 + 3s), t0 + 15s);
  auto retry = only(l.poll(t0 + 15s));
  EXPECT_EQ(retry.url, first.url);
  l.on_success(retry, t0 + 16s, ok(1000s));
  // Promoted to the front of tier 0; tier 1 is no longer used while tier 0 works.
  EXPECT_EQ(l.trackers()[0].url, first.url);
  EXPECT_EQ(l.next_wakeup(t0 + 16s), t0 + 1016s);
  EXPECT_EQ(only(l.poll(t0 + 1016s)).url, first.url);
}

TEST(TrackerList, PromotionMovesTheAnsweringTrackerToTheFront) {
  tracker_list l({{"a", "b", "c"}}, 3);
  std::vector<std::string> order;
  for (const auto& t : l.trackers()) order.push_back(t.url);
  l.start(t0);
  auto j1 = only(l.poll(t0));
  EXPECT_EQ(j1.url, order[0]);
  l.on_failure(j1, t0, fail());
  auto j2 = only(l.poll(t0));
  EXPECT_EQ(j2.url, order[1]);
  l.on_failure(j2, t0, fail());
  auto j3 = only(l.poll(t0));
  EXPECT_EQ(j3.url, order[2]);
  l.on_success(j3, t0, ok());
  EXPECT_EQ(l.trackers()[0].url, order[2]);
  EXPECT_EQ(l.trackers()[1].url, order[0]);
  EXPECT_EQ(l.trackers()[2].url, order[1]);
  // A working front tracker is the only one used, even when the others' retry times pass.
  EXPECT_TRUE(l.poll(t0 + 100s).empty());
}

TEST(TrackerList, ShufflesWithinTiersOnly) {
  std::set<std::string> firsts;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    tracker_list l({{"a", "b", "c", "d"}, {"x", "y"}}, seed);
    ASSERT_EQ(l.trackers().size(), 6u);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(l.trackers()[i].tier, 0u);
    for (std::size_t i = 4; i < 6; ++i) EXPECT_EQ(l.trackers()[i].tier, 1u);
    firsts.insert(l.trackers()[0].url);
    // deterministic per seed
    tracker_list again({{"a", "b", "c", "d"}, {"x", "y"}}, seed);
    for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(l.trackers()[i].url, again.trackers()[i].url);
  }
  EXPECT_GT(firsts.size(), 1u);
  for (const auto& f : firsts) EXPECT_TRUE(f == "a" || f == "b" || f == "c" || f == "d");
}

TEST(TrackerList, AnnounceToAllTiers) {
  list_options o;
  o.announce_to_all_tiers = true;
  tracker_list l({{"a"}, {"b"}, {}, {"c"}}, 1, o);
  l.start(t0);
  auto jobs = l.poll(t0);
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].url, "a");
  EXPECT_EQ(jobs[1].url, "b");
  EXPECT_EQ(jobs[2].url, "c");
  EXPECT_EQ(l.find(jobs[2].tracker)->tier, 2u);  // the empty tier takes no index
}

TEST(TrackerList, StopReachesTrackersThatGotStarted) {
  tracker_list l({{"a"}, {"b"}}, 1, list_options{.announce_to_all_tiers = true});
  l.start(t0);
  auto jobs = l.poll(t0);
  ASSERT_EQ(jobs.size(), 2u);
  l.on_failure(jobs[1], t0, fail());  // b never got "started"; a's is still in flight
  auto stops = l.stop(t0 + 1s);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].url, "a");
  EXPECT_EQ(stops[0].ev, event::stopped);
  // The late answer to a's "started" belongs to the previous generation: ignored.
  l.on_success(jobs[0], t0 + 2s, ok());
  l.start(t0 + 3s);
  auto again = l.poll(t0 + 3s);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].ev, event::started);
  l.on_success(jobs[0], t0 + 4s, ok());  // stale generation: still ignored
  EXPECT_EQ(l.trackers()[0].state, tracker_state::updating);
}

TEST(TrackerList, CompletedDuringFlightIsSentRightAfter) {
  tracker_list l({{"a"}}, 1);
  l.start(t0);
  auto j = only(l.poll(t0));
  l.on_success(j, t0, ok(1000s));
  j = only(l.poll(t0 + 1000s));
  l.completed(t0 + 1001s);
  EXPECT_TRUE(l.poll(t0 + 1001s).empty());
  l.on_success(j, t0 + 1002s, ok(1000s));
  EXPECT_EQ(only(l.poll(t0 + 1002s)).ev, event::completed);
}

TEST(TrackerList, NoCompletedForATrackerThatFirstHearsOfUsAsSeed) {
  tracker_list l({{"a"}}, 1);
  l.start(t0);
  auto j = only(l.poll(t0));
  l.on_failure(j, t0, fail());
  l.completed(t0 + 1s);
  j = only(l.poll(t0 + 15s));
  EXPECT_EQ(j.ev, event::started);
  l.on_success(j, t0 + 15s, ok(100s));
  EXPECT_EQ(only(l.poll(t0 + 115s)).ev, event::none);
}

TEST(TrackerList, AddAndDuplicates) {
  tracker_list l({{"a", "a", ""}, {"a"}}, 1);
  EXPECT_EQ(l.trackers().size(), 1u);
  EXPECT_FALSE(l.add("a", 0));
  EXPECT_TRUE(l.add("b", 9));  // beyond the last tier: a new last tier
  EXPECT_EQ(l.find(1)->tier, 1u);
  tracker_list empty({}, 1);
  EXPECT_TRUE(empty.empty());
  empty.start(t0);
  EXPECT_TRUE(empty.poll(t0).empty());
  EXPECT_FALSE(empty.next_wakeup(t0));
  EXPECT_TRUE(empty.add("late", 0));
  EXPECT_EQ(only(empty.poll(t0 + 1s)).ev, event::started);
}

TEST(TrackerList, WakeupCoversTheNextTierWhileTheFirstBacksOff) {
  tracker_list l({{"a"}, {"b"}}, 1);
  l.start(t0);
  auto a = only(l.poll(t0));
  l.on_failure(a, t0, fail());
  auto b = only(l.poll(t0));
  EXPECT_EQ(b.url, "b");
  l.on_failure(b, t0, fail());
  // Both in back-off: the earliest retry wins, and poll() then has work.
  const auto wake = l.next_wakeup(t0);
  ASSERT_TRUE(wake);
  EXPECT_EQ(*wake, t0 + 15s);
  EXPECT_EQ(only(l.poll(*wake)).url, "a");
}

TEST(TrackerList, RemoveDropsTheTrackerAndItsAnswerInFlight) {
  tracker_list l({{"http://a/announce"}, {"http://b/announce"}}, 1);
  EXPECT_FALSE(l.remove("http://c/announce"));
  l.start(t0);
  auto j = only(l.poll(t0));
  EXPECT_EQ(j.url, "http://a/announce");
  EXPECT_TRUE(l.remove("http://a/announce"));
  ASSERT_EQ(l.trackers().size(), 1u);
  l.on_success(j, t0, ok());  // answer of a removed tracker: ignored
  EXPECT_EQ(l.trackers()[0].state, tracker_state::not_contacted);
  auto k = only(l.poll(t0));  // the next tier takes over at once
  EXPECT_EQ(k.url, "http://b/announce");
  EXPECT_EQ(k.ev, event::started);
  EXPECT_TRUE(l.add("http://a/announce", 0));  // can come back
  EXPECT_EQ(l.trackers()[0].url, "http://a/announce");
}

}  // namespace
}  // namespace ccbt::tracker
