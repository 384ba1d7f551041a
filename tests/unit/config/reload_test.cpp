// Hot reload: diff(), merge_live(), the inotify file watcher and the reloading watcher.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "config/keys.hpp"
#include "test_util.hpp"

namespace ccbt::config {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::temp_dir;
using test::write_file;

TEST(ConfigDiff, SplitsLiveAndRestartKeys) {
  settings a, b;
  EXPECT_TRUE(diff(a, b).empty());
  b.max_connections = 5;
  b.download_rate_limit = 1000;
  b.disk_threads = 7;
  b.listen_interfaces = {"127.0.0.1:1"};
  b.strategy = piece_strategy::sequential;
  const auto d = diff(a, b);
  EXPECT_EQ(d.live, (std::vector<std::string>{"network.max_connections", "strategy.piece_strategy", "limits.download_rate"}));
  EXPECT_EQ(d.restart, (std::vector<std::string>{"network.listen_interfaces", "disk.io_threads"}));

  const auto m = merge_live(a, b);
  EXPECT_EQ(m.max_connections, 5);
  EXPECT_EQ(m.download_rate_limit, 1000);
  EXPECT_EQ(m.strategy, piece_strategy::sequential);
  EXPECT_EQ(m.disk_threads, a.disk_threads);
  EXPECT_EQ(m.listen_interfaces, a.listen_interfaces);
  EXPECT_EQ(diff(m, b).live.size(), 0u);
  EXPECT_EQ(diff(m, b).restart, d.restart);
}

TEST(ConfigDiff, EveryKeyIsSeenByDiff) {
  // Changing any key through --set must show up under exactly that key.
  for (const auto& k : keys()) {
    loaded_config c;
    std::string text;
    switch (k.type) {
      case value_type::boolean:  // the opposite of the default
        text = std::get<bool>(detail::read(settings{}, detail::of(k))) ? "false" : "true";
        break;
      case value_type::integer: {  // the maximum, or the minimum where the default is the maximum
        const auto v = detail::read(settings{}, detail::of(k));
        const bool at_max = std::holds_alternative<std::int64_t>(v) && std::get<std::int64_t>(v) == k.max;
        text = std::to_string(at_max ? k.min : k.max);
        break;
      }
      case value_type::size: text = std::to_string(k.max); break;
      case value_type::string: text = "zz"; break;
      case value_type::string_list: text = "127.0.0.1:1"; break;
      case value_type::choice: text = std::string(k.choices.back()); break;
    }
    if (k.name() == "daemon.api_bind") text = "::1";  // an IP address, not any string
    if (k.name() == "strategy.min_request_queue") {
      ASSERT_TRUE(apply_override(c, "strategy.max_request_queue=10000"));
    }
    ASSERT_TRUE(apply_override(c, k.name() + "=" + text)) << k.name();
    const auto d = diff(settings{}, c.values);
    const auto& list = k.mode == apply_mode::live ? d.live : d.restart;
    EXPECT_NE(std::find(list.begin(), list.end(), k.name()), list.end()) << k.name();
  }
}

TEST(ConfigFileWatcher, SeesInPlaceWritesAndRenames) {
  temp_dir t;
  const auto f = t.path() / "ccbt.toml";
  write_file(f, "a");
  auto w = file_watcher::open(f);
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(w->wait_for_change(20ms), file_watcher::event::timeout);

  write_file(t.path() / "unrelated.toml", "x");  // another file in the directory: ignored
  EXPECT_EQ(w->wait_for_change(50ms), file_watcher::event::timeout);

  write_file(f, "b");
  EXPECT_EQ(w->wait_for_change(5s), file_watcher::event::changed);
  while (w->wait_for_change(20ms) == file_watcher::event::changed) {
  }

  // Atomic replace, as editors and config managers do it.
  write_file(t.path() / ".ccbt.toml.tmp", "c");
  fs::rename(t.path() / ".ccbt.toml.tmp", f);
  EXPECT_EQ(w->wait_for_change(5s), file_watcher::event::changed);
  while (w->wait_for_change(20ms) == file_watcher::event::changed) {
  }

  fs::remove(f);
  EXPECT_EQ(w->wait_for_change(5s), file_watcher::event::changed);

  w->interrupt();
  EXPECT_EQ(w->wait_for_change(5s), file_watcher::event::interrupted);
  EXPECT_GE(w->fd(), 0);
}

TEST(ConfigFileWatcher, FollowsASymlinkedFile) {
  temp_dir t;
  const auto real = t.path() / "dotfiles" / "ccbt.toml";
  write_file(real, "");
  fs::create_directories(t.path() / "conf");
  const auto link = t.path() / "conf" / "ccbt.toml";
  fs::create_symlink(real, link);
  auto w = file_watcher::open(link);
  ASSERT_TRUE(w);
  write_file(real, "[network]\n");
  EXPECT_EQ(w->wait_for_change(5s), file_watcher::event::changed);
}

TEST(ConfigFileWatcher, MissingDirectoryFails) {
  auto w = file_watcher::open("/nonexistent-ccbt-dir/ccbt.toml");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, errc::watch_failed);
}

