// Search path, environment and --set overrides, and the whole load() pipeline.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "test_util.hpp"

namespace ccbt::config {
namespace {

namespace fs = std::filesystem;
using test::temp_dir;
using test::write_file;

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

search_paths paths_in(const temp_dir& t) {
  search_paths p;
  p.working_dir = t.path() / "cwd";
  p.home = t.path() / "home";
  fs::create_directories(*p.home);
  fs::create_directories(p.working_dir);
  return p;
}

TEST(ConfigSearch, CandidatesInOrder) {
  search_paths p;
  p.working_dir = "/w";
  p.home = "/h";
  EXPECT_EQ(candidates(p), (std::vector<fs::path>{"/w/ccbt.toml", "/h/.config/ccbt/ccbt.toml", "/h/.ccbt.toml"}));
  p.xdg_config_home = "/x";
  EXPECT_EQ(candidates(p), (std::vector<fs::path>{"/w/ccbt.toml", "/x/ccbt/ccbt.toml", "/h/.ccbt.toml"}));
  p.xdg_config_home = "relative/dir";  // ignored, as the XDG spec says
  EXPECT_EQ(candidates(p)[1], fs::path("/h/.config/ccbt/ccbt.toml"));
  p.home.reset();
  p.xdg_config_home.reset();
  EXPECT_EQ(candidates(p), (std::vector<fs::path>{"/w/ccbt.toml"}));
  p.explicit_path = "/etc/my.toml";
  EXPECT_EQ(candidates(p), (std::vector<fs::path>{"/etc/my.toml"}));
}

TEST(ConfigSearch, FindsTheFirstExistingFile) {
  temp_dir t;
  auto p = paths_in(t);
  auto f = find_file(p);
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->has_value());  // nothing anywhere: defaults

  write_file(*p.home / ".ccbt.toml", "");
  EXPECT_EQ(**find_file(p), *p.home / ".ccbt.toml");
  write_file(*p.home / ".config/ccbt/ccbt.toml", "");
  EXPECT_EQ(**find_file(p), *p.home / ".config/ccbt/ccbt.toml");
  p.xdg_config_home = t.path() / "xdg";
  write_file(t.path() / "xdg/ccbt/ccbt.toml", "");
  EXPECT_EQ(**find_file(p), t.path() / "xdg/ccbt/ccbt.toml");
  fs::create_directories(p.working_dir / "ccbt.toml");  // a directory is not a config file
  EXPECT_EQ(**find_file(p), t.path() / "xdg/ccbt/ccbt.toml");
  fs::remove(p.working_dir / "ccbt.toml");
  write_file(p.working_dir / "ccbt.toml", "");
  EXPECT_EQ(**find_file(p), p.working_dir / "ccbt.toml");
}

TEST(ConfigSearch, ExplicitPathMustExist) {
  temp_dir t;
  auto p = paths_in(t);
  write_file(p.working_dir / "ccbt.toml", "");
  p.explicit_path = t.path() / "missing.toml";
  auto f = find_file(p);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, errc::file_not_found);
  EXPECT_TRUE(contains(f.error().message(), "missing.toml")) << f.error().message();
}

TEST(ConfigEnvironment, OverridesAndWarnings) {
  loaded_config c;
  const environment env = {{"CCBT_NETWORK__MAX_CONNECTIONS", "300"},
                           {"CCBT_LIMITS__DOWNLOAD_RATE", "1 MiB"},
                           {"CCBT_STRATEGY__PIECE_STRATEGY", "sequential"},
                           {"CCBT_NETWORK__LISTEN_INTERFACES", "127.0.0.1:1,127.0.0.1:2"},
                           {"CCBT_NETWORK__MAX_CONECTIONS", "5"},
                           {"CCBT_TEST_DATA", "not a config variable"},
                           {"PATH", "/bin"}};
  ASSERT_TRUE(apply_environment(c, env));
  EXPECT_EQ(c.values.max_connections, 300);
  EXPECT_EQ(c.values.download_rate_limit, 1 << 20);
  EXPECT_EQ(c.values.strategy, piece_strategy::sequential);
  EXPECT_EQ(c.values.listen_interfaces, (std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2"}));
  EXPECT_EQ(c.source_of("network.max_connections"), value_source::environment);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].key, "CCBT_NETWORK__MAX_CONECTIONS");
  EXPECT_EQ(c.warnings[0].suggestion, "network.max_connections");
  EXPECT_EQ(c.warnings[0].message,
            "unknown key network.max_conections in environment variable CCBT_NETWORK__MAX_CONECTIONS; did you mean "
            "CCBT_NETWORK__MAX_CONNECTIONS (network.max_connections)?");
}

