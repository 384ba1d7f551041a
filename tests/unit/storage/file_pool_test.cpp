// file_pool and path safety: bounded descriptors, planted symlinks refused, preallocation modes.
#include "storage/file_pool.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "storage/disk_io.hpp"
#include "storage/error.hpp"
#include "storage_test_util.hpp"

namespace ccbt::storage {
namespace {

using namespace test;

// Descriptors of this process open on regular files below `dir`.
std::size_t fds_below(const fs::path& dir) {
  std::size_t n = 0;
  const std::string prefix = fs::canonical(dir).string() + "/";
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = fs::read_symlink(e.path(), ec);
    // Regular files only: open_below holds directory descriptors for a moment while it walks.
    if (!ec && target.string().rfind(prefix, 0) == 0 && fs::is_regular_file(e.path(), ec)) ++n;
  }
  return n;
}

metainfo::file_entry entry(std::vector<std::string> components, std::uint64_t size) {
  metainfo::file_entry fe;
  fe.path_components = std::move(components);
  for (const auto& c : fe.path_components) fe.path += (fe.path.empty() ? "" : "/") + c;
  fe.size = size;
  return fe;
}

TEST(file_pool, keeps_at_most_max_open_descriptors) {
  temp_dir dir;
  file_pool pool(2);
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < 10; ++i) {
      auto fe = entry({"t", "f" + std::to_string(i)}, 100);
      auto h = pool.open(1, i, dir.path(), fe, open_mode::write, preallocation::none);
      ASSERT_TRUE(h) << h.error().message();
      EXPECT_LE(pool.size(), 2u);
    }
  }
  EXPECT_EQ(pool.peak(), 2u);
  EXPECT_EQ(fds_below(dir.path()), 2u);
  pool.close_storage(1);
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(fds_below(dir.path()), 0u);
}

TEST(file_pool, handle_in_use_is_not_closed_under_its_user) {
  temp_dir dir;
  file_pool pool(1);
  auto a = pool.open(1, 0, dir.path(), entry({"a"}, 0), open_mode::write, preallocation::none);
  ASSERT_TRUE(a);
  auto b = pool.open(1, 1, dir.path(), entry({"b"}, 0), open_mode::write, preallocation::none);
  ASSERT_TRUE(b);
  // `a` is still held: its fd stays valid although the pool is over its bound for a moment.
  EXPECT_EQ(::write((*a)->fd(), "x", 1), 1);
  a->reset();
  auto c = pool.open(1, 2, dir.path(), entry({"c"}, 0), open_mode::write, preallocation::none);
  ASSERT_TRUE(c);
  EXPECT_LE(pool.size(), 2u);
}

TEST(file_pool, read_reuses_writable_and_write_upgrades_read_only) {
  temp_dir dir;
  file_pool pool(4);
  const auto fe = entry({"x"}, 10);
  EXPECT_FALSE(pool.open(1, 0, dir.path(), fe, open_mode::read, preallocation::none));  // missing
  auto w = pool.open(1, 0, dir.path(), fe, open_mode::write, preallocation::none);
  ASSERT_TRUE(w);
  auto r = pool.open(1, 0, dir.path(), fe, open_mode::read, preallocation::none);
  ASSERT_TRUE(r);
  EXPECT_EQ(w->get(), r->get());
  pool.close_storage(1);
  auto r2 = pool.open(1, 0, dir.path(), fe, open_mode::read, preallocation::none);
  ASSERT_TRUE(r2);
  EXPECT_FALSE((*r2)->writable());
  auto w2 = pool.open(1, 0, dir.path(), fe, open_mode::write, preallocation::none);
  ASSERT_TRUE(w2);
  EXPECT_TRUE((*w2)->writable());
}

