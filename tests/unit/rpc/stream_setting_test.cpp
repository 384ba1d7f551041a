// The streaming setting of the API and daemon.db: JSON parsing (in the add and options requests),
// the "FILE:OFFSET" text, the check against a torrent's files, the piece map, and the daemon.db
// migration that adds the stream column to a database made before it existed.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "resume/sqlite.hpp"
#include "rpc/request.hpp"
#include "rpc/state_store.hpp"
#include "rpc/stream_setting.hpp"

namespace ccbt::rpc {
namespace {

using json = nlohmann::json;

// Two files: a.bin 40000 bytes, b.bin 25000 bytes, pieces of 16 KiB.
metainfo::torrent_info two_files() {
  const std::string bytes = "d4:infod5:filesld6:lengthi40000e4:pathl5:a.bineed6:lengthi25000e4:pathl5:b.bineee"
                            "4:name3:dir12:piece lengthi16384e6:pieces80:" + std::string(80, 'a') + "ee";
  auto ti = metainfo::torrent_info::parse(bytes);
  EXPECT_TRUE(ti) << ti.error().message();
  return std::move(*ti);
}

TEST(RpcStream, ParsesTheJsonValueAndNamesTheFieldOnErrors) {
  auto s = parse_stream_value(json::parse(R"({"file": 1, "offset": 4096})"), "stream");
  ASSERT_TRUE(s);
  ASSERT_TRUE(*s);
  EXPECT_EQ(**s, (stream_setting{1, 4096}));
  auto off = parse_stream_value(json::parse(R"({"file": 0})"), "stream");
  ASSERT_TRUE(off && *off);
  EXPECT_EQ((*off)->offset, 0u);
  auto null = parse_stream_value(json(nullptr), "stream");
  ASSERT_TRUE(null);
  EXPECT_FALSE(*null);
  for (const auto& [text, field] : {std::pair{R"("0:5")", "\"stream\""}, std::pair{R"({"file": -1})", "stream.file"},
                                    std::pair{R"({"file": "0"})", "stream.file"}, std::pair{R"({"file": 1.5})", "stream.file"},
                                    std::pair{R"({"file": 0, "offset": -3})", "stream.offset"},
                                    std::pair{R"({"file": 0, "offset": 9007199254740993})", "stream.offset"},
                                    std::pair{R"({"offset": 3})", "stream.file"},
                                    std::pair{R"({"file": 0, "window": 3})", "stream.window"}}) {
    auto r = parse_stream_value(json::parse(text), "stream");
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().status, 400);
    EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
  }
}

TEST(RpcStream, OptionsAndAddRequestsCarryIt) {
  auto o = parse_options_request(R"({"stream": {"file": 2, "offset": 7}})");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_TRUE(o->stream.present);
  ASSERT_TRUE(o->stream.value);
  EXPECT_EQ(*o->stream.value, (stream_setting{2, 7}));
  EXPECT_FALSE(o->strategy.present);
  auto off = parse_options_request(R"({"stream": null})");
  ASSERT_TRUE(off);
  EXPECT_TRUE(off->stream.present);
  EXPECT_FALSE(off->stream.value);
  auto none = parse_options_request(R"({"strategy": null})");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->stream.present);
  auto bad = parse_options_request(R"({"stream": true})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"stream\""), std::string::npos);

  auto a = parse_add_request(R"({"magnet": "magnet:?xt=urn:btih:x", "save_path": "/d", "stream": {"file": 0, "offset": 9}})");
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(a->stream);
  EXPECT_EQ(a->stream->offset, 9u);
  EXPECT_FALSE(parse_add_request(R"({"magnet": "m", "save_path": "/d", "stream": {"file": "x"}})"));
}

