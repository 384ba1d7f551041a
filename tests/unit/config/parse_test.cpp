// ccbt.toml parsing: values, errors that name key + expectation + line, warnings for unknown keys.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace ccbt::config {
namespace {

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

TEST(ConfigParse, EmptyDocumentGivesDefaults) {
  auto c = parse("");
  ASSERT_TRUE(c);
  EXPECT_TRUE(test::same(c->values, settings{}));
  EXPECT_TRUE(c->warnings.empty());
  EXPECT_TRUE(c->sources.empty());
  EXPECT_EQ(c->source_of("network.max_connections"), value_source::default_value);
}

TEST(ConfigParse, EveryKindOfValue) {
  auto c = parse(R"(
# comment
[network]
listen_interfaces = ["127.0.0.1:0", "[::1]:7000"]
peer_id_prefix = "-XX1234-"
max_connections = 300

[strategy]
piece_strategy = "sequential"
min_request_queue = 8

[disk]
preallocation = "full"
write_buffer_size = "64 MiB"
fsync_on_verify = true

[limits]
download_rate = "2 MiB"
upload_rate = 500_000

[state]
resume_db = "/tmp/r.db"
)");
  ASSERT_TRUE(c) << c.error().message();
  const auto& s = c->values;
  EXPECT_EQ(s.listen_interfaces, (std::vector<std::string>{"127.0.0.1:0", "[::1]:7000"}));
  EXPECT_EQ(s.peer_id_prefix, "-XX1234-");
  EXPECT_EQ(s.max_connections, 300);
  EXPECT_EQ(s.strategy, piece_strategy::sequential);
  EXPECT_EQ(s.min_request_queue, 8);
  EXPECT_EQ(s.prealloc, preallocation::full);
  EXPECT_EQ(s.write_buffer_bytes, std::size_t{64} << 20);
  EXPECT_TRUE(s.fsync_on_verify);
  EXPECT_EQ(s.download_rate_limit, 2 << 20);
  EXPECT_EQ(s.upload_rate_limit, 500'000);
  EXPECT_EQ(s.resume_db, "/tmp/r.db");
  EXPECT_EQ(s.max_connections_per_torrent, settings{}.max_connections_per_torrent);  // untouched
  EXPECT_EQ(c->source_of("network.max_connections"), value_source::file);
  EXPECT_EQ(c->source_of("network.max_half_open"), value_source::default_value);
  EXPECT_TRUE(c->warnings.empty());
}

TEST(ConfigParse, DottedKeysAndInlineTablesWork) {
  auto c = parse("network.max_connections = 7\nchoking = { unchoke_slots = 9 }\n");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->values.max_connections, 7);
  EXPECT_EQ(c->values.unchoke_slots, 9);
}

TEST(ConfigParse, OutOfRangeNamesKeyRangeAndLine) {
  auto c = parse("[network]\n\nmax_connections = 0\n", "/etc/ccbt.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::out_of_range);
  const auto m = c.error().message();
  EXPECT_TRUE(contains(m, "network.max_connections")) << m;
  EXPECT_TRUE(contains(m, "an integer in 1..65535")) << m;
  EXPECT_TRUE(contains(m, "got 0")) << m;
  EXPECT_TRUE(contains(m, "/etc/ccbt.toml line 3, column 19")) << m;
}

TEST(ConfigParse, WrongTypeNamesExpectedType) {
  struct tc {
    const char* doc;
    const char* expect;
  };
  for (const auto& t : {tc{"[network]\nmax_connections = \"many\"", "expected an integer in 1..65535, got the string \"many\""},
                        tc{"[network]\nmax_connections = 1.5", "got a floating-point number"},
                        tc{"[network]\nmax_connections = [1]", "got an array"},
                        tc{"[network]\nlisten_interfaces = [1, 2]", "got an array containing an integer"},
                        tc{"[network]\nmax_connections = 1979-05-27", "got a date"},
                        tc{"[network]\nmax_connections = { a = 1 }", "got a table"},
                        tc{"[disk]\nfsync_on_verify = 1", "expected true or false, got 1"},
                        tc{"[strategy]\npiece_strategy = 2", "expected one of \"rarest_first\""}}) {
    auto c = parse(t.doc);
    ASSERT_FALSE(c) << t.doc;
    EXPECT_EQ(c.error().code, errc::wrong_type) << t.doc;
    EXPECT_TRUE(contains(c.error().message(), t.expect)) << c.error().message();
    EXPECT_TRUE(contains(c.error().message(), "line 2")) << c.error().message();
  }
}

TEST(ConfigParse, InvalidValues) {
  auto c = parse("[strategy]\npiece_strategy = \"random\"\n");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::invalid_value);
  EXPECT_TRUE(contains(c.error().message(), R"(strategy.piece_strategy: expected one of "rarest_first", "sequential", "round_robin", got "random")"))
      << c.error().message();

  c = parse("[network]\nlisten_interfaces = [\"0.0.0.0:6881\", \"example.org:1\"]\n");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::invalid_value);
  EXPECT_TRUE(contains(c.error().message(), "entry 2")) << c.error().message();

