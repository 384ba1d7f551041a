// bitfield, validate_against_disk, stat_file and pieces_to_recheck.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "resume/disk_check.hpp"
#include "resume/errc.hpp"
#include "resume/resume_store.hpp"
#include "test_util.hpp"

namespace ccbt::resume {
namespace {

using test::temp_dir;
using test::write_file;

TEST(ResumeBitfield, WireOrderAndSpareBits) {
  bitfield b(10);
  EXPECT_EQ(b.bytes().size(), 2u);
  b.set(0);
  b.set(9);
  EXPECT_EQ(b.bytes()[0], 0x80);
  EXPECT_EQ(b.bytes()[1], 0x40);
  EXPECT_EQ(b.count(), 2u);
  b.reset(0);
  EXPECT_FALSE(b.test(0));
  EXPECT_TRUE(b.test(9));

  auto ok = bitfield::from_bytes(10, std::string("\xff\xc0", 2));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->all());
  auto spare = bitfield::from_bytes(10, std::string("\xff\xe0", 2));  // bit 10 set
  ASSERT_FALSE(spare);
  EXPECT_EQ(spare.error().code, errc::invalid_argument);
  EXPECT_FALSE(bitfield::from_bytes(10, std::string("\xff", 1)));
  EXPECT_FALSE(bitfield::from_bytes(8, std::string("\xff\x00", 2)));
  auto empty = bitfield::from_bytes(0, "");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->none());

  bitfield other(10);
  other.set(3);
  b.merge(other);
  EXPECT_TRUE(b.test(3) && b.test(9));
  EXPECT_EQ(b.count(), 2u);
}

TEST(ResumeDiskCheck, VerdictsPerFile) {
  const std::vector<file_record> recorded = {
      {0, 4, file_stat{100, 5}},  // unchanged
      {1, 4, file_stat{100, 5}},  // grows
      {2, 4, file_stat{100, 5}},  // touched
      {3, 4, file_stat{100, 5}},  // deleted
      {4, 4, std::nullopt},       // still absent
      {5, 4, std::nullopt},       // created since
  };
  const std::vector<disk_file> now = {
      {0, file_stat{100, 5}}, {1, file_stat{101, 5}}, {2, file_stat{100, 6}},
      {3, std::nullopt},      {4, std::nullopt},      {5, file_stat{1, 1}},
      {6, file_stat{1, 1}},  // never recorded at all
  };
  const auto changes = validate_against_disk(recorded, now);
  const std::vector<file_change> want = {
      {1, file_verdict::size_changed}, {2, file_verdict::mtime_changed}, {3, file_verdict::missing},
      {5, file_verdict::appeared},     {6, file_verdict::appeared},
  };
  EXPECT_EQ(changes, want);
}

TEST(ResumeDiskCheck, StatSeesWritesAndTouches) {
  temp_dir dir;
  const auto f = dir / "data.bin";
  auto none = stat_file(f);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);

  write_file(f, std::string(1000, 'a'));
  auto s1 = stat_file(f);
  ASSERT_TRUE(s1 && *s1);
  EXPECT_EQ((*s1)->size, 1000u);
  const std::vector<file_record> rec = {{0, 4, **s1}};
  EXPECT_TRUE(validate_against_disk(rec, std::vector<disk_file>{{0, **s1}}).empty());

  // Same size, another mtime.
  const timespec times[2] = {{0, UTIME_OMIT}, {1'000'000, 123}};
  ASSERT_EQ(::utimensat(AT_FDCWD, f.c_str(), times, 0), 0);
  auto s2 = stat_file(f);
  ASSERT_TRUE(s2 && *s2);
  EXPECT_EQ((*s2)->mtime_ns, 1'000'000LL * 1'000'000'000 + 123);
  auto c = validate_against_disk(rec, std::vector<disk_file>{{0, *s2}});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].verdict, file_verdict::mtime_changed);

  write_file(f, std::string(10, 'b'));
  auto s3 = stat_file(f);
  ASSERT_TRUE(s3 && *s3);
  c = validate_against_disk(rec, std::vector<disk_file>{{0, *s3}});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].verdict, file_verdict::size_changed);

  // A path through a regular file is an error, not "missing".
  auto bad = stat_file(f / "child");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::io_error);
}

