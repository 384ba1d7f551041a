// The session's tracker hooks through the public API, against ccbt::tracker_server on loopback:
// started after the check, stopped on pause, started again on resume, add/remove trackers live,
// stopped on remove, and a session destructor that waits at most ~2 s for a silent tracker.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <ccbt/metainfo.hpp>
#include <ccbt/session.hpp>
#include <ccbt/tracker_server.hpp>

namespace ccbt {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class temp_dir {
 public:
  temp_dir() {
    std::string t = "/tmp/ccbt-session-trackers-XXXXXX";
    if (::mkdtemp(t.data()) != nullptr) path_ = t;
  }
  ~temp_dir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A v1 torrent with no tracker of its own (a bare info dict): 4 pieces of 16 KiB, no data on disk.
std::shared_ptr<const metainfo::torrent_info> make_torrent() {
  const std::string info = "d6:lengthi65536e4:name8:test.bin12:piece lengthi16384e6:pieces80:" + std::string(80, 'x') + "e";
  auto ti = metainfo::torrent_info::from_info_dict(info);
  if (!ti) return nullptr;
  return std::make_shared<const metainfo::torrent_info>(std::move(*ti));
}

settings loopback() {
  settings s;
  s.listen_interfaces = {"127.0.0.1:0"};
  return s;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// Waits for an alert of `kind` (about `url` when not empty); other alerts are dropped.
bool wait_alert(session& ses, alert_kind kind, const std::string& url = {}, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    ses.wait_for_alert(50ms);
    for (const auto& a : ses.pop_alerts())
      if (a.kind == kind && (url.empty() || a.tracker_url == url)) return true;
  }
  return false;
}

TEST(SessionTrackers, EventsFollowTheTorrentAndTrackersChangeLive) {
  temp_dir dir;
  auto ti = make_torrent();
  ASSERT_TRUE(ti);
  tracker_server tracker;
  ASSERT_TRUE(tracker.start());
  const auto http = tracker.http_announce_url();
  const auto udp = tracker.udp_announce_url();

  session ses(loopback());
  add_torrent_params p;
  p.torrent = ti;
  p.save_path = dir.path();
  p.trackers = {{http}};
  auto h = ses.add_torrent(std::move(p));
  ASSERT_TRUE(h);
  ASSERT_TRUE(wait_alert(ses, alert_kind::tracker_reply, http));
  EXPECT_EQ(tracker.stats().peers, 1u);
  auto ts = h->trackers();
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].url, http);
  EXPECT_EQ(ts[0].state, tracker_state::working);
  EXPECT_EQ(ts[0].leechers, 1);
  ASSERT_TRUE(ts[0].last_announce_s);

  h->pause();  // "stopped"
  ASSERT_TRUE(eventually([&] { return tracker.stats().peers == 0; }));
  EXPECT_FALSE(h->trackers()[0].next_announce_s);  // nothing scheduled while paused
  h->resume();  // "started" again
  ASSERT_TRUE(wait_alert(ses, alert_kind::tracker_reply, http));
  EXPECT_EQ(tracker.stats().peers, 1u);

  // A second tier: unused while the first works (BEP 12); it takes over when the first is removed.
  EXPECT_TRUE(h->add_tracker(udp, 1));
  EXPECT_FALSE(h->add_tracker(udp, 0));
  ts = h->trackers();
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts[0].url, http);
  EXPECT_EQ(ts[0].tier, 0);
  EXPECT_EQ(ts[1].url, udp);
  EXPECT_EQ(ts[1].tier, 1);
  EXPECT_EQ(ts[1].state, tracker_state::not_contacted);
  EXPECT_TRUE(h->remove_tracker(http));
  EXPECT_FALSE(h->remove_tracker(http));
  ASSERT_TRUE(wait_alert(ses, alert_kind::tracker_reply, udp));
  ts = h->trackers();
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].state, tracker_state::working);

  const auto announces = tracker.stats().announces;
  ses.remove_torrent(*h);  // "stopped"
  ASSERT_TRUE(eventually([&] { return tracker.stats().peers == 0; }));
  EXPECT_GT(tracker.stats().announces, announces);
}

TEST(SessionTrackers, ShutdownWaitsAtMostAboutTwoSecondsForStoppedAnnounces) {
  temp_dir dir;
  auto ti = make_torrent();
  ASSERT_TRUE(ti);
  tracker_server tracker;
  ASSERT_TRUE(tracker.start());
  // A tracker that accepts connections (the kernel does) and never answers.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const std::string silent = "http://127.0.0.1:" + std::to_string(ntohs(sa.sin_port)) + "/announce";

  auto s = loopback();
  s.announce_to_all_tiers = true;
  auto ses = std::make_unique<session>(s);
  add_torrent_params p;
  p.torrent = ti;
  p.save_path = dir.path();
  p.trackers = {{tracker.http_announce_url()}, {silent}};
  auto h = ses->add_torrent(std::move(p));
  ASSERT_TRUE(h);
  ASSERT_TRUE(wait_alert(*ses, alert_kind::tracker_reply, tracker.http_announce_url()));
  EXPECT_EQ(tracker.stats().peers, 1u);
  const auto t0 = std::chrono::steady_clock::now();
  ses.reset();
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 5s);
  EXPECT_GE(took, 1500ms);  // it did wait for the silent tracker's "stopped"
  EXPECT_EQ(tracker.stats().peers, 0u);  // the working tracker got its "stopped"
  ::close(fd);
}

}  // namespace
}  // namespace ccbt