TEST(open_below, rejects_unsafe_components) {
  temp_dir dir;
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{}, {".."}, {"a", "..", "b"}, {"."}, {""}, {"a/b"}, {std::string("a\0b", 3)}}) {
    auto r = open_below(dir.path(), bad, O_RDWR, true, 0644);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::unsafe_path);
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(open_below, refuses_symlink_planted_inside_the_download_dir) {
  temp_dir dir;
  temp_dir outside;
  const fs::path save = dir.path() / "dl";
  fs::create_directories(save / "t");
  fs::create_directory_symlink(outside.path(), save / "t" / "sub");         // a directory link
  fs::create_symlink(outside.path() / "victim", save / "t" / "file.bin");   // a file link
  {
    auto r = open_below(save, std::vector<std::string>{"t", "sub", "x.bin"}, O_RDWR, true, 0644);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::symlink_in_path);
  }
  {
    auto r = open_below(save, std::vector<std::string>{"t", "file.bin"}, O_RDWR, true, 0644);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::symlink_in_path);
  }
  EXPECT_TRUE(fs::is_empty(outside.path()));
  // The download directory itself may be a symlink (the user's choice).
  fs::create_directory_symlink(save, dir.path() / "link-to-dl");
  auto ok = open_below(dir.path() / "link-to-dl", std::vector<std::string>{"t", "ok.bin"}, O_RDWR, true, 0644);
  ASSERT_TRUE(ok) << ok.error().message();
  ::close(*ok);
  EXPECT_TRUE(fs::exists(save / "t" / "ok.bin"));
}

TEST(open_below, refuses_non_regular_files_without_blocking) {
  temp_dir dir;
  ASSERT_EQ(::mkfifo((dir.path() / "fifo").c_str(), 0644), 0);
  auto r = open_below(dir.path(), std::vector<std::string>{"fifo"}, O_RDONLY, false, 0644);
  EXPECT_FALSE(r);
}

TEST(disk_io, planted_symlink_makes_writes_fail_and_nothing_escapes) {
  const auto t = build_torrent(kind::v1, "multi", {{{"a", "one.bin"}, 40000}, {{"b.bin"}, 30000}}, 32768);
  temp_dir dir;
  temp_dir outside;
  fs::create_directories(dir.path() / "multi");
  fs::create_directory_symlink(outside.path(), dir.path() / "multi" / "a");
  post_queue q;
  disk_io io(disk_settings{}, q.executor());
  std::vector<ccbt::error> errors;
  storage_params p;
  p.info = t.info;
  p.save_path = dir.path();
  p.on_error = [&](const ccbt::error& e) { errors.push_back(e); };
  const auto st = io.add_storage(std::move(p));
  std::optional<piece_result> res;
  for (std::uint32_t off = 0; off < 32768; off += 16384) {
    const std::string d = t.payload.substr(off, 16384);
    ASSERT_TRUE(io.async_write(st, 0, off, std::span(reinterpret_cast<const std::byte*>(d.data()), d.size())));
  }
  io.async_check_piece(st, 0, [&](piece_result r) { res = std::move(r); });
  ASSERT_TRUE(q.run_until([&] { return res.has_value(); }));
  EXPECT_EQ(res->status, piece_status::error);
  ASSERT_TRUE(res->err);
  EXPECT_EQ(res->err->code, errc::symlink_in_path);
  EXPECT_TRUE(fs::is_empty(outside.path()));
  // A read through the link is refused as well.
  std::optional<result<disk_buffer>> got;
  io.async_read(st, 0, 0, 100, [&](result<disk_buffer> r) { got = std::move(r); });
  ASSERT_TRUE(q.run_until([&] { return got.has_value(); }));
  ASSERT_FALSE(*got);
  EXPECT_EQ(got->error().code, errc::symlink_in_path);
}

struct prealloc_case {
  const char* base;
  preallocation mode;
};

class preallocate_modes : public ::testing::TestWithParam<prealloc_case> {};

