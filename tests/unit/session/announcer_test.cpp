// The announcer against the embedded tracker on loopback: events, peers, per-tracker errors with
// tier fail-over, stopped announces counted for shutdown, detach. Real sockets, bounded waits.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wnull-dereference"  // asio reactor false positive, see src/tracker
#endif

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "session/announcer.hpp"
#include "tracker/embedded_tracker.hpp"

namespace ccbt::session_detail {
namespace {

using namespace std::chrono_literals;

// Runs the io_context one handler at a time until pred() holds or the limit passes; returns pred().
bool run_until(net::asio::io_context& io, const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_one_for(10ms);
  }
  return pred();
}

struct recorder {
  std::vector<announce_report> reports;
  std::vector<tracker::peer_entry> peers;
  int numbers_asked = 0;
  std::uint16_t port = 40999;  // the tracker refuses port 0
  std::uint64_t left = 1000;

  announcer_callbacks callbacks() {
    announcer_callbacks cb;
    cb.numbers = [this] {
      ++numbers_asked;
      announce_numbers n;
      n.left = left;
      n.port = port;
      return n;
    };
    cb.peers = [this](const std::vector<tracker::peer_entry>& p) { peers.insert(peers.end(), p.begin(), p.end()); };
    cb.report = [this](const announce_report& r) { reports.push_back(r); };
    return cb;
  }
  [[nodiscard]] int count(announce_outcome o, const std::string& url) const {
    int n = 0;
    for (const auto& r : reports) n += (r.outcome == o && r.url == url) ? 1 : 0;
    return n;
  }
};

class AnnouncerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = tracker::embedded_tracker::create(io.get_executor(), {});
    ASSERT_TRUE(t) << t.error().message();
    server = std::move(*t);
    server->run();
    http = "http://127.0.0.1:" + std::to_string(server->http_port()) + "/announce";
    udp = "udp://127.0.0.1:" + std::to_string(server->udp_port()) + "/announce";
  }
  void TearDown() override {
    server->stop();
    io.restart();
    io.run_for(50ms);
  }

  std::shared_ptr<announcer> make(const std::vector<std::vector<std::string>>& tiers, recorder& rec, char id) {
    announcer_config cfg;
    cfg.info_hash = *sha1_hash::from_bytes(std::string(20, 'h'));
    cfg.pid = *tracker::peer_id::from_bytes("-CC0001-00000000000" + std::string(1, id));
    cfg.key = static_cast<std::uint32_t>(id);
    cfg.num_want = 50;
    return std::make_shared<announcer>(io, ctx, cfg, tiers, rec.callbacks());
  }

  net::asio::io_context io{1};
  announce_context ctx{[] {
    tracker::client_options o;
    o.udp.base_timeout = 200ms;
    o.udp.max_retransmits = 1;
    o.http.timeout = 2s;
    return o;
  }()};
  std::unique_ptr<tracker::embedded_tracker> server;
  std::string http, udp;
};

TEST_F(AnnouncerTest, PeersFindEachOtherOverHttpAndUdpAndStoppedLeavesTheSwarm) {
  recorder a, b;
  a.port = 41001;
  b.port = 41002;
  auto an_a = make({{http}}, a, 'a');
  auto an_b = make({{udp}}, b, 'b');
  an_a->start();
  ASSERT_TRUE(run_until(io, [&] { return a.count(announce_outcome::reply, http) == 1; }));
  EXPECT_TRUE(a.peers.empty());
  an_b->start();
  ASSERT_TRUE(run_until(io, [&] { return b.count(announce_outcome::reply, udp) == 1; }));
  ASSERT_EQ(b.peers.size(), 1u);
  EXPECT_EQ(b.peers[0].address.to_string(), "127.0.0.1:41001");
  const auto st = an_b->status();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].url, udp);
  EXPECT_EQ(st[0].state, ccbt::tracker_state::working);
  ASSERT_TRUE(st[0].next_announce_s);
  EXPECT_GT(*st[0].next_announce_s, 60);  // the tracker's interval, not a busy loop
  EXPECT_EQ(st[0].leechers, 2);

  // "stopped" is counted while in flight and removes the peer from the tracker.
  EXPECT_EQ(server->stats().peers, 2u);
  an_a->stop();
  EXPECT_FALSE(an_a->running());
  EXPECT_EQ(ctx.stops_in_flight, 1u);
  ASSERT_TRUE(run_until(io, [&] { return ctx.stops_in_flight == 0; }));
  EXPECT_EQ(server->stats().peers, 1u);
  EXPECT_EQ(a.count(announce_outcome::error, http), 0);

  // Started again: a fresh "started", answered with the other peer.
  a.peers.clear();
  an_a->start();
  ASSERT_TRUE(run_until(io, [&] { return a.count(announce_outcome::reply, http) == 2; }));
  ASSERT_EQ(a.peers.size(), 1u);
  EXPECT_EQ(a.peers[0].address.to_string(), "127.0.0.1:41002");
  an_a->detach();
  an_b->detach();
  ASSERT_TRUE(run_until(io, [&] { return ctx.stops_in_flight == 0; }));
}

