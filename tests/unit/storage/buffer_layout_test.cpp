// buffer_pool reuse and accounting; piece geometry and slices; write errors reach the caller.
#include <gtest/gtest.h>

#include <cstring>

#include "storage/disk_buffer.hpp"
#include "storage/disk_io.hpp"
#include "storage/error.hpp"
#include "storage/layout.hpp"
#include "storage_test_util.hpp"

namespace ccbt::storage {
namespace {

using namespace test;

TEST(buffer_pool, reuses_block_buffers_and_counts_bytes_in_use) {
  buffer_pool pool(2 * buffer_pool::block_bytes);
  {
    auto a = pool.allocate(100);
    auto b = pool.allocate(buffer_pool::block_bytes);
    EXPECT_EQ(a.size(), 100u);
    EXPECT_EQ(a.capacity(), buffer_pool::block_bytes);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % 4096, 0u);
    EXPECT_EQ(pool.in_use_bytes(), 2 * buffer_pool::block_bytes);
    auto c = pool.allocate(100000);  // larger: the next power of two, from the large list
    EXPECT_EQ(c.size(), 100000u);
    EXPECT_EQ(c.capacity(), 131072u);
    EXPECT_EQ(pool.in_use_bytes(), 2 * buffer_pool::block_bytes + 131072);
    disk_buffer moved = std::move(b);
    EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(moved.size(), buffer_pool::block_bytes);
  }
  EXPECT_EQ(pool.in_use_bytes(), 0u);
  EXPECT_EQ(pool.cached_buffers(), 2u);
  const auto before = pool.allocations();
  auto d = pool.allocate(16384);
  auto e = pool.allocate(16384);
  EXPECT_EQ(pool.allocations(), before);  // both from the free list
  auto f = pool.allocate(16384);
  EXPECT_EQ(pool.allocations(), before + 1);
}

TEST(buffer_pool, reuses_larger_buffers_of_the_same_size_class_within_its_cache_bound) {
  constexpr std::size_t big = 256 * 1024;
  buffer_pool pool(2 * big);
  {
    auto a = pool.allocate(big);
    auto b = pool.allocate(big);
    auto c = pool.allocate(big);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % 4096, 0u);
    EXPECT_EQ(pool.in_use_bytes(), 3 * big);
  }
  EXPECT_EQ(pool.in_use_bytes(), 0u);
  EXPECT_EQ(pool.cached_large_bytes(), 2 * big);  // the third did not fit: freed
  EXPECT_EQ(pool.cached_buffers(), 0u);
  const auto before = pool.allocations();
  auto d = pool.allocate(big);
  EXPECT_EQ(pool.allocations(), before);      // reused
  EXPECT_EQ(d.capacity(), big);
  auto e = pool.allocate(big - 4096);          // same size class: reuses the other cached one
  EXPECT_EQ(pool.allocations(), before);
  EXPECT_EQ(e.capacity(), big);
  EXPECT_EQ(e.size(), big - 4096);
  EXPECT_EQ(pool.cached_large_bytes(), 0u);
  auto f = pool.allocate(big + 1);             // the next class: a fresh buffer
  EXPECT_EQ(pool.allocations(), before + 1);
  EXPECT_EQ(f.capacity(), 2 * big);
}

TEST(buffer_pool, buffer_outlives_its_pool) {
  disk_buffer keep;
  {
    buffer_pool pool(0);
    keep = pool.allocate(10);
    std::memcpy(keep.data(), "0123456789", 10);
  }
  EXPECT_EQ(keep.view(), "0123456789");
}