TEST_P(preallocate_modes, give_expected_size_and_blocks) {
  const auto c = GetParam();
  if (!fs::is_directory(c.base)) GTEST_SKIP() << c.base << " not available";
  const auto t = build_torrent(kind::v1, "pre", {{{"big.bin"}, 3 << 20}, {{"empty"}, 0}, {{"small"}, 1000}}, 65536);
  temp_dir dir(c.base);
  post_queue q;
  disk_settings s;
  s.prealloc = c.mode;
  disk_io io(s, q.executor());
  storage_params p;
  p.info = t.info;
  p.save_path = dir.path();
  const auto st = io.add_storage(std::move(p));
  std::optional<result<void>> done;
  io.async_prepare(st, [&](result<void> r) { done = std::move(r); });
  ASSERT_TRUE(q.run_until([&] { return done.has_value(); }));
  ASSERT_TRUE(*done) << done->error().message();
  EXPECT_TRUE(fs::exists(dir.path() / "pre/empty"));
  struct stat sb {};
  const auto big = dir.path() / "pre/big.bin";
  switch (c.mode) {
    case preallocation::none:
      EXPECT_FALSE(fs::exists(big));
      break;
    case preallocation::sparse:
      ASSERT_EQ(::stat(big.c_str(), &sb), 0);
      EXPECT_EQ(sb.st_size, 3 << 20);
      EXPECT_LT(sb.st_blocks * 512, 64 * 1024);  // a hole, not 3 MiB of blocks
      break;
    case preallocation::full:
      ASSERT_EQ(::stat(big.c_str(), &sb), 0);
      EXPECT_EQ(sb.st_size, 3 << 20);
      EXPECT_GE(sb.st_blocks * 512, 3 << 20);
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(
    fs_and_modes, preallocate_modes,
    ::testing::Values(prealloc_case{"/tmp", preallocation::none}, prealloc_case{"/tmp", preallocation::sparse},
                      prealloc_case{"/tmp", preallocation::full}, prealloc_case{"/dev/shm", preallocation::none},
                      prealloc_case{"/dev/shm", preallocation::sparse},
                      prealloc_case{"/dev/shm", preallocation::full}));

TEST(preallocate, never_shrinks) {
  temp_dir dir;
  const int fd = ::open((dir.path() / "f").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 5000), 0);
  EXPECT_TRUE(preallocate(fd, 1000, preallocation::sparse));
  EXPECT_TRUE(preallocate(fd, 1000, preallocation::full));
  struct stat sb {};
  ASSERT_EQ(::fstat(fd, &sb), 0);
  EXPECT_EQ(sb.st_size, 5000);
  ::close(fd);
}

TEST(disk_io, file_pool_bound_holds_with_many_files) {
  // 10 files of one piece each, max_open_files 2, one worker: at most 2 descriptors at any time.
  std::vector<file_spec> files;
  for (int i = 0; i < 10; ++i) files.push_back({{"f" + std::to_string(i)}, 20000});
  const auto t = build_torrent(kind::v1, "many", files, 16384);
  temp_dir dir;
  post_queue q;
  disk_settings s;
  s.disk_threads = 1;
  s.max_open_files = 2;
  disk_io io(s, q.executor());
  storage_params p;
  p.info = t.info;
  p.save_path = dir.path();
  const auto st = io.add_storage(std::move(p));
  std::size_t passed = 0;
  std::size_t max_fds = 0;
  for (std::uint32_t piece = 0; piece < t.info->num_pieces(); ++piece) {
    const std::uint64_t start = std::uint64_t{piece} * 16384;
    const std::string d = t.payload.substr(start, t.info->piece_size(piece));
    ASSERT_TRUE(io.async_write(st, piece, 0, std::span(reinterpret_cast<const std::byte*>(d.data()), d.size())));
    io.async_check_piece(st, piece, [&](piece_result r) {
      if (r.status == piece_status::passed) ++passed;
      max_fds = std::max(max_fds, fds_below(dir.path()));
    });
  }
  ASSERT_TRUE(q.run_until([&] { return passed == t.info->num_pieces(); }));
  EXPECT_LE(max_fds, 2u);
  EXPECT_LE(io.stats().open_files, 2u);
  for (const auto& fe : t.info->files()) EXPECT_TRUE(read_file(dir.path() / fe.path) == t.content.at(fe.path));
}

}  // namespace
}  // namespace ccbt::storage