TEST(ConfigEnvironment, BadValueNamesTheVariable) {
  loaded_config c;
  auto r = apply_environment(c, {{"CCBT_CHOKING__UNCHOKE_SLOTS", "0"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::out_of_range);
  EXPECT_TRUE(contains(r.error().message(), "choking.unchoke_slots: expected an integer in 1..1000, got 0 in environment variable CCBT_CHOKING__UNCHOKE_SLOTS"))
      << r.error().message();
}

TEST(ConfigOverride, SetSyntaxAndErrors) {
  loaded_config c;
  ASSERT_TRUE(apply_override(c, "network.max_half_open=9"));
  ASSERT_TRUE(apply_override(c, " disk.fsync_on_verify = true"));
  ASSERT_TRUE(apply_override(c, "network.listen_interfaces=[\"[::1]:1\", \"127.0.0.1:2\"]"));
  ASSERT_TRUE(apply_override(c, "state.resume_db="));  // empty string allowed
  EXPECT_EQ(c.values.max_half_open, 9);
  EXPECT_TRUE(c.values.fsync_on_verify);
  EXPECT_EQ(c.values.listen_interfaces, (std::vector<std::string>{"[::1]:1", "127.0.0.1:2"}));
  EXPECT_EQ(c.source_of("disk.fsync_on_verify"), value_source::command_line);

  auto r = apply_override(c, "network.max_half_open");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::bad_override);
  r = apply_override(c, "max_half_open=3");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::bad_override);
  r = apply_override(c, "network.max_halfopen=3");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::unknown_key);
  EXPECT_TRUE(contains(r.error().message(), "did you mean network.max_half_open?")) << r.error().message();
  r = apply_override(c, "disk.preallocation=fast");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::invalid_value);
  EXPECT_TRUE(contains(r.error().message(), "disk.preallocation: expected one of \"none\", \"sparse\", \"full\", got \"fast\" in --set disk.preallocation=fast"))
      << r.error().message();
}

TEST(ConfigLoad, PrecedenceDefaultsFileEnvironmentCommandLine) {
  temp_dir t;
  auto p = paths_in(t);
  write_file(p.working_dir / "ccbt.toml",
             "[network]\nmax_connections = 100\nmax_half_open = 10\nmax_connections_per_torrent = 20\n");
  load_options o;
  o.search = p;
  o.env = environment{{"CCBT_NETWORK__MAX_HALF_OPEN", "11"}, {"CCBT_NETWORK__MAX_CONNECTIONS_PER_TORRENT", "21"}};
  o.overrides = {"network.max_connections_per_torrent=22"};
  auto c = load(o);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->file, p.working_dir / "ccbt.toml");
  EXPECT_EQ(c->values.max_connections, 100);
  EXPECT_EQ(c->values.max_half_open, 11);
  EXPECT_EQ(c->values.max_connections_per_torrent, 22);
  EXPECT_EQ(c->values.unchoke_slots, settings{}.unchoke_slots);
  EXPECT_EQ(c->source_of("network.max_connections"), value_source::file);
  EXPECT_EQ(c->source_of("network.max_half_open"), value_source::environment);
  EXPECT_EQ(c->source_of("network.max_connections_per_torrent"), value_source::command_line);
  EXPECT_EQ(c->source_of("choking.unchoke_slots"), value_source::default_value);

  o.use_environment = false;
  c = load(o);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->values.max_half_open, 10);
}

TEST(ConfigLoad, NoFileMeansDefaultsPlusOverrides) {
  temp_dir t;
  load_options o;
  o.search = paths_in(t);
  o.env = environment{};
  o.overrides = {"limits.upload_rate=100 KiB"};
  auto c = load(o);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_FALSE(c->file);
  EXPECT_EQ(c->values.upload_rate_limit, 100 * 1024);
}

TEST(ConfigLoad, ExplicitConfigPath) {
  temp_dir t;
  write_file(t.path() / "other.toml", "[choking]\nunchoke_slots = 12\n");
  load_options o;
  o.search = paths_in(t);
  o.env = environment{};
  o.config_path = t.path() / "other.toml";
  auto c = load(o);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->values.unchoke_slots, 12);
  EXPECT_EQ(c->file, t.path() / "other.toml");
  o.config_path = t.path() / "nope.toml";
  EXPECT_EQ(load(o).error().code, errc::file_not_found);
}

TEST(ConfigLoad, ErrorsCarryTheFilePath) {
  temp_dir t;
  const auto f = t.path() / "bad.toml";
  write_file(f, "[choking]\nunchoke_slots = -1\n");
  auto c = load_file(f, test::no_env());
  ASSERT_FALSE(c);
  EXPECT_TRUE(contains(c.error().message(), f.string() + " line 2, column 17")) << c.error().message();
}

TEST(ConfigLoad, RulesApplyAfterAllLayers) {
  temp_dir t;
  const auto f = t.path() / "q.toml";
  write_file(f, "[strategy]\nmin_request_queue = 300\n");  // above the default max of 250 ...
  load_options o;
  o.use_environment = false;
  auto c = load_file(f, o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::inconsistent);
  o.overrides = {"strategy.max_request_queue=400"};  // ... which the command line fixes
  c = load_file(f, o);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->values.min_request_queue, 300);
}

TEST(ConfigLoad, UnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  temp_dir t;
  const auto f = t.path() / "locked.toml";
  write_file(f, "");
  ::chmod(f.c_str(), 0);
  auto c = load_file(f, test::no_env());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::read_failed);
}

TEST(ConfigLoad, DirectoryAsFileIsAReadError) {
  temp_dir t;
  auto c = load_file(t.path(), test::no_env());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::read_failed);
}

TEST(ConfigLoad, ProcessEnvironmentKeepsOnlyCcbtVariables) {
  ::setenv("CCBT_CHOKING__UNCHOKE_INTERVAL_S", "7", 1);
  const auto env = process_environment();
  ::unsetenv("CCBT_CHOKING__UNCHOKE_INTERVAL_S");
  bool found = false;
  for (const auto& [k, v] : env) {
    EXPECT_EQ(k.rfind("CCBT_", 0), 0u) << k;
    if (k == "CCBT_CHOKING__UNCHOKE_INTERVAL_S") found = v == "7";
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace ccbt::config
