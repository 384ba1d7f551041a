// The key table and the value conversions shared by every front end.
#include <gtest/gtest.h>

#include <set>

#include "config/keys.hpp"
#include "test_util.hpp"

namespace ccbt::config {
namespace {

TEST(ConfigKeys, NamesAreUniqueAndSectionsContiguous) {
  std::set<std::string> names;
  std::set<std::string_view> closed;
  std::string_view current;
  for (const auto& k : keys()) {
    EXPECT_TRUE(names.insert(k.name()).second) << k.name();
    EXPECT_FALSE(k.description.empty()) << k.name();
    if (k.section != current) {
      EXPECT_FALSE(closed.count(k.section)) << "section " << k.section << " appears in two blocks";
      if (!current.empty()) closed.insert(current);
      current = k.section;
    }
    for (const char c : k.key) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << k.name();
  }
  EXPECT_EQ(sections(), (std::vector<std::string_view>{"network", "strategy", "choking", "disk", "limits", "security", "discovery", "state"}));
}

// Every field of ccbt::settings has a key: changing any field must show up in diff() under some key.
TEST(ConfigKeys, EveryDefaultIsValidAndEveryKeyRoundTrips) {
  const settings defaults{};
  ASSERT_TRUE(validate(defaults)) << validate(defaults).error().message();
  for (const auto& k : keys()) {
    const auto text = value_to_toml(defaults, k);
    auto c = parse("[" + std::string(k.section) + "]\n" + std::string(k.key) + " = " + text + "\n");
    ASSERT_TRUE(c) << k.name() << ": " << c.error().message();
    EXPECT_TRUE(test::same(c->values, defaults)) << k.name();
    EXPECT_EQ(c->source_of(k.name()), value_source::file);
  }
}

TEST(ConfigKeys, FindKey) {
  const auto* k = find_key("network.max_connections");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->type, value_type::integer);
  EXPECT_EQ(k->mode, apply_mode::live);
  EXPECT_EQ(find_key("network.nope"), nullptr);
  EXPECT_EQ(find_key("max_connections"), nullptr);
  EXPECT_EQ(find_key(""), nullptr);
}

TEST(ConfigKeys, ClosestKey) {
  EXPECT_EQ(closest_key("network.max_conections"), "network.max_connections");
  EXPECT_EQ(closest_key("netwrk.max_connections"), "network.max_connections");
  EXPECT_EQ(closest_key("disk.max_connections"), "network.max_connections");   // wrong section
  EXPECT_EQ(closest_key("max_half_open"), "network.max_half_open");            // no section
  EXPECT_EQ(closest_key("limits.download_rate_limit"), "limits.download_rate");
  EXPECT_EQ(closest_key("choking.unchoke_slot"), "choking.unchoke_slots");
  EXPECT_EQ(closest_key("daemon.socket"), "");
  EXPECT_EQ(closest_key("zzzzzzzz.qqqqqqqqqq"), "");
  EXPECT_EQ(closest_key(std::string(1000, 'a')), "");
}

TEST(ConfigKeys, ExpectedValueTexts) {
  EXPECT_EQ(expected_value(*find_key("network.max_connections")), "an integer in 1..65535");
  EXPECT_EQ(expected_value(*find_key("strategy.piece_strategy")), R"(one of "rarest_first", "sequential", "round_robin")");
  EXPECT_EQ(expected_value(*find_key("disk.fsync_on_verify")), "true or false");
  EXPECT_EQ(expected_value(*find_key("network.listen_interfaces")), "an array of 1..64 strings");
}

TEST(ConfigKeys, ParseSize) {
  using detail::parse_size;
  EXPECT_EQ(parse_size("0", false), 0);
  EXPECT_EQ(parse_size("1234", false), 1234);
  EXPECT_EQ(parse_size("16 MiB", false), 16 << 20);
  EXPECT_EQ(parse_size("16MiB", false), 16 << 20);
  EXPECT_EQ(parse_size("  2 kib ", false), 2048);
  EXPECT_EQ(parse_size("1.5 GiB", false), std::int64_t{3} << 29);
  EXPECT_EQ(parse_size("500 kB", false), 500'000);
  EXPECT_EQ(parse_size("2 MB", false), 2'000'000);
  EXPECT_EQ(parse_size("1 TiB", false), std::int64_t{1} << 40);
  EXPECT_EQ(parse_size("10 B", false), 10);
  EXPECT_EQ(parse_size("1_000", false), 1000);
  EXPECT_EQ(parse_size("5 MiB/s", true), 5 << 20);
  EXPECT_EQ(parse_size("5 MiB/s", false), std::nullopt);
  EXPECT_EQ(parse_size("1.5", false), std::nullopt);  // no fractions of a byte
  EXPECT_EQ(parse_size("1.", false), std::nullopt);
  EXPECT_EQ(parse_size("", false), std::nullopt);
  EXPECT_EQ(parse_size("MiB", false), std::nullopt);
  EXPECT_EQ(parse_size("-5", false), std::nullopt);
  EXPECT_EQ(parse_size("5 XB", false), std::nullopt);
  EXPECT_EQ(parse_size("9223372036854775807", false), std::int64_t{9223372036854775807});
  EXPECT_EQ(parse_size("9223372036854775808", false), std::nullopt);
  EXPECT_EQ(parse_size("9000000 TiB", false), std::nullopt);
  EXPECT_EQ(parse_size(std::string(200, '9'), false), std::nullopt);
}

TEST(ConfigKeys, FromText) {
  const auto conv = [](std::string_view key, std::string_view text) {
    const auto* d = &detail::of(*find_key(key));
    detail::value v;
    auto p = detail::from_text(*d, text, v);
    if (!p) p = detail::check(*d, v);
    return std::make_pair(p, v);
  };
  EXPECT_EQ(conv("disk.fsync_on_verify", "yes").second, detail::value{true});
  EXPECT_EQ(conv("disk.fsync_on_verify", "OFF").second, detail::value{false});
  EXPECT_EQ(conv("disk.fsync_on_verify", "maybe").first->code, errc::wrong_type);
  EXPECT_EQ(conv("network.max_connections", " 1_000 ").second, detail::value{std::int64_t{1000}});
  EXPECT_EQ(conv("network.max_connections", "12x").first->code, errc::wrong_type);
  EXPECT_EQ(conv("network.max_connections", "99999999999999999999").first->code, errc::out_of_range);
  EXPECT_EQ(conv("network.max_connections", "0").first->code, errc::out_of_range);
  EXPECT_EQ(conv("limits.download_rate", "2 MiB/s").second, detail::value{std::int64_t{2} << 20});
  EXPECT_EQ(conv("limits.download_rate", "fast").first->code, errc::invalid_value);
  EXPECT_EQ(conv("strategy.piece_strategy", "\"sequential\"").second, detail::value{std::string("sequential")});
  EXPECT_EQ(conv("strategy.piece_strategy", "random").first->code, errc::invalid_value);
  EXPECT_EQ(conv("network.listen_interfaces", "0.0.0.0:1, [::]:2").second,
            (detail::value{std::vector<std::string>{"0.0.0.0:1", "[::]:2"}}));
  EXPECT_EQ(conv("network.listen_interfaces", R"(["127.0.0.1:5", '[::1]:6'])").second,
            (detail::value{std::vector<std::string>{"127.0.0.1:5", "[::1]:6"}}));
  EXPECT_EQ(conv("network.listen_interfaces", "").first->code, errc::out_of_range);
  EXPECT_EQ(conv("network.listen_interfaces", "[\"1.2.3.4:5").first->code, errc::invalid_value);
  EXPECT_EQ(conv("state.resume_db", "/var/lib/ccbt/resume.db").second, detail::value{std::string("/var/lib/ccbt/resume.db")});
}

TEST(ConfigKeys, EndpointCheck) {
  const auto& d = detail::of(*find_key("network.listen_interfaces"));
  const auto ok = [&](std::string s) {
    detail::value v = std::vector<std::string>{std::move(s)};
    return !detail::check(d, v).has_value();
  };
  EXPECT_TRUE(ok("0.0.0.0:6881"));
  EXPECT_TRUE(ok("[::]:0"));
  EXPECT_TRUE(ok("[fe80::1]:65535"));
  EXPECT_FALSE(ok("0.0.0.0"));
  EXPECT_FALSE(ok("0.0.0.0:65536"));
  EXPECT_FALSE(ok("0.0.0.0:"));
  EXPECT_FALSE(ok("localhost:6881"));
  EXPECT_FALSE(ok("::1:6881"));
  EXPECT_FALSE(ok("[::1:6881"));
  EXPECT_FALSE(ok("[1.2.3.4]:5"));
}

TEST(ConfigKeys, StringChecks) {
  const auto& d = detail::of(*find_key("network.peer_id_prefix"));
  detail::value v = std::string("-CC0010-");
  EXPECT_FALSE(detail::check(d, v));
  v = std::string("bad\nprefix");
  EXPECT_EQ(detail::check(d, v)->code, errc::invalid_value);
  v = std::string(21, 'x');
  EXPECT_EQ(detail::check(d, v)->code, errc::out_of_range);
  const auto& r = detail::of(*find_key("state.resume_db"));
  v = std::string("caf\xc3\xa9.db");
  EXPECT_FALSE(detail::check(r, v));
  v = std::string("bad\xff.db");
  EXPECT_EQ(detail::check(r, v)->code, errc::invalid_value);
  v = std::string("trunc\xc3");
  EXPECT_EQ(detail::check(r, v)->code, errc::invalid_value);
  v = std::string("\xed\xa0\x80");  // a UTF-16 surrogate
  EXPECT_EQ(detail::check(r, v)->code, errc::invalid_value);
}

TEST(ConfigKeys, EditDistance) {
  EXPECT_EQ(detail::edit_distance("", ""), 0u);
  EXPECT_EQ(detail::edit_distance("abc", ""), 3u);
  EXPECT_EQ(detail::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(detail::edit_distance("Network", "network"), 0u);
}

TEST(ConfigKeys, ValidateCatchesBadFieldsSetInCode) {
  settings s;
  s.max_connections = 0;
  auto r = validate(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::out_of_range);
  EXPECT_NE(r.error().message().find("network.max_connections"), std::string::npos);
  s = {};
  s.strategy = static_cast<piece_strategy>(9);
  EXPECT_EQ(validate(s).error().code, errc::invalid_value);
  s = {};
  s.min_request_queue = 300;
  s.max_request_queue = 200;
  r = validate(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::inconsistent);
  EXPECT_NE(r.error().message().find("strategy.min_request_queue"), std::string::npos);
}

TEST(ConfigKeys, ErrorCategoryHasAMessageForEveryValue) {
  for (int e = static_cast<int>(errc::file_not_found); e <= static_cast<int>(errc::watch_failed); ++e) {
    const auto m = make_error_code(static_cast<errc>(e)).message();
    EXPECT_NE(m, "unknown configuration error") << e;
  }
  EXPECT_STREQ(category().name(), "config");
}

}  // namespace
}  // namespace ccbt::config