TEST(ResumeDiskCheck, PiecesTouchingChangedFiles) {
  // 10 pieces of 100 bytes; files: [0,250) [250,250) empty, [250,700) [700,1000).
  bitfield v(10);
  for (std::uint32_t p : {0u, 1u, 2u, 3u, 6u, 7u, 9u}) v.set(p);
  const std::vector<byte_range> second = {{250, 450}};
  EXPECT_EQ(pieces_to_recheck(v, second, 100), (std::vector<std::uint32_t>{2, 3, 6}));
  const std::vector<byte_range> first_and_last = {{700, 300}, {0, 250}, {250, 0}};
  EXPECT_EQ(pieces_to_recheck(v, first_and_last, 100), (std::vector<std::uint32_t>{0, 1, 2, 7, 9}));
  const std::vector<byte_range> aligned = {{300, 100}};
  EXPECT_EQ(pieces_to_recheck(v, aligned, 100), (std::vector<std::uint32_t>{3}));
  const std::vector<byte_range> past_end = {{950, 500}};
  EXPECT_EQ(pieces_to_recheck(v, past_end, 100), (std::vector<std::uint32_t>{9}));
  EXPECT_TRUE(pieces_to_recheck(v, second, 0).empty());
}

// The restart path: record stats, close, reopen, stat again — only the touched file is suspect.
TEST(ResumeDiskCheck, RestartTrustsUnchangedFiles) {
  temp_dir dir;
  const std::vector<std::filesystem::path> paths = {dir / "a", dir / "b", dir / "c"};
  for (const auto& p : paths) write_file(p, std::string(300, 'x'));
  auto now_on_disk = [&] {
    std::vector<disk_file> out;
    for (std::uint32_t i = 0; i < paths.size(); ++i) out.push_back({i, *stat_file(paths[i])});
    return out;
  };
  {
    auto s = resume_store::open(dir / "r.db");
    ASSERT_TRUE(s);
    auto id = (*s)->add_torrent(test::sample_record(1, 9));  // 9 pieces of 100 bytes
    ASSERT_TRUE(id);
    for (std::uint32_t p = 0; p < 9; ++p) ASSERT_TRUE((*s)->report_verified(*id, p));
    ASSERT_TRUE((*s)->record_file_stats(*id, now_on_disk()));
    ASSERT_TRUE((*s)->close());
  }
  const timespec times[2] = {{0, UTIME_OMIT}, {12345, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, paths[1].c_str(), times, 0), 0);  // "edited" while we were down

  auto s = resume_store::open(dir / "r.db");
  ASSERT_TRUE(s);
  auto snap = (*s)->load();
  ASSERT_TRUE(snap);
  const auto& t = snap->torrents.at(0);
  const auto changes = validate_against_disk(t.files, now_on_disk());
  ASSERT_EQ(changes, (std::vector<file_change>{{1, file_verdict::mtime_changed}}));
  const std::vector<byte_range> suspect = {{300, 300}};
  EXPECT_EQ(pieces_to_recheck(t.verified, suspect, 100), (std::vector<std::uint32_t>{3, 4, 5}));
}

TEST(ResumeErrors, EveryCodeHasAMessage) {
  for (int e = static_cast<int>(errc::open_failed); e <= static_cast<int>(errc::closed); ++e) {
    const auto msg = make_error_code(static_cast<errc>(e)).message();
    EXPECT_FALSE(msg.empty());
    EXPECT_EQ(msg.find("unknown"), std::string::npos) << e;
  }
  EXPECT_STREQ(category().name(), "resume");
}

}  // namespace
}  // namespace ccbt::resume
