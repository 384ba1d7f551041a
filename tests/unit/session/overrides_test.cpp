// Per-torrent overrides through the public API: set at add time and live, read back, saved in the
// resume store and restored when the torrent is added again after a restart; apply_settings()
// reports the keys that need a restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <unistd.h>
#include <filesystem>
#include <thread>

#include <ccbt/config.hpp>
#include <ccbt/session.hpp>

namespace ccbt {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::shared_ptr<const metainfo::torrent_info> one_piece_torrent() {
  const std::string bytes = "d4:infod6:lengthi16384e4:name8:file.bin12:piece lengthi16384e6:pieces20:" +
                            std::string(20, 'a') + "ee";
  auto ti = metainfo::torrent_info::parse(bytes);
  EXPECT_TRUE(ti.has_value());
  return std::make_shared<const metainfo::torrent_info>(std::move(*ti));
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() / ("ccbt-overrides-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

settings test_settings(const fs::path& dir) {
  settings s;
  s.listen_interfaces = {"127.0.0.1:0"};
  s.resume_db = (dir / "resume.sqlite").string();
  return s;
}

// Waits (bounded) until the initial check is over, which is when the store gets the torrent's row.
void wait_checked(const torrent_handle& h) {
  for (int i = 0; i < 500 && h.status().state == torrent_state::checking; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_NE(h.status().state, torrent_state::checking);
}

TEST(SessionOverrides, SetAtAddReadBackAndRestoredAfterRestart) {
  temp_dir dir;
  const auto ti = one_piece_torrent();
  torrent_overrides want;
  want.download_rate_limit = 2 << 20;
  want.upload_rate_limit = 0;  // explicitly unlimited, not "follow the session"
  want.max_connections = 7;
  want.unchoke_slots = 2;
  want.strategy = piece_strategy::sequential;
  {
    session ses(test_settings(dir.path));
    add_torrent_params p;
    p.torrent = ti;
    p.save_path = dir.path / "data";
    p.overrides = want;
    auto h = ses.add_torrent(p);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->overrides(), want);
    wait_checked(*h);
  }
  {
    // Added again without overrides: the saved ones come back.
    session ses(test_settings(dir.path));
    add_torrent_params p;
    p.torrent = ti;
    p.save_path = dir.path / "data";
    auto h = ses.add_torrent(p);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->overrides(), want);
    // Changed live: saved at once (the row exists).
    torrent_overrides changed;
    changed.upload_rate_limit = 100'000;
    h->set_overrides(changed);
    EXPECT_EQ(h->overrides(), changed);
  }
  {
    session ses(test_settings(dir.path));
    add_torrent_params p;
    p.torrent = ti;
    p.save_path = dir.path / "data";
    p.overrides.max_connections = 3;  // given now: wins over the saved fields, the rest is restored
    auto h = ses.add_torrent(p);
    ASSERT_TRUE(h.has_value());
    torrent_overrides expect;
    expect.upload_rate_limit = 100'000;
    expect.max_connections = 3;
    EXPECT_EQ(h->overrides(), expect);
    h->set_strategy(piece_strategy::round_robin);
    EXPECT_EQ(h->overrides().strategy, piece_strategy::round_robin);
  }
}

TEST(SessionOverrides, WithoutResumeStoreNothingIsRestored) {
  temp_dir dir;
  const auto ti = one_piece_torrent();
  for (int round = 0; round < 2; ++round) {
    auto s = test_settings(dir.path);
    s.resume_db.clear();
    session ses(s);
    add_torrent_params p;
    p.torrent = ti;
    p.save_path = dir.path / "data";
    if (round == 0) p.overrides.unchoke_slots = 9;
    auto h = ses.add_torrent(p);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->overrides().unchoke_slots, round == 0 ? std::optional<int>(9) : std::nullopt);
    wait_checked(*h);
  }
}

TEST(SessionSettings, ApplyReportsRestartKeysAndKeepsTheirRunningValues) {
  temp_dir dir;
  auto s = test_settings(dir.path);
  session ses(s);
  auto changed = s;
  changed.download_rate_limit = 1 << 20;   // live
  changed.unchoke_slots = 8;               // live
  changed.disk_threads = 5;                // restart
  changed.listen_interfaces = {"127.0.0.1:1"};  // restart
  const auto restart = ses.apply_settings(changed);
  EXPECT_EQ(restart, (std::vector<std::string>{"network.listen_interfaces", "disk.io_threads"}));
  // The restart keys kept their start values, so going back changes only live keys.
  EXPECT_TRUE(ses.apply_settings(s).empty());
}

}  // namespace
}  // namespace ccbt