// Collects reports from the watcher thread.
struct reports {
  std::mutex m;
  std::condition_variable cv;
  std::vector<reload_report> got;

  void push(const reload_report& r) {
    std::lock_guard l(m);
    got.push_back(r);
    cv.notify_all();
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock l(m);
    return cv.wait_for(l, timeout, [&] { return got.size() >= n; });
  }
  reload_report at(std::size_t i) {
    std::lock_guard l(m);
    return got.at(i);
  }
};

TEST(ConfigWatcher, AppliesLiveEditsAndKeepsRunningConfigOnBrokenEdit) {
  temp_dir t;
  const auto f = t.path() / "ccbt.toml";
  write_file(f, "[network]\nmax_connections = 100\n");
  load_options o;
  o.use_environment = false;
  o.overrides = {"choking.unchoke_slots=6"};  // re-applied on every reload
  auto initial = load_file(f, o);
  ASSERT_TRUE(initial) << initial.error().message();

  reports rep;
  auto w = watcher::start(*initial, o, [&](const reload_report& r) { rep.push(r); });
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ((*w)->running().max_connections, 100);

  // 1. A live edit and a restart edit.
  write_file(f, "[network]\nmax_connections = 250\n[disk]\nio_threads = 5\n[choking]\nunchoke_slots = 2\n");
  ASSERT_TRUE(rep.wait_for(1));
  auto r = rep.at(0);
  ASSERT_TRUE(r.ok()) << r.summary();
  EXPECT_EQ(r.running.max_connections, 250);
  EXPECT_EQ(r.running.unchoke_slots, 6);                       // --set still wins over the file
  EXPECT_EQ(r.running.disk_threads, settings{}.disk_threads);  // restart key not applied
  EXPECT_EQ(r.changes.live, std::vector<std::string>{"network.max_connections"});
  EXPECT_EQ(r.changes.restart, std::vector<std::string>{"disk.io_threads"});
  EXPECT_EQ(r.summary(), "configuration reloaded\napplied: network.max_connections\nrestart needed for: disk.io_threads\n");
  EXPECT_EQ((*w)->running().max_connections, 250);

  // 2. A broken edit: the error is reported and the running configuration stays.
  write_file(f, "[network]\nmax_connections = \"lots\"\n");
  ASSERT_TRUE(rep.wait_for(2));
  r = rep.at(1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->code, errc::wrong_type);
  EXPECT_EQ(r.running.max_connections, 250);
  EXPECT_NE(r.summary().find("network.max_connections: expected an integer in 1..65535, got the string \"lots\""), std::string::npos)
      << r.summary();
  EXPECT_NE(r.summary().find("line 2"), std::string::npos) << r.summary();
  EXPECT_EQ((*w)->running().max_connections, 250);

  // 3. A syntax error, written by atomic rename.
  write_file(t.path() / "tmp", "[network\n");
  fs::rename(t.path() / "tmp", f);
  ASSERT_TRUE(rep.wait_for(3));
  r = rep.at(2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->code, errc::syntax_error);
  EXPECT_EQ((*w)->running().max_connections, 250);

  // 4. Fixed again, with an unknown key: applied, with a warning.
  write_file(t.path() / "tmp", "[network]\nmax_connections = 260\nmax_half_opn = 3\n");
  fs::rename(t.path() / "tmp", f);
  ASSERT_TRUE(rep.wait_for(4));
  r = rep.at(3);
  ASSERT_TRUE(r.ok()) << r.summary();
  EXPECT_EQ(r.running.max_connections, 260);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].suggestion, "network.max_half_open");
  EXPECT_EQ(r.changes.restart, std::vector<std::string>{});  // io_threads = 5 is gone from the file

  // 5. A manual reload with no edit.
  r = (*w)->reload();
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.changes.empty());
  EXPECT_EQ(r.summary(), "configuration reloaded: no changes\nwarning: " + r.warnings.at(0).message + "\n");

  (*w)->stop();
  (*w)->stop();  // idempotent
}

TEST(ConfigWatcher, BurstOfWritesIsOneReload) {
  temp_dir t;
  const auto f = t.path() / "ccbt.toml";
  write_file(f, "");
  auto initial = load_file(f, test::no_env());
  ASSERT_TRUE(initial);
  reports rep;
  auto w = watcher::start(*initial, test::no_env(), [&](const reload_report& r) { rep.push(r); }, 300ms);
  ASSERT_TRUE(w);
  for (int i = 1; i <= 5; ++i) write_file(f, "[choking]\nunchoke_slots = " + std::to_string(i) + "\n");
  ASSERT_TRUE(rep.wait_for(1));
  EXPECT_FALSE(rep.wait_for(2, 600ms));
  EXPECT_EQ(rep.at(0).running.unchoke_slots, 5);
}

TEST(ConfigWatcher, NeedsAFile) {
  auto w = watcher::start(loaded_config{}, {}, {});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, errc::no_file);
}

}  // namespace
}  // namespace ccbt::config