TEST(layout, slices_skip_empty_files_and_flag_pads) {
  const auto t = build_torrent(kind::v1, "m",
                               {{{"a"}, 1000}, {{".pad", "15384"}, 15384, true}, {{"e"}, 0}, {{"b"}, 20000}},
                               16384);
  std::vector<range_slice> got;
  for_each_slice(t.info->files(), 500, 17000, [&](const range_slice& s) { got.push_back(s); });
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(t.info->files()[got[0].file_index].path, "m/a");
  EXPECT_EQ(got[0].file_offset, 500u);
  EXPECT_EQ(got[0].length, 500u);
  EXPECT_TRUE(got[1].pad);
  EXPECT_EQ(got[1].range_offset, 500u);
  EXPECT_EQ(got[1].length, 15384u);
  EXPECT_EQ(t.info->files()[got[2].file_index].path, "m/b");
  EXPECT_EQ(got[2].file_offset, 0u);
  EXPECT_EQ(got[2].length, 17000u - 500u - 15384u);
  got.clear();
  for_each_slice(t.info->files(), 36000, 1000, [&](const range_slice& s) { got.push_back(s); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].length, 384u);  // clipped at the end of the piece space
}

TEST(layout, v2_geometry_matches_bep52_widths) {
  const auto t = build_torrent(kind::v2, "t", {{{"x"}, 100000}, {{"y"}, 20000}, {{"z"}, 5000}}, 32768);
  const auto& ti = *t.info;
  ASSERT_EQ(ti.num_pieces(), 6u);
  auto g = geometry(ti, 3);  // x's last piece: 100000 - 98304 bytes, one leaf, layer width 2
  EXPECT_EQ(g.v2_bytes, 100000u - 98304u);
  EXPECT_EQ(g.v2_leaves, 1u);
  EXPECT_EQ(g.v2_width, 2u);
  EXPECT_EQ(g.size, 32768u);  // followed by pad
  g = geometry(ti, 4);  // y: one piece of two leaves, its own root over 2 leaves
  EXPECT_EQ(g.v2_leaves, 2u);
  EXPECT_EQ(g.v2_width, 2u);
  g = geometry(ti, 5);  // z: the last piece, one leaf
  EXPECT_EQ(g.v2_bytes, 5000u);
  EXPECT_EQ(g.v2_width, 1u);
  EXPECT_EQ(g.size, 32768u);  // v2: libtorrent pads the last file as well
  const auto v1 = build_torrent(kind::v1, "t", {{{"x"}, 100000}}, 32768);
  EXPECT_EQ(geometry(*v1.info, 0).v2_leaves, 0u);
}

TEST(disk_io, write_error_reaches_on_error_and_the_verdict) {
  const auto t = build_torrent(kind::v1, "w", {{{"a"}, 40000}}, 32768);
  temp_dir dir;
  { std::ofstream(dir.path() / "not-a-dir") << "x"; }
  post_queue q;
  disk_io io(disk_settings{}, q.executor());
  std::vector<ccbt::error> errors;
  storage_params p;
  p.info = t.info;
  p.save_path = dir.path() / "not-a-dir";  // a file: no directory can be created there
  p.on_error = [&](const ccbt::error& e) { errors.push_back(e); };
  const auto st = io.add_storage(std::move(p));
  for (std::uint32_t off = 0; off < 32768; off += 16384) {
    const std::string d = t.payload.substr(off, 16384);
    ASSERT_TRUE(io.async_write(st, 0, off, std::span(reinterpret_cast<const std::byte*>(d.data()), d.size())));
  }
  std::optional<piece_result> res;
  io.async_check_piece(st, 0, [&](piece_result r) { res = std::move(r); });
  ASSERT_TRUE(q.run_until([&] { return res.has_value() && !errors.empty(); }));
  EXPECT_EQ(res->status, piece_status::error);
  ASSERT_TRUE(res->err);
  EXPECT_FALSE(res->err->message().empty());
  EXPECT_EQ(io.stats().write_buffer_bytes, 0u);
  EXPECT_EQ(io.stats().pieces_passed, 0u);
}

TEST(errors, every_value_has_a_message) {
  for (int e = 1; e <= static_cast<int>(errc::cancelled); ++e)
    EXPECT_NE(make_error_code(static_cast<errc>(e)).message(), "unknown storage error") << e;
  EXPECT_EQ(std::string(category().name()), "storage");
}

}  // namespace
}  // namespace ccbt::storage