  c = parse("[limits]\ndownload_rate = \"lots\"\n");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::invalid_value);

  c = parse("[disk]\nwrite_buffer_size = \"100 KiB\"\n");  // below 1 MiB
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::out_of_range);

  c = parse("[network]\nlisten_interfaces = []\n");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::out_of_range);
}

TEST(ConfigParse, SingleStringIsAOneElementList) {
  auto c = parse("[network]\nlisten_interfaces = \"127.0.0.1:9\"\n");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->values.listen_interfaces, std::vector<std::string>{"127.0.0.1:9"});
}

TEST(ConfigParse, SyntaxErrorHasLineAndColumn) {
  auto c = parse("[network]\nmax_connections = 10\nmax_half_open = = 3\n", "my.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::syntax_error);
  EXPECT_TRUE(contains(c.error().message(), "my.toml line 3, column")) << c.error().message();

  c = parse("[network]\nmax_connections = 1\nmax_connections = 2\n");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::syntax_error);  // duplicate key
  EXPECT_TRUE(contains(c.error().message(), "line 3")) << c.error().message();

  c = parse("a = \"\xff\"");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::syntax_error);
}

TEST(ConfigParse, UnknownKeysWarnWithClosestKnownKey) {
  auto c = parse("[network]\nmax_conections = 10\n[disk]\nmax_half_open = 5\n[daemon]\nsocket = \"x\"\n", "f.toml");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->warnings.size(), 3u);
  EXPECT_EQ(c->warnings[0].key, "network.max_conections");
  EXPECT_EQ(c->warnings[0].suggestion, "network.max_connections");
  EXPECT_EQ(c->warnings[0].line, 2u);
  EXPECT_EQ(c->warnings[0].message, "unknown key network.max_conections at f.toml line 2, column 1; did you mean network.max_connections?");
  EXPECT_EQ(c->warnings[1].suggestion, "network.max_half_open");
  EXPECT_EQ(c->warnings[2].key, "daemon.socket");
  EXPECT_EQ(c->warnings[2].suggestion, "");
  EXPECT_EQ(c->warnings[2].message, "unknown key daemon.socket at f.toml line 6, column 1");
  // A top-level key that is not a section.
  c = parse("max_connections = 3\n");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0].suggestion, "network.max_connections");
  EXPECT_TRUE(test::same(c->values, settings{}));  // an unknown key changes nothing
}

TEST(ConfigParse, NestedTableInsideSectionIsUnknown) {
  auto c = parse("[network.extra]\nx = 1\n");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0].key, "network.extra");
}

TEST(ConfigParse, RulesBetweenKeys) {
  auto c = parse("[strategy]\nmin_request_queue = 400\nmax_request_queue = 300\n", "q.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::inconsistent);
  EXPECT_TRUE(contains(c.error().message(), "strategy.min_request_queue (400) is larger than strategy.max_request_queue (300)"))
      << c.error().message();
}

TEST(ConfigParse, ParsesOverABase) {
  settings base;
  base.max_connections = 42;
  auto c = parse("[choking]\nunchoke_slots = 8\n", "x", base);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->values.max_connections, 42);
  EXPECT_EQ(c->values.unchoke_slots, 8);
}

TEST(ConfigParse, TooLargeIsRejected) {
  const std::string big(max_file_size + 1, '#');
  auto c = parse(big);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::input_too_large);
}

TEST(ConfigRender, RendersAndParsesBackToTheSameSettings) {
  settings s;
  s.listen_interfaces = {"127.0.0.1:0", "[::]:6882"};
  s.peer_id_prefix = "-Q\"\\-";
  s.max_connections = 17;
  s.strategy = piece_strategy::round_robin;
  s.prealloc = preallocation::none;
  s.write_buffer_bytes = (std::size_t{3} << 20) + 5;
  s.download_rate_limit = 3 << 20;
  s.upload_rate_limit = 12345;
  s.fsync_on_verify = true;
  s.resume_db = "caf\xc3\xa9\t.db";
  for (const bool comments : {true, false}) {
    for (const bool only_changed : {true, false}) {
      const auto text = to_toml(s, {comments, only_changed});
      auto c = parse(text);
      ASSERT_TRUE(c) << c.error().message() << "\n" << text;
      EXPECT_TRUE(test::same(c->values, s)) << text;
      EXPECT_TRUE(c->warnings.empty());
    }
  }
  const auto changed = to_toml(s, {false, true});
  EXPECT_TRUE(contains(changed, "download_rate = \"3 MiB\"\n")) << changed;
  EXPECT_TRUE(contains(changed, "upload_rate = 12345\n")) << changed;
  EXPECT_FALSE(contains(changed, "max_half_open")) << changed;
  EXPECT_FALSE(contains(changed, "[security]")) << changed;
  EXPECT_EQ(to_toml(settings{}, {false, true}), "");
}

TEST(ConfigRender, CommentedOutputDescribesEachKey) {
  const auto text = to_toml(settings{});
  EXPECT_TRUE(contains(text, "# Peer connections across all torrents.\n# integer, 1..65535; default 200; live.\nmax_connections = 200\n"))
      << text;
  EXPECT_TRUE(contains(text, "; restart.\nio_threads = 2\n")) << text;
}

}  // namespace
}  // namespace ccbt::config
