// Opening damaged, foreign and newer databases; the migration path.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <random>

#include "resume/resume_store.hpp"
#include "resume/schema.hpp"
#include "resume/sqlite.hpp"
#include "test_util.hpp"

namespace ccbt::resume {
namespace {

using test::read_file;
using test::sample_record;
using test::temp_dir;
using test::write_file;

void run_sql(const std::filesystem::path& db, const char* sql_text) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* msg = nullptr;
  const int rc = sqlite3_exec(h, sql_text, nullptr, nullptr, &msg);
  EXPECT_EQ(rc, SQLITE_OK) << (msg ? msg : "");
  sqlite3_free(msg);
  sqlite3_close(h);
}

std::string text_of(const std::filesystem::path& db, const char* sql_text) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, sql_text, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW) {
    const auto* p = sqlite3_column_text(st, 0);
    out = p ? reinterpret_cast<const char*>(p) : "";
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

// A closed store with two torrents and some pieces.
void make_store(const std::filesystem::path& db) {
  auto s = resume_store::open(db);
  ASSERT_TRUE(s) << s.error().message();
  auto a = (*s)->add_torrent(sample_record(1, 40));
  ASSERT_TRUE(a);
  torrent_record big = sample_record(2, 40);
  big.metainfo.assign(200'000, 'x');  // spans many pages
  ASSERT_TRUE((*s)->add_torrent(big));
  for (std::uint32_t p = 0; p < 40; p += 3) ASSERT_TRUE((*s)->report_verified(*a, p));
  ASSERT_TRUE((*s)->close());
}

TEST(ResumeSchema, FreshFileGetsTheCurrentVersion) {
  temp_dir dir;
  const auto db = dir / "r.db";
  write_file(db, "");  // an empty file is a new database
  auto s = resume_store::open(db);
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_TRUE((*s)->close());
  EXPECT_EQ(text_of(db, "SELECT value FROM meta WHERE key = 'schema_version'"),
            std::to_string(schema::current_version()));
  EXPECT_EQ(text_of(db, "PRAGMA application_id"), std::to_string(schema::application_id));
  EXPECT_EQ(text_of(db, "PRAGMA journal_mode"), "wal");
}

TEST(ResumeSchema, GarbageFileIsNotADatabase) {
  temp_dir dir;
  const auto db = dir / "r.db";
  std::mt19937 rng(7);
  std::string junk(8192, '\0');
  for (auto& c : junk) c = static_cast<char>(rng());
  write_file(db, junk);
  auto s = resume_store::open(db);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::not_a_database);
  EXPECT_NE(s.error().message().find(db.string()), std::string::npos) << s.error().message();
  EXPECT_EQ(read_file(db), junk);  // untouched

  write_file(db, "hello, this is a text file\n");
  s = resume_store::open(db);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::not_a_database);
}

TEST(ResumeSchema, ForeignSqliteDatabaseIsRefusedUntouched) {
  temp_dir dir;
  const auto db = dir / "other.db";
  run_sql(db, "CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT); INSERT INTO photos VALUES (1, 'a');");
  const auto before = read_file(db);
  auto s = resume_store::open(db);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::foreign_database);
  EXPECT_EQ(read_file(db), before);
  EXPECT_EQ(text_of(db, "PRAGMA journal_mode"), "delete");  // not switched to WAL
}

TEST(ResumeSchema, CorruptPagesAreReportedNotCrashedOn) {
  temp_dir dir;
  const auto db = dir / "r.db";
  make_store(db);
  auto bytes = read_file(db);
  ASSERT_GT(bytes.size(), 16u * 4096u);
  std::mt19937 rng(11);
  for (std::size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(rng());
  write_file(db, bytes);
  auto s = resume_store::open(db);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::corrupt) << s.error().message();
}

TEST(ResumeSchema, CorruptPagesWithoutTheIntegrityCheckStillFailCleanly) {
  temp_dir dir;
  const auto db = dir / "r.db";
  make_store(db);
  auto bytes = read_file(db);
  std::mt19937 rng(12);
  for (std::size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(rng());
  write_file(db, bytes);
  store_options o;
  o.check_integrity = false;
  auto s = resume_store::open(db, o);
  if (s) {
    auto snap = (*s)->load();
    EXPECT_FALSE(snap);
  } else {
    EXPECT_TRUE(s.error().code == errc::corrupt || s.error().code == errc::schema_mismatch)
        << s.error().message();
  }
}

TEST(ResumeSchema, BadRecordsAreNamed) {
  temp_dir dir;
  const auto db = dir / "r.db";
  make_store(db);
  run_sql(db, "UPDATE torrents SET state = 'bogus' WHERE id = 1");
  {
    auto s = resume_store::open(db);
    ASSERT_TRUE(s);
    auto snap = (*s)->load();
    ASSERT_FALSE(snap);
    EXPECT_EQ(snap.error().code, errc::corrupt_record);
    EXPECT_NE(snap.error().message().find("torrent 1 state 'bogus'"), std::string::npos)
        << snap.error().message();
  }
  run_sql(db, "UPDATE torrents SET state = 'paused' WHERE id = 1;"
              "UPDATE piece_bitfields SET bits = x'00' WHERE torrent_id = 1");
  {
    auto s = resume_store::open(db);
    ASSERT_TRUE(s);
    auto snap = (*s)->load();
    ASSERT_FALSE(snap);
    EXPECT_EQ(snap.error().code, errc::corrupt_record);
    EXPECT_NE(snap.error().message().find("torrent 1 bitfield"), std::string::npos)
        << snap.error().message();
  }
}

TEST(ResumeSchema, MissingMetaTableIsASchemaMismatch) {
  temp_dir dir;
  const auto db = dir / "r.db";
  make_store(db);
  run_sql(db, "DROP TABLE meta");
  auto s = resume_store::open(db);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::schema_mismatch) << s.error().message();
}