TEST_F(AnnouncerTest, AFailingTierReportsItsOwnErrorAndTheNextTierTakesOver) {
  // A port nothing listens on (the tracker's UDP port, over TCP: refused at once).
  const std::string dead = "http://127.0.0.1:" + std::to_string(server->udp_port()) + "/announce";
  recorder r;
  auto an = make({{dead}, {http}}, r, 'c');
  an->start();
  ASSERT_TRUE(run_until(io, [&] { return r.count(announce_outcome::reply, http) == 1; }));
  EXPECT_EQ(r.count(announce_outcome::error, dead), 1);
  EXPECT_EQ(r.count(announce_outcome::error, http), 0);
  for (const auto& rep : r.reports)
    if (rep.outcome == announce_outcome::error) {
      EXPECT_FALSE(rep.message.empty());
    }
  const auto st = an->status();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].url, dead);
  EXPECT_EQ(st[0].tier, 0);
  EXPECT_EQ(st[0].state, ccbt::tracker_state::failing);
  EXPECT_EQ(st[0].fails, 1);
  EXPECT_FALSE(st[0].last_error.empty());
  EXPECT_EQ(st[1].state, ccbt::tracker_state::working);

  // remove / add while running: the new tracker is announced to at once.
  EXPECT_TRUE(an->remove_tracker(dead));
  EXPECT_FALSE(an->remove_tracker(dead));
  EXPECT_TRUE(an->add_tracker(udp, 0));
  EXPECT_FALSE(an->add_tracker(udp, 3));
  ASSERT_TRUE(run_until(io, [&] { return r.count(announce_outcome::reply, udp) == 1; }));
  an->detach();
  ASSERT_TRUE(run_until(io, [&] { return ctx.stops_in_flight == 0; }));
}

TEST_F(AnnouncerTest, DetachStopsAnnouncingAndNeverCallsBack) {
  recorder r;
  auto an = make({{http}}, r, 'd');
  an->start();
  an->detach();  // the "started" announce was not issued yet: nothing to stop
  EXPECT_EQ(ctx.stops_in_flight, 0u);
  std::weak_ptr<announcer> weak = an;
  an.reset();
  run_until(io, [] { return false; }, 300ms);
  EXPECT_TRUE(r.reports.empty());
  EXPECT_EQ(r.numbers_asked, 0);
  EXPECT_TRUE(weak.expired());  // the loop ended and released it
  EXPECT_EQ(server->stats().announces, 0u);
}

TEST_F(AnnouncerTest, StoppedIsSentToATrackerWhoseStartedIsInFlight) {
  recorder r;
  auto an = make({{http}}, r, 'e');
  an->start();
  // Let the loop issue "started", then stop before its answer can be used.
  ASSERT_TRUE(run_until(io, [&] { return r.numbers_asked == 1; }));
  an->stop();
  EXPECT_EQ(ctx.stops_in_flight, 1u);
  ASSERT_TRUE(run_until(io, [&] { return ctx.stops_in_flight == 0; }));
  run_until(io, [] { return false; }, 200ms);
  EXPECT_TRUE(r.reports.empty());  // the late "started" answer is dropped
  EXPECT_EQ(server->stats().announces, 2u);  // "started", then "stopped" (on two connections)
}

}  // namespace
}  // namespace ccbt::session_detail
