// Request bodies and targets -> commands: what is accepted, and that everything else is refused
// with a 400 (or 413) naming the problem.
#include <gtest/gtest.h>

#include "rpc/request.hpp"

namespace ccbt::rpc {
namespace {

TEST(RpcBase64, RoundTripsAndRejectsMalformed) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)}) {
    const auto enc = base64_encode(s);
    EXPECT_EQ(enc.size() % 4, 0u);
    auto dec = base64_decode(enc);
    ASSERT_TRUE(dec) << enc;
    EXPECT_EQ(*dec, s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(*base64_decode("Zm9vYg=="), "foob");
  for (const char* bad : {"Zm9", "Zm9v!mFy", "Zg=a", "Z===", "=Zg=", "Zh==", "Zm9vYg==Zm9v", "Zm9 vYmFy"})
    EXPECT_FALSE(base64_decode(bad)) << bad;
}

TEST(RpcAddRequest, ParsesEveryField) {
  auto r = parse_add_request(R"({"torrent":"ZDQ6aW5mb2Rl","save_path":"/data/x","paused":true,
      "file_priorities":[0,4,7],"strategy":"sequential","peers":["127.0.0.1:6881","[::1]:7000"],
      "download_rate_limit":1048576,"upload_rate_limit":0})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->torrent, "d4:infode");
  EXPECT_EQ(r->save_path, "/data/x");
  EXPECT_TRUE(r->paused);
  EXPECT_EQ(r->file_priorities, (std::vector<std::uint8_t>{0, 4, 7}));
  EXPECT_EQ(r->strategy, piece_strategy::sequential);
  EXPECT_EQ(r->peers, (std::vector<std::string>{"127.0.0.1:6881", "[::1]:7000"}));
  EXPECT_EQ(r->download_rate_limit, 1048576);
  EXPECT_EQ(r->upload_rate_limit, 0);
  auto plain = parse_add_request(R"({"torrent":"ZA==","save_path":"/x","upload_rate_limit":null})");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_FALSE(plain->download_rate_limit);
  EXPECT_FALSE(plain->upload_rate_limit);
}

TEST(RpcAddRequest, TakesAMagnetLinkInsteadOfATorrent) {
  auto r = parse_add_request(R"({"magnet":"magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=x","save_path":"/d"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->magnet, "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=x");
  EXPECT_TRUE(r->torrent.empty());
  const std::string big = R"({"save_path":"/x","magnet":"magnet:?)" + std::string(max_magnet_size, 'a') + "\"}";
  EXPECT_FALSE(parse_add_request(big));
}

TEST(RpcAddRequest, RejectsBadInputWithTheFieldNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "JSON object"},
      {"{", "malformed JSON"},
      {R"({"torrent":"ZA==","save_path":"/x","paused":1e999})", "malformed JSON"},
      {"[1]", "must be a JSON object"},
      {R"({"save_path":"/x"})", "\"torrent\""},
      {R"({"torrent":"ZA==","save_path":"x"})", "absolute"},
      {R"({"torrent":"ZA==","save_path":"/x","paused":1})", "\"paused\""},
      {R"({"torrent":"ZA==","save_path":"/x","file_priorities":[8]})", "file_priorities[0]"},
      {R"({"torrent":"ZA==","save_path":"/x","strategy":"fastest"})", "\"strategy\""},
      {R"({"torrent":"ZA==","save_path":"/x","peers":["nohost"]})", "peers[0]"},
      {R"({"torrent":"ZA==","save_path":"/x","download_rate_limit":-1})", "\"download_rate_limit\""},
      {R"({"torrent":"ZA==","save_path":"/x","upload_rate_limit":"1MiB"})", "\"upload_rate_limit\""},
      {R"({"torrent":"ZA==","save_path":"/x","upload_rate_limit":18446744073709551615})", "\"upload_rate_limit\""},
      {R"({"torrent":"ZA==","save_path":"/x","peers":["h:0"]})", "peers[0]"},
      {R"({"torrent":"ZA==","save_path":"/x","savepath":"/y"})", "unknown field \"savepath\""},
      {R"({"torrent":"@@@@","save_path":"/x"})", "base64"},
      {R"({"torrent":7,"save_path":"/x"})", "must be a string"},
      {R"({"torrent":"ZA==","magnet":"magnet:?xt=urn:btih:","save_path":"/x"})", "exactly one of"},
      {R"({"magnet":"","save_path":"/x"})", "\"magnet\""},
      {R"({"magnet":1,"save_path":"/x"})", "must be a string"},
  };
  for (const auto& [body, needle] : cases) {
    auto r = parse_add_request(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().status, 400) << body;
    EXPECT_EQ(r.error().code, "bad_request");
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << body << " -> " << r.error().message;
  }
}

TEST(RpcAddRequest, DeepNestingAndHugeTorrentsAreRefused) {
  auto deep = parse_add_request(std::string(10000, '[') + std::string(10000, ']'));
  ASSERT_FALSE(deep);
  EXPECT_NE(deep.error().message.find("nested"), std::string::npos);
  const std::string big = R"({"save_path":"/x","torrent":")" + std::string(max_torrent_size / 3 * 4 + 8, 'A') + "\"}";
  auto r = parse_add_request(big);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 413);
}

TEST(RpcFilePriorities, ObjectAndArrayForms) {
  auto a = parse_file_priorities(R"({"priorities":{"0":7,"3":0}})");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(*a, (std::vector<std::pair<std::uint32_t, std::uint8_t>>{{0, 7}, {3, 0}}));
  auto b = parse_file_priorities(R"({"priorities":[[2,1]]})");
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, (std::vector<std::pair<std::uint32_t, std::uint8_t>>{{2, 1}}));
  for (const char* bad : {R"({"priorities":{"x":1}})", R"({"priorities":{"1":9}})", R"({"priorities":[[1]]})",
                          R"({"priorities":[[-1,2]]})", R"({"priorities":{}})", R"({"priorities":3})", R"({})"})
    EXPECT_FALSE(parse_file_priorities(bad)) << bad;
}

TEST(RpcTarget, SegmentsQueryAndEscapes) {
  auto t = parse_target("/api/v1/torrents/ab%20c/?delete_data=true&x=a%2Fb&flag");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->segments, (std::vector<std::string>{"api", "v1", "torrents", "ab c"}));
  EXPECT_EQ(t->param("delete_data"), "true");
  EXPECT_EQ(t->param("x"), "a/b");
  EXPECT_EQ(t->param("flag"), "");
  EXPECT_FALSE(t->param("y"));
  EXPECT_FALSE(parse_target("api/v1"));
  EXPECT_FALSE(parse_target("/a%2"));
  EXPECT_FALSE(parse_target("/a%zz"));
  EXPECT_TRUE(*parse_flag("d", "1"));
  EXPECT_FALSE(*parse_flag("d", "false"));
  EXPECT_FALSE(parse_flag("d", "maybe"));
}

TEST(RpcTorrentId, FortyHexDigits) {
  EXPECT_TRUE(parse_torrent_id(std::string(40, 'a')));
  EXPECT_FALSE(parse_torrent_id(std::string(39, 'a')));
  EXPECT_FALSE(parse_torrent_id(std::string(40, 'g')));
  EXPECT_EQ(parse_torrent_id("x").error().status, 400);
}

}  // namespace
}  // namespace ccbt::rpc