TEST(ResumeSchema, NewerSchemaIsRefusedUntouched) {
  temp_dir dir;
  const auto db = dir / "r.db";
  make_store(db);
  run_sql(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
  const auto before = read_file(db);
  auto s = resume_store::open(db);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::schema_too_new);
  const auto msg = s.error().message();
  EXPECT_NE(msg.find("schema version 99"), std::string::npos) << msg;
  EXPECT_NE(msg.find("up to " + std::to_string(schema::current_version())), std::string::npos) << msg;
  EXPECT_EQ(read_file(db), before);
}

TEST(ResumeSchema, OpenFailuresAreErrors) {
  temp_dir dir;
  auto s = resume_store::open(dir / "no" / "such" / "dir" / "r.db");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::open_failed) << s.error().message();
  s = resume_store::open(dir.path());  // a directory
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.error().code == errc::open_failed || s.error().code == errc::io_error)
      << s.error().message();
}

// The migration machinery with a hypothetical version 2 of this build's schema.
std::vector<schema::migration> steps_with_v2(const char* v2_sql) {
  std::vector<schema::migration> steps(schema::migrations().begin(), schema::migrations().end());
  steps.push_back({"v2: test step", [v2_sql](sql::database& db) { return db.exec(v2_sql, "v2"); }});
  return steps;
}

TEST(ResumeSchema, OlderSchemaIsUpgradedKeepingItsData) {
  temp_dir dir;
  const auto db = dir / "r.db";
  make_store(db);  // version 1
  {
    auto conn = sql::database::open(db);
    ASSERT_TRUE(conn);
    const auto steps = steps_with_v2(
        "ALTER TABLE torrents ADD COLUMN ratio_limit REAL NOT NULL DEFAULT 2.0;"
        "CREATE TABLE trackers (torrent_id INTEGER REFERENCES torrents(id) ON DELETE CASCADE,"
        " url TEXT NOT NULL);");
    auto from = schema::upgrade(*conn, steps);
    ASSERT_TRUE(from) << from.error().message();
    EXPECT_EQ(*from, 1);
    auto now = schema::read_version(*conn);
    ASSERT_TRUE(now);
    EXPECT_EQ(*now, 2);
    // Upgrading again is a no-op.
    auto again = schema::upgrade(*conn, steps);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, 2);
  }
  EXPECT_EQ(text_of(db, "SELECT ratio_limit FROM torrents WHERE id = 1"), "2.0");
  EXPECT_EQ(text_of(db, "SELECT name FROM torrents WHERE id = 2"), "torrent-2");
  // This build only knows version 1: the upgraded file is refused, not misread.
  auto s = resume_store::open(db);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::schema_too_new);
}

TEST(ResumeSchema, FailedUpgradeStepLeavesTheOldVersionIntact) {
  temp_dir dir;
  const auto db = dir / "r.db";
  make_store(db);
  const auto steps = steps_with_v2("CREATE TABLE half_done (x); SELECT * FROM no_such_table;");
  {
    auto conn = sql::database::open(db);
    ASSERT_TRUE(conn);
    auto r = schema::upgrade(*conn, steps);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::migration_failed);
    EXPECT_NE(r.error().message().find("upgrading schema version 1 to 2"), std::string::npos)
        << r.error().message();
  }
  EXPECT_EQ(text_of(db, "SELECT value FROM meta WHERE key = 'schema_version'"), "1");
  EXPECT_EQ(text_of(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'"), "0");
  auto s = resume_store::open(db);
  ASSERT_TRUE(s) << s.error().message();
  auto snap = (*s)->load();
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->torrents.size(), 2u);
  EXPECT_EQ(snap->torrents[0].verified.count(), 14u);
}

TEST(ResumeSchema, UpgradeThatBreaksForeignKeysIsRefused) {
  temp_dir dir;
  const auto db = dir / "r.db";
  make_store(db);
  const auto steps = steps_with_v2("INSERT INTO torrent_settings VALUES (4242, 'k', 'v');");
  {
    auto conn = sql::database::open(db);
    ASSERT_TRUE(conn);
    auto r = schema::upgrade(*conn, steps);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::migration_failed);
    EXPECT_NE(r.error().message().find("foreign key violations in torrent_settings"), std::string::npos)
        << r.error().message();
  }
  EXPECT_EQ(text_of(db, "SELECT value FROM meta WHERE key = 'schema_version'"), "1");
  EXPECT_EQ(text_of(db, "SELECT count(*) FROM torrent_settings"), "0");
}

TEST(ResumeSchema, EmptyFileRunsEveryStepInOrder) {
  temp_dir dir;
  auto conn = sql::database::open(dir / "r.db");
  ASSERT_TRUE(conn);
  std::vector<int> order;
  std::vector<schema::migration> steps = {
      {"one", [&](sql::database& db) { order.push_back(1); return schema::migrations()[0].apply(db); }},
      {"two", [&](sql::database& db) { order.push_back(2); return db.exec("CREATE TABLE t2 (x)", "t2"); }},
      {"three", [&](sql::database& db) { order.push_back(3); return db.exec("DROP TABLE t2", "t2"); }},
  };
  auto from = schema::upgrade(*conn, steps);
  ASSERT_TRUE(from) << from.error().message();
  EXPECT_EQ(*from, 0);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  auto v = schema::read_version(*conn);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 3);
}

}  // namespace
}  // namespace ccbt::resume
