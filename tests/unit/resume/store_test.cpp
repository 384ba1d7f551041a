// resume_store: round trips, batching, flush, durability callbacks, reopen, piece bookkeeping.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "resume/resume_store.hpp"
#include "test_util.hpp"

namespace ccbt::resume {
namespace {

using namespace std::chrono_literals;
using test::sample_record;
using test::temp_dir;

std::unique_ptr<resume_store> open_ok(const std::filesystem::path& p, store_options o = {}) {
  auto s = resume_store::open(p, std::move(o));
  EXPECT_TRUE(s) << (s ? "" : s.error().message());
  return s ? std::move(*s) : nullptr;
}

// Rows of a table, counted through a separate connection.
std::int64_t count_rows(const std::filesystem::path& db, const char* table) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  const std::string q = std::string("SELECT count(*) FROM ") + table;
  EXPECT_EQ(sqlite3_prepare_v2(h, q.c_str(), -1, &st, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
  const auto n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

TEST(ResumeStore, RoundTripOfTorrentsFilesPiecesAndSettings) {
  temp_dir dir;
  const auto db = dir / "resume.db";
  torrent_record a = sample_record(1, 100);
  a.hash.v2 = test::sha256_of(1);  // hybrid
  a.settings = {{"max_peers", "50"}, {"strategy", "\"sequential\""}};
  a.magnet_uri = "magnet:?xt=urn:btih:00";
  torrent_record b = sample_record(2, 9);
  b.hash.v1.reset();
  b.hash.v2 = test::sha256_of(2);  // v2 only
  b.metainfo.clear();              // no metadata blob
  b.state = torrent_state::paused;
  b.queue_position = 3;
  const std::vector<file_record> a_files = {
      {0, 4, file_stat{1000, 1'700'000'000'123'456'789}},
      {1, 0, std::nullopt},
      {2, 7, file_stat{0, -5}},
  };
  torrent_id ida{}, idb{};
  {
    auto s = open_ok(db);
    ASSERT_TRUE(s);
    auto ra = s->add_torrent(a, a_files);
    auto rb = s->add_torrent(b);
    ASSERT_TRUE(ra && rb);
    ida = *ra;
    idb = *rb;
    EXPECT_NE(ida, idb);
    for (std::uint32_t p : {0u, 5u, 99u, 5u}) ASSERT_TRUE(s->report_verified(ida, p));
    ASSERT_TRUE(s->report_verified(idb, 8));
    ASSERT_TRUE(s->set_session_value("listen_port", "6881"));
    ASSERT_TRUE(s->set_session_value("gone", "x"));
    ASSERT_TRUE(s->erase_session_value("gone"));
    ASSERT_TRUE(s->close());
    EXPECT_FALSE(s->report_verified(ida, 1));
    EXPECT_EQ(s->report_verified(ida, 1).error().code, errc::closed);
    EXPECT_TRUE(s->close());  // idempotent
  }
  auto s = open_ok(db);
  ASSERT_TRUE(s);
  auto snap = s->load();
  ASSERT_TRUE(snap) << snap.error().message();
  ASSERT_EQ(snap->torrents.size(), 2u);
  const auto& ta = snap->torrents[0];
  const auto& tb = snap->torrents[1];
  EXPECT_EQ(ta.id, ida);
  EXPECT_EQ(tb.id, idb);
  EXPECT_EQ(ta.record, a);
  EXPECT_EQ(tb.record, b);
  EXPECT_EQ(ta.files, a_files);
  EXPECT_TRUE(tb.files.empty());
  EXPECT_EQ(ta.verified.size(), 100u);
  EXPECT_EQ(ta.verified.count(), 3u);
  EXPECT_TRUE(ta.verified.test(0) && ta.verified.test(5) && ta.verified.test(99));
  EXPECT_EQ(tb.verified.count(), 1u);
  EXPECT_TRUE(tb.verified.test(8));
  EXPECT_EQ(snap->session_settings, (settings_map{{"listen_port", "6881"}}));
}

TEST(ResumeStore, UpdatesOfStateSettingsFilesAndPaths) {
  temp_dir dir;
  auto s = open_ok(dir / "r.db");
  ASSERT_TRUE(s);
  auto id = s->add_torrent(sample_record(3, 10), {{0, 4, std::nullopt}, {1, 4, std::nullopt}});
  ASSERT_TRUE(id);
  ASSERT_TRUE(s->set_state(*id, torrent_state::seeding));
  ASSERT_TRUE(s->set_queue_position(*id, 7));
  ASSERT_TRUE(s->set_save_path(*id, "/elsewhere"));
  ASSERT_TRUE(s->set_setting(*id, "k", "1"));
  ASSERT_TRUE(s->set_setting(*id, "k", "2"));
  ASSERT_TRUE(s->set_setting(*id, "drop", "x"));
  ASSERT_TRUE(s->erase_setting(*id, "drop"));
  ASSERT_TRUE(s->set_file_priority(*id, 1, 0));
  ASSERT_TRUE(s->set_file_priority(*id, 5, 2));  // a file not recorded before
  ASSERT_TRUE(s->record_file_stats(*id, {{0, file_stat{42, 99}}, {1, std::nullopt}}));
  auto snap = s->load();
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->torrents.size(), 1u);
  const auto& t = snap->torrents[0];
  EXPECT_EQ(t.record.state, torrent_state::seeding);
  EXPECT_EQ(t.record.queue_position, 7);
  EXPECT_EQ(t.record.save_path, "/elsewhere");
  EXPECT_EQ(t.record.settings, (settings_map{{"k", "2"}}));
  const std::vector<file_record> want = {
      {0, 4, file_stat{42, 99}}, {1, 0, std::nullopt}, {5, 2, std::nullopt}};
  EXPECT_EQ(t.files, want);
}

TEST(ResumeStore, ArgumentsAreCheckedBeforeQueueing) {
  temp_dir dir;
  auto s = open_ok(dir / "r.db");
  ASSERT_TRUE(s);
  auto id = s->add_torrent(sample_record(4, 10));
  ASSERT_TRUE(id);
  EXPECT_EQ(s->report_verified(*id, 10).error().code, errc::invalid_argument);
  EXPECT_EQ(s->unverify(*id, 10).error().code, errc::invalid_argument);
  EXPECT_EQ(s->report_verified(torrent_id{999}, 0).error().code, errc::unknown_torrent);
  EXPECT_EQ(s->set_state(torrent_id{999}, torrent_state::paused).error().code, errc::unknown_torrent);
  EXPECT_EQ(s->replace_pieces(*id, bitfield(11)).error().code, errc::invalid_argument);
  EXPECT_EQ(s->add_torrent(sample_record(4, 10)).error().code, errc::duplicate_torrent);
  torrent_record shares_v2 = sample_record(5, 1);
  shares_v2.hash.v2 = test::sha256_of(6);
  ASSERT_TRUE(s->add_torrent(shares_v2));
  torrent_record again = sample_record(7, 1);
  again.hash.v2 = test::sha256_of(6);
  const auto dup = s->add_torrent(again);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::duplicate_torrent);
  EXPECT_NE(dup.error().message().find(test::sha256_of(6).to_hex()), std::string::npos);
  torrent_record none = sample_record(8, 1);
  none.hash = {};
  EXPECT_EQ(s->add_torrent(none).error().code, errc::invalid_argument);
  EXPECT_EQ(s->add_torrent(sample_record(9, 1), {{0, 4, {}}, {0, 4, {}}}).error().code,
            errc::invalid_argument);
  // Nothing invalid reached the disk.
  auto snap = s->load();
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->torrents.size(), 2u);
  EXPECT_EQ(snap->torrents[0].verified.count(), 0u);
}

TEST(ResumeStore, ThousandPiecesCommitInOneOrTwoTransactions) {
  temp_dir dir;
  store_options o;
  o.commit_interval = 300ms;
  auto s = open_ok(dir / "r.db", o);
  ASSERT_TRUE(s);
  auto id = s->add_torrent(sample_record(1, 5000));
  ASSERT_TRUE(id);
  for (std::uint32_t p = 0; p < 1000; ++p) ASSERT_TRUE(s->report_verified(*id, p * 5));
  ASSERT_TRUE(s->flush());
  const auto st = s->stats();
  EXPECT_EQ(st.pieces_committed, 1000u);
  EXPECT_EQ(st.changes_committed, 1001u);
  EXPECT_LE(st.transactions, 2u);  // the add and the pieces, usually together
  EXPECT_GE(st.transactions, 1u);
  EXPECT_EQ(st.durable_seq, st.issued_seq);
  EXPECT_EQ(st.failed_commits, 0u);
  auto snap = s->load();
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->torrents[0].verified.count(), 1000u);
  EXPECT_TRUE(snap->torrents[0].verified.test(4995));
  EXPECT_FALSE(snap->torrents[0].verified.test(4996));
}