TEST(RpcStream, TextRoundTripAndGarbageReadsAsNone) {
  EXPECT_EQ(stream_to_text(std::nullopt), "");
  EXPECT_EQ(stream_to_text(stream_setting{3, 1048576}), "3:1048576");
  EXPECT_EQ(stream_from_text("3:1048576"), (stream_setting{3, 1048576}));
  for (const char* bad : {"", "3", ":5", "3:", "a:1", "1:2:3", "1:-2", "99999999999:1"}) EXPECT_FALSE(stream_from_text(bad)) << bad;
  EXPECT_EQ(stream_json(std::nullopt), json(nullptr));
  EXPECT_EQ(stream_json(stream_setting{1, 2}), json::parse(R"({"file": 1, "offset": 2})"));
}

TEST(RpcStream, CheckedAgainstTheTorrentsFiles) {
  const auto ti = two_files();
  EXPECT_TRUE(check_stream(ti, {0, 0}));
  EXPECT_TRUE(check_stream(ti, {0, 39999}));
  EXPECT_TRUE(check_stream(ti, {1, 24999}));
  auto past = check_stream(ti, {1, 25000});
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().status, 422);
  EXPECT_EQ(past.error().code, "invalid_stream");
  EXPECT_NE(past.error().message.find("stream.offset"), std::string::npos);
  auto nofile = check_stream(ti, {2, 0});
  ASSERT_FALSE(nofile);
  EXPECT_EQ(nofile.error().status, 422);
  EXPECT_NE(nofile.error().message.find("stream.file"), std::string::npos);
}

TEST(RpcStream, PieceMapIsHexInBitfieldOrder) {
  EXPECT_EQ(pieces_hex({}), "");
  EXPECT_EQ(pieces_hex({true}), "8");
  EXPECT_EQ(pieces_hex({false, true, false, true, true}), "58");
  EXPECT_EQ(pieces_hex({true, true, true, true, false, false, false, true}), "f1");
}

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ccbt-stream-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

TEST(RpcStateStore, MigratesADatabaseWithoutTheStreamColumn) {
  temp_dir t;
  const auto path = t.path / "daemon.db";
  {
    // The schema as the daemon created it before the stream column existed, with one torrent.
    auto db = resume::sql::database::open(path);
    ASSERT_TRUE(db) << db.error().message();
    ASSERT_TRUE(db->exec(R"sql(
      CREATE TABLE torrents (id TEXT PRIMARY KEY, position INTEGER NOT NULL, torrent BLOB NOT NULL,
        save_path TEXT NOT NULL, paused INTEGER NOT NULL DEFAULT 0, file_priorities BLOB NOT NULL DEFAULT x'',
        strategy TEXT NOT NULL DEFAULT '', peers TEXT NOT NULL DEFAULT '', added_at INTEGER NOT NULL DEFAULT 0,
        trackers_added TEXT NOT NULL DEFAULT '', trackers_removed TEXT NOT NULL DEFAULT '');
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO torrents (id, position, torrent, save_path, paused, strategy)
        VALUES ('aaaa', 0, 'd4:infode', '/data', 1, 'sequential');)sql",
                         "old schema"));
  }
  const std::string id = "aaaa";
  {
    auto s = state_store::open(path);
    ASSERT_TRUE(s) << s.error().message();
    auto rows = s->load();
    ASSERT_TRUE(rows) << rows.error().message();
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].stream, "");
    EXPECT_TRUE((*rows)[0].paused);
    EXPECT_EQ((*rows)[0].strategy, "sequential");
    ASSERT_TRUE(s->set_stream(id, "0:123"));
  }
  auto s = state_store::open(path);  // a second open finds the column and adds nothing
  ASSERT_TRUE(s) << s.error().message();
  auto rows = s->load();
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].stream, "0:123");
  EXPECT_EQ((*rows)[0].save_path, "/data");
  stored_torrent n;
  n.id = "bbbb";
  n.position = -1;
  n.torrent = "x";
  n.save_path = "/d";
  n.stream = "1:5";
  ASSERT_TRUE(s->put(n));
  rows = s->load();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].stream, "1:5");
}

}  // namespace
}  // namespace ccbt::rpc
