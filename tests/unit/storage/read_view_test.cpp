// async_read_view (seeding reads): in mmap mode the bytes come from file mappings (no copy) and are
// exactly the piece space (pad zeros included); buffered blocks, missing and truncated files go the
// pread way; a mapping outlives its file handle; a mapping of a file truncated behind our back
// makes sendmsg fail with EFAULT (the process gets no SIGBUS); pread mode gives the same bytes.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "storage/disk_io.hpp"
#include "storage/error.hpp"
#include "storage/file_mapping.hpp"
#include "storage/layout.hpp"
#include "storage/read_view.hpp"
#include "storage_test_util.hpp"

namespace ccbt::storage {
namespace {

using namespace test;

// The torrent's files written below `save` (as a seeder finds them).
void write_files(const test_torrent& t, const fs::path& save) {
  for (const auto& [path, data] : t.content) {
    const fs::path p = save / path;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
}

struct harness {
  temp_dir dir;
  post_queue q;
  std::unique_ptr<disk_io> io;
  storage_index st = 0;

  harness(const test_torrent& t, disk_settings s, bool files = true) {
    if (files) write_files(t, dir.path() / "dl");
    io = std::make_unique<disk_io>(s, q.executor());
    storage_params p;
    p.info = t.info;
    p.save_path = dir.path() / "dl";
    p.on_error = [](const ccbt::error&) {};
    st = io->add_storage(std::move(p));
  }
  ~harness() {
    bool removed = false;
    io->remove_storage(st, [&] { removed = true; });
    q.run_until([&] { return removed; });
    io.reset();
    q.poll();
  }
  result<read_view> read(std::uint32_t piece, std::uint32_t offset, std::uint32_t length) {
    std::optional<result<read_view>> got;
    io->async_read_view(st, piece, offset, length, [&](result<read_view> r) { got = std::move(r); });
    EXPECT_TRUE(q.run_until([&] { return got.has_value(); }));
    if (!got) return tl::unexpected(storage_error(errc::cancelled, "timeout"));
    return std::move(*got);
  }
  [[nodiscard]] fs::path save() const { return dir.path() / "dl"; }
};

std::string bytes_of(const read_view& v) {
  std::string out(v.size(), '\0');
  v.copy_to(0, v.size(), out.data());
  return out;
}

disk_settings with_mode(read_mode m) {
  disk_settings s;
  s.reads = m;
  return s;
}

class both_modes : public ::testing::TestWithParam<read_mode> {};
INSTANTIATE_TEST_SUITE_P(read_view, both_modes, ::testing::Values(read_mode::mmap, read_mode::pread),
                         [](const auto& i) { return std::string(i.param == read_mode::mmap ? "mmap" : "pread"); });

TEST_P(both_modes, every_range_reads_the_piece_space) {
  const auto t = v1_torrent();
  harness h(t, with_mode(GetParam()));
  const auto& ti = *t.info;
  std::size_t reads = 0;
  for (std::uint32_t p = 0; p < ti.num_pieces(); ++p) {
    const std::uint32_t size = ti.piece_size(p);
    // The whole piece, each block, and an odd range inside it.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges{{0, size}};
    for (std::uint32_t off = 0; off < size; off += block_size) ranges.emplace_back(off, std::min(block_size, size - off));
    if (size > 2000) ranges.emplace_back(999, size - 1999);
    for (const auto& [off, len] : ranges) {
      auto v = h.read(p, off, len);
      ASSERT_TRUE(v) << v.error().message();
      ASSERT_EQ(v->size(), len);
      EXPECT_EQ(bytes_of(*v), t.payload.substr(std::uint64_t{p} * ti.piece_length() + off, len))
          << "piece " << p << " [" << off << ", +" << len << ")";
      // Part of a view: what a send of one block of a coalesced read uses.
      if (len > 3000) {
        std::string part(1000, '\0');
        v->copy_to(2000, 1000, part.data());
        EXPECT_EQ(part, t.payload.substr(std::uint64_t{p} * ti.piece_length() + off + 2000, 1000));
      }
      EXPECT_EQ(v->mapped(), GetParam() == read_mode::mmap);
      ++reads;
    }
  }
  const auto stats = h.io->stats();
  if (GetParam() == read_mode::mmap) {
    EXPECT_EQ(stats.mapped_reads, reads);
    EXPECT_EQ(stats.read_ops, 0u);  // not one pread
  } else {
    EXPECT_EQ(stats.mapped_reads, 0u);
    EXPECT_GT(stats.read_ops, 0u);
  }
}

TEST(read_view, pad_bytes_are_zeros_and_not_mapped) {
  const auto t = v1_torrent();
  harness h(t, with_mode(read_mode::mmap));
  // Piece 1 = [32768, 65536): a.bin up to 50000, then the pad file.
  auto v = h.read(1, 50000 - 32768, 65536 - 50000);
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(bytes_of(*v), std::string(65536 - 50000, '\0'));
  EXPECT_FALSE(v->mapped());
}

TEST(read_view, buffered_blocks_are_served_from_memory) {
  const auto t = v1_torrent();
  disk_settings s = with_mode(read_mode::mmap);
  s.write_coalesce_bytes = 64u << 20;
  harness h(t, s, false);  // no files: the block can only come from the write-back buffer
  const std::uint32_t piece = 3;
  const std::string block = t.payload.substr(3 * 32768 + block_size, block_size);
  ASSERT_TRUE(h.io->async_write(h.st, piece, block_size,
                                std::span(reinterpret_cast<const std::byte*>(block.data()), block.size())));
  auto v = h.read(piece, block_size, block_size);
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(bytes_of(*v), block);
  EXPECT_FALSE(v->mapped());
}

TEST(read_view, missing_and_truncated_files_report_the_pread_errors) {
  const auto t = v1_torrent();
  harness h(t, with_mode(read_mode::mmap));
  // d/e/f.bin holds pieces 4..7 (from 120001): map it, then truncate it behind our back.
  const fs::path f = h.save() / "multi/d/e/f.bin";
  auto before = h.read(5, 0, 32768);
  ASSERT_TRUE(before) << before.error().message();
  ASSERT_TRUE(before->mapped());
  fs::resize_file(f, 1000);
  auto after = h.read(5, 0, 32768);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, errc::file_too_short) << after.error().message();
  // Bytes still in the file are served (the stale mapping was dropped; a new one is made).
  fs::resize_file(f, 100000);  // zeros again up to the size: readable
  auto again = h.read(5, 0, 32768);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_TRUE(again->mapped());
  // A missing file: the open error, as with pread.
  fs::remove(h.save() / "multi/b.bin");
  auto missing = h.read(2, 0, 32768);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, std::error_code(ENOENT, std::system_category())) << missing.error().message();
}

TEST(read_view, a_view_outlives_its_file_handle_and_storage) {
  const auto t = v1_torrent();
  disk_settings s = with_mode(read_mode::mmap);
  s.max_open_files = 1;  // every other file evicts the handle
  std::optional<read_view> kept;
  {
    harness h(t, s);
    auto v = h.read(4, 0, 32768);
    ASSERT_TRUE(v);
    kept = std::move(*v);
    for (std::uint32_t p = 0; p < 4; ++p) ASSERT_TRUE(h.read(p, 0, 32768));  // other files: evicted
    EXPECT_LE(h.io->stats().open_files, 1u);
  }  // storage removed, disk_io destroyed, files deleted
  EXPECT_EQ(bytes_of(*kept), t.payload.substr(4 * 32768, 32768));
}

TEST(read_view, files_are_mapped_in_bounded_windows) {
  // b.bin starts at an odd offset: piece-aligned reads cross its 4 MiB window boundaries.
  const auto t = build_torrent(kind::v1, "w", {{{"a.bin"}, 100001}, {{"b.bin"}, (std::uint64_t{18} << 20) + 7}},
                               1u << 20);
  disk_settings s = with_mode(read_mode::mmap);
  harness h(t, s);
  const auto& ti = *t.info;
  std::optional<read_view> first;
  for (std::uint32_t p = 0; p < ti.num_pieces(); ++p) {
    for (std::uint32_t off = 0; off < ti.piece_size(p); off += 256 * 1024) {
      const std::uint32_t len = std::min<std::uint32_t>(256 * 1024, ti.piece_size(p) - off);
      auto v = h.read(p, off, len);
      ASSERT_TRUE(v) << v.error().message();
      ASSERT_TRUE(v->mapped());
      EXPECT_EQ(bytes_of(*v), t.payload.substr(std::uint64_t{p} * ti.piece_length() + off, len)) << p << " " << off;
      if (p == 4 && !first) first = std::move(*v);  // crosses b.bin's first window boundary
    }
  }
  // The window of `first` was dropped by the handle long ago (max_windows); the view keeps it.
  EXPECT_EQ(bytes_of(*first), t.payload.substr(std::uint64_t{4} << 20, 256 * 1024));
}

// What peer_connection relies on: sending mapped bytes of a file truncated after the read makes
// sendmsg fail with EFAULT; the process does not get SIGBUS (it would die here).
TEST(read_view, sendmsg_of_a_truncated_mapping_fails_with_efault) {
  temp_dir dir;
  const fs::path p = dir.path() / "f.bin";
  const std::string data = random_bytes(1 << 20, 5);
  {
    std::ofstream out(p, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto m = file_mapping::map(fd, 0, data.size());
  ::close(fd);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_TRUE((*m)->populate(0, data.size()));
  read_view v;
  v.add_mapped(*m, (*m)->at(0), data.size());

  // A loopback TCP connection, as in a session.
  const int lst = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  ASSERT_EQ(::bind(lst, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(lst, 1), 0);
  ASSERT_EQ(::getsockname(lst, reinterpret_cast<sockaddr*>(&a), &alen), 0);
  const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const int s = ::accept(lst, nullptr, nullptr);
  ASSERT_GE(s, 0);

  // Before: the first 64 KiB go out from the mapping.
  std::vector<iovec> iov;
  v.for_each(0, 65536, [&](const char* d, std::size_t n) { iov.push_back(iovec{const_cast<char*>(d), n}); });
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  ASSERT_EQ(::sendmsg(c, &msg, MSG_NOSIGNAL), 65536);
  std::string got(65536, '\0');
  std::size_t have = 0;
  while (have < got.size()) {
    const ssize_t n = ::recv(s, got.data() + have, got.size() - have, 0);
    ASSERT_GT(n, 0);
    have += static_cast<std::size_t>(n);
  }
  EXPECT_EQ(got, data.substr(0, 65536));

  // After the truncation: EFAULT from the kernel's copy.
  fs::resize_file(p, 0);
  iov.clear();
  v.for_each(65536, 65536, [&](const char* d, std::size_t n) { iov.push_back(iovec{const_cast<char*>(d), n}); });
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  errno = 0;
  EXPECT_EQ(::sendmsg(c, &msg, MSG_NOSIGNAL), -1);
  EXPECT_EQ(errno, EFAULT);
  // populate() reports the range past the end too.
  auto r = (*m)->populate(65536, 65536);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, std::error_code(EFAULT, std::system_category()));
  ::close(s);
  ::close(c);
  ::close(lst);
}

}  // namespace
}  // namespace ccbt::storage