TEST(ResumeStore, ABatchCommitsOnItsOwnAfterTheInterval) {
  temp_dir dir;
  std::atomic<seq_t> seen{0};
  store_options o;
  o.commit_interval = 30ms;
  o.on_durable = [&](seq_t s) { seen = s; };
  auto s = open_ok(dir / "r.db", o);
  ASSERT_TRUE(s);
  auto id = s->add_torrent(sample_record(1, 10));
  ASSERT_TRUE(id);
  auto seq = s->report_verified(*id, 3);
  ASSERT_TRUE(seq);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (s->durable_seq() < *seq && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GE(s->durable_seq(), *seq);  // no flush() was needed
  while (seen.load() < *seq && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(seen.load(), *seq);
  // Durable means on disk: another connection sees the row.
  EXPECT_EQ(count_rows(dir / "r.db", "verified_pieces"), 1);
}

TEST(ResumeStore, AFullBatchCommitsWithoutWaitingForTheInterval) {
  temp_dir dir;
  store_options o;
  o.commit_interval = std::chrono::hours(1);
  o.max_batch = 100;
  auto s = open_ok(dir / "r.db", o);
  ASSERT_TRUE(s);
  auto id = s->add_torrent(sample_record(1, 1000));
  ASSERT_TRUE(id);
  seq_t last = 0;
  for (std::uint32_t p = 0; p < 1000; ++p) last = *s->report_verified(*id, p);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (s->durable_seq() + 100 < last && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GE(s->durable_seq() + 100, last);
  EXPECT_GE(s->stats().transactions, 1u);
}

TEST(ResumeStore, ReopenAfterDestructorKeepsEverything) {
  temp_dir dir;
  torrent_id id{};
  {
    store_options o;
    o.commit_interval = std::chrono::hours(1);  // only the destructor commits
    auto s = open_ok(dir / "r.db", o);
    ASSERT_TRUE(s);
    id = *s->add_torrent(sample_record(1, 64));
    for (std::uint32_t p = 0; p < 64; p += 2) ASSERT_TRUE(s->report_verified(id, p));
  }
  auto s = open_ok(dir / "r.db");
  ASSERT_TRUE(s);
  auto snap = s->load();
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->torrents.size(), 1u);
  EXPECT_EQ(snap->torrents[0].verified.count(), 32u);
  // close() folded the journal into the bitfield.
  EXPECT_EQ(count_rows(dir / "r.db", "verified_pieces"), 0);
  EXPECT_EQ(count_rows(dir / "r.db", "piece_bitfields"), 1);
  // A new torrent gets a fresh id.
  auto id2 = s->add_torrent(sample_record(2, 1));
  ASSERT_TRUE(id2);
  EXPECT_NE(*id2, id);
}

TEST(ResumeStore, JournalIsCompactedIntoTheBitfield) {
  temp_dir dir;
  store_options o;
  o.compact_rows = 10;
  auto s = open_ok(dir / "r.db", o);
  ASSERT_TRUE(s);
  auto id = s->add_torrent(sample_record(1, 64));  // threshold max(10, 64 / 8) = 10
  ASSERT_TRUE(id);
  for (std::uint32_t p = 0; p < 50; ++p) {
    ASSERT_TRUE(s->report_verified(*id, p));
    if (p % 5 == 4) {
      ASSERT_TRUE(s->flush());
    }
  }
  EXPECT_GE(s->stats().compactions, 4u);
  EXPECT_LT(count_rows(dir / "r.db", "verified_pieces"), 10);
  auto snap = s->load();
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->torrents[0].verified.count(), 50u);
  for (std::uint32_t p = 0; p < 64; ++p) EXPECT_EQ(snap->torrents[0].verified.test(p), p < 50) << p;
}

TEST(ResumeStore, UnverifyAndReplacePieces) {
  temp_dir dir;
  store_options o;
  o.compact_rows = 4;
  auto s = open_ok(dir / "r.db", o);
  ASSERT_TRUE(s);
  auto id = s->add_torrent(sample_record(1, 32));
  ASSERT_TRUE(id);
  for (std::uint32_t p = 0; p < 8; ++p) ASSERT_TRUE(s->report_verified(*id, p));
  ASSERT_TRUE(s->flush());  // compacted: pieces 0..7 in the bitfield
  ASSERT_TRUE(s->report_verified(*id, 20));  // in the journal
  ASSERT_TRUE(s->unverify(*id, 3));
  ASSERT_TRUE(s->unverify(*id, 20));
  ASSERT_TRUE(s->unverify(*id, 30));  // never verified: no-op
  auto snap = s->load();
  ASSERT_TRUE(snap);
  auto& v = snap->torrents[0].verified;
  EXPECT_EQ(v.count(), 7u);
  EXPECT_FALSE(v.test(3));
  EXPECT_FALSE(v.test(20));

  bitfield after_recheck(32);
  after_recheck.set(1);
  after_recheck.set(31);
  ASSERT_TRUE(s->report_verified(*id, 12));  // before the replace: replaced away
  ASSERT_TRUE(s->replace_pieces(*id, after_recheck));
  ASSERT_TRUE(s->report_verified(*id, 13));  // after the replace: kept
  snap = s->load();
  ASSERT_TRUE(snap);
  bitfield want = after_recheck;
  want.set(13);
  EXPECT_EQ(snap->torrents[0].verified, want);
}

TEST(ResumeStore, MagnetGetsItsMetadataLater) {
  temp_dir dir;
  auto s = open_ok(dir / "r.db");
  ASSERT_TRUE(s);
  torrent_record m = sample_record(1, 0);
  m.metainfo.clear();
  m.name.clear();
  m.magnet_uri = "magnet:?xt=urn:btih:0102";
  auto id = s->add_torrent(m);
  ASSERT_TRUE(id);
  EXPECT_EQ(s->report_verified(*id, 0).error().code, errc::invalid_argument);
  const std::string info = "d4:name3:abc12:piece lengthi16384ee";
  ASSERT_TRUE(s->set_metadata(*id, "abc", info, 12, {{0, 4, std::nullopt}}));
  ASSERT_TRUE(s->report_verified(*id, 11));
  EXPECT_EQ(s->set_metadata(*id, "abc", info, 13, {}).error().code, errc::invalid_argument);
  ASSERT_TRUE(s->set_metadata(*id, "abc2", info, 12, {}));  // same count: pieces kept
  auto snap = s->load();
  ASSERT_TRUE(snap);
  const auto& t = snap->torrents[0];
  EXPECT_EQ(t.record.name, "abc2");
  EXPECT_EQ(t.record.metainfo, info);
  EXPECT_EQ(t.record.piece_count, 12u);
  EXPECT_EQ(t.record.magnet_uri, m.magnet_uri);
  EXPECT_EQ(t.verified.count(), 1u);
  EXPECT_TRUE(t.verified.test(11));
  EXPECT_TRUE(t.files.empty());
}

TEST(ResumeStore, RemoveInTheSameBatchAsPiecesAndReAdd) {
  temp_dir dir;
  store_options o;
  o.commit_interval = std::chrono::hours(1);
  auto s = open_ok(dir / "r.db", o);
  ASSERT_TRUE(s);
  auto id = s->add_torrent(sample_record(1, 10), {{0, 4, std::nullopt}});
  ASSERT_TRUE(id);
  ASSERT_TRUE(s->set_setting(*id, "a", "b"));
  ASSERT_TRUE(s->report_verified(*id, 1));
  ASSERT_TRUE(s->remove_torrent(*id));
  EXPECT_EQ(s->report_verified(*id, 2).error().code, errc::unknown_torrent);
  EXPECT_EQ(s->remove_torrent(*id).error().code, errc::unknown_torrent);
  auto again = s->add_torrent(sample_record(1, 10));
  ASSERT_TRUE(again);
  EXPECT_NE(*again, *id);
  ASSERT_TRUE(s->report_verified(*again, 5));
  ASSERT_TRUE(s->flush());
  EXPECT_EQ(s->stats().transactions, 1u);
  auto snap = s->load();
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->torrents.size(), 1u);
  EXPECT_EQ(snap->torrents[0].id, *again);
  EXPECT_EQ(snap->torrents[0].verified.count(), 1u);
  EXPECT_TRUE(snap->torrents[0].verified.test(5));
  EXPECT_TRUE(snap->torrents[0].record.settings.empty());
  EXPECT_EQ(count_rows(dir / "r.db", "files"), 0);  // cascaded with the first torrent
}

TEST(ResumeStore, ConcurrentReportersFromManyThreads) {
  temp_dir dir;
  store_options o;
  o.commit_interval = 5ms;
  o.compact_rows = 256;
  auto s = open_ok(dir / "r.db", o);
  ASSERT_TRUE(s);
  constexpr std::uint32_t pieces = 3000;
  std::vector<torrent_id> ids;
  for (std::uint8_t t = 0; t < 4; ++t) ids.push_back(*s->add_torrent(sample_record(t, pieces)));
  std::vector<std::thread> threads;
  for (const auto id : ids) {
    threads.emplace_back([&s, id] {
      for (std::uint32_t p = 0; p < pieces; ++p) ASSERT_TRUE(s->report_verified(id, p));
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(s->flush());
  EXPECT_EQ(s->stats().pieces_committed, 4u * pieces);
  auto snap = s->load();
  ASSERT_TRUE(snap);
  for (const auto& t : snap->torrents) EXPECT_TRUE(t.verified.all());
}

TEST(ResumeStore, FailedCommitIsReportedAndRetried) {
  temp_dir dir;
  const auto db = dir / "r.db";
  store_options o;
  o.busy_timeout = 50ms;
  o.commit_interval = 10ms;
  auto s = open_ok(db, o);
  ASSERT_TRUE(s);
  auto id = s->add_torrent(sample_record(1, 10));
  ASSERT_TRUE(id);
  ASSERT_TRUE(s->flush());

  // Another connection holds the write lock: the batch cannot commit.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto seq = s->report_verified(*id, 4);
  ASSERT_TRUE(seq);
  auto f = s->flush();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, errc::busy) << f.error().message();
  EXPECT_LT(s->durable_seq(), *seq);
  EXPECT_GE(s->stats().failed_commits, 1u);

  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  ASSERT_TRUE(s->flush());  // the kept batch commits now
  EXPECT_GE(s->durable_seq(), *seq);
  auto snap = s->load();
  ASSERT_TRUE(snap);
  EXPECT_TRUE(snap->torrents[0].verified.test(4));
}

TEST(ResumeStore, PowerLossDurabilityWorksToo) {
  temp_dir dir;
  store_options o;
  o.level = durability::power_loss;
  auto s = open_ok(dir / "r.db", o);
  ASSERT_TRUE(s);
  auto id = s->add_torrent(sample_record(1, 10));
  ASSERT_TRUE(id);
  ASSERT_TRUE(s->report_verified(*id, 9));
  ASSERT_TRUE(s->flush());
  ASSERT_TRUE(s->close());
  auto again = open_ok(dir / "r.db");
  ASSERT_TRUE(again);
  auto snap = again->load();
  ASSERT_TRUE(snap);
  EXPECT_TRUE(snap->torrents[0].verified.test(9));
}

}  // namespace
}  // namespace ccbt::resume
