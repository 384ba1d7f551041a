// disk_io: blocks written in any order verify and land byte for byte in the files; bad data
// fails; v2 and hybrid pieces verify; back-pressure; reads of buffered data; recheck; removal.
#include "storage/disk_io.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "crypto/sha1_lanes.hpp"
#include "storage/error.hpp"
#include "storage/layout.hpp"
#include "storage_test_util.hpp"

namespace ccbt::storage {
namespace {

using namespace test;

struct block_ref {
  std::uint32_t piece;
  std::uint32_t offset;
};

std::vector<block_ref> all_blocks(const metainfo::torrent_info& ti) {
  std::vector<block_ref> out;
  for (std::uint32_t p = 0; p < ti.num_pieces(); ++p)
    for (std::uint32_t off = 0; off < ti.piece_size(p); off += block_size) out.push_back({p, off});
  return out;
}

std::string block_data(const test_torrent& t, block_ref b) {
  const std::uint64_t start = std::uint64_t{b.piece} * t.info->piece_length() + b.offset;
  const std::uint32_t len = std::min(block_size, t.info->piece_size(b.piece) - b.offset);
  return t.payload.substr(start, len);
}

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// The bytes of a piece as they are in the files now (read with our own fd: what survives a kill).
bool piece_on_disk(const test_torrent& t, const fs::path& save, std::uint32_t piece,
                   const std::vector<std::uint8_t>& prio = {}) {
  const auto& ti = *t.info;
  const std::uint64_t start = std::uint64_t{piece} * ti.piece_length();
  bool ok = true;
  for_each_slice(ti.files(), start, ti.piece_size(piece), [&](const range_slice& s) {
    if (s.pad || (s.file_index < prio.size() && prio[s.file_index] == 0)) return;
    const std::string f = read_file(save / ti.files()[s.file_index].path);
    if (f.size() < s.file_offset + s.length ||
        f.compare(s.file_offset, s.length, t.payload, start + s.range_offset, s.length) != 0)
      ok = false;
  });
  return ok;
}

struct harness {
  temp_dir dir;
  post_queue q;
  std::unique_ptr<disk_io> io;
  storage_index st = 0;
  std::vector<ccbt::error> errors;
  bool writable_again = false;

  harness(const test_torrent& t, const disk_settings& s, std::vector<std::uint8_t> prio = {}) {
    io = std::make_unique<disk_io>(s, q.executor());
    io->set_writable_handler([this] { writable_again = true; });
    storage_params p;
    p.info = t.info;
    p.save_path = dir.path() / "dl";
    p.file_priorities = std::move(prio);
    p.on_error = [this](const ccbt::error& e) { errors.push_back(e); };
    st = io->add_storage(std::move(p));
  }
  ~harness() {
    if (io) {
      bool removed = false;
      io->remove_storage(st, [&] { removed = true; });
      q.run_until([&] { return removed; });
      io.reset();
      q.poll();
    }
  }
  [[nodiscard]] fs::path save() const { return dir.path() / "dl"; }
};

// Writes every block in `order`, waiting while the buffer is full, and checks each piece as soon
// as its last block was queued. Checks that a passed piece is already in the files.
std::map<std::uint32_t, piece_result> write_and_check(harness& h, const test_torrent& t,
                                                      const std::vector<block_ref>& order,
                                                      const std::vector<std::uint8_t>& prio = {}) {
  const auto& ti = *t.info;
  std::map<std::uint32_t, std::uint32_t> left;
  for (const auto& b : order) ++left[b.piece];
  std::map<std::uint32_t, piece_result> results;
  std::size_t not_on_disk = 0;
  for (const auto& b : order) {
    if (!h.io->writable()) {
      h.writable_again = false;
      EXPECT_TRUE(h.q.run_until([&] { return h.writable_again || h.io->writable(); }));
    }
    EXPECT_TRUE(h.io->async_write(h.st, b.piece, b.offset, as_bytes(block_data(t, b))));
    if (--left[b.piece] == 0) {
      h.io->async_check_piece(h.st, b.piece, [&, piece = b.piece](piece_result r) {
        EXPECT_EQ(r.piece, piece);
        if (r.status == piece_status::passed && !piece_on_disk(t, h.save(), piece, prio)) ++not_on_disk;
        results[piece] = std::move(r);
      });
    }
    h.q.poll();
  }
  EXPECT_TRUE(h.q.run_until([&] { return results.size() == left.size(); }));
  EXPECT_EQ(not_on_disk, 0u);
  (void)ti;
  return results;
}

std::vector<block_ref> shuffled(std::vector<block_ref> v, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}


void expect_files_match(const test_torrent& t, const fs::path& save) {
  for (const auto& fe : t.info->files()) {
    if (fe.pad()) {
      EXPECT_FALSE(fs::exists(save / fe.path)) << fe.path;
      continue;
    }
    ASSERT_TRUE(fs::exists(save / fe.path)) << fe.path;
    EXPECT_TRUE(read_file(save / fe.path) == t.content.at(fe.path)) << fe.path;
  }
}

struct write_case {
  unsigned threads;
  std::size_t buffer;       // write_buffer_bytes
  std::size_t coalesce;
  bool shuffle;
  sync_mode sync;
};

class write_all_blocks : public ::testing::TestWithParam<write_case> {};

TEST_P(write_all_blocks, every_piece_passes_and_files_match) {
  const auto c = GetParam();
  const auto t = v1_torrent();
  disk_settings s;
  s.disk_threads = c.threads;
  s.write_buffer_bytes = c.buffer;
  s.write_buffer_low_watermark = c.buffer / 2;
  s.write_coalesce_bytes = c.coalesce;
  s.sync = c.sync;
  harness h(t, s);
  bool prepared = false;
  h.io->async_prepare(h.st, [&](result<void> r) {
    EXPECT_TRUE(r) << r.error().message();
    prepared = true;
  });
  ASSERT_TRUE(h.q.run_until([&] { return prepared; }));
  auto order = all_blocks(*t.info);
  if (c.shuffle) order = shuffled(order, 42);
  const auto results = write_and_check(h, t, order);
  ASSERT_EQ(results.size(), t.info->num_pieces());
  for (const auto& [p, r] : results) {
    EXPECT_EQ(r.status, piece_status::passed) << "piece " << p;
    EXPECT_TRUE(r.fully_stored);
    ASSERT_TRUE(r.v1);
    EXPECT_EQ(*r.v1, t.info->piece_hash_v1(p));
  }
  expect_files_match(t, h.save());
  EXPECT_TRUE(fs::exists(h.save() / "multi/a/empty.txt"));
  EXPECT_TRUE(fs::exists(h.save() / "multi/z-empty"));
  EXPECT_FALSE(fs::exists(h.save() / "multi/.pad"));
  const auto st = h.io->stats();
  EXPECT_EQ(st.pieces_passed, t.info->num_pieces());
  EXPECT_EQ(st.bytes_written, t.info->payload_size());
  EXPECT_EQ(st.write_buffer_bytes, 0u);
  EXPECT_LE(st.write_buffer_peak, c.buffer + block_size);
  if (!c.shuffle && c.buffer >= (std::size_t{1} << 20)) {
    EXPECT_EQ(st.read_backs, 0u);
  }
  EXPECT_TRUE(h.errors.empty());
}

INSTANTIATE_TEST_SUITE_P(
    cases, write_all_blocks,
    ::testing::Values(write_case{1, 16u << 20, 1u << 20, false, sync_mode::none},
                      write_case{4, 16u << 20, 1u << 20, true, sync_mode::none},
                      write_case{2, 16u << 20, 32768, true, sync_mode::piece},
                      write_case{3, 65536, 1u << 20, true, sync_mode::none},    // constant pressure
                      write_case{1, 32768, 16384, false, sync_mode::none}));

TEST(disk_io, small_buffer_out_of_order_needs_read_backs_and_still_verifies) {
  // Out of order with a tiny buffer: blocks are flushed before SHA-1 reaches them and read back.
  const auto t = build_torrent(kind::v1, "big", {{{"f.bin"}, 8 * 262144}}, 262144);
  disk_settings s;
  s.disk_threads = 2;
  s.write_buffer_bytes = 65536;
  s.write_buffer_low_watermark = 32768;
  harness h(t, s);
  auto order = all_blocks(*t.info);
  std::reverse(order.begin(), order.end());  // every piece arrives last block first
  const auto results = write_and_check(h, t, order);
  for (const auto& [p, r] : results) EXPECT_EQ(r.status, piece_status::passed) << p;
  expect_files_match(t, h.save());
  const auto st = h.io->stats();
  EXPECT_GT(st.read_backs, 0u);
  EXPECT_LE(st.write_buffer_peak, s.write_buffer_bytes + block_size);
}

TEST(disk_io, corrupted_block_fails_then_good_data_passes) {
  const auto t = v1_torrent();
  harness h(t, disk_settings{});
  const auto& ti = *t.info;
  const std::uint32_t piece = 2;
  std::optional<piece_result> res;
  for (std::uint32_t off = 0; off < ti.piece_size(piece); off += block_size) {
    std::string d = block_data(t, {piece, off});
    if (off == block_size) d[100] ^= 0x5a;
    ASSERT_TRUE(h.io->async_write(h.st, piece, off, as_bytes(d)));
  }
  h.io->async_check_piece(h.st, piece, [&](piece_result r) { res = std::move(r); });
  ASSERT_TRUE(h.q.run_until([&] { return res.has_value(); }));
  EXPECT_EQ(res->status, piece_status::failed);
  EXPECT_EQ(h.io->stats().pieces_failed, 1u);
  // The piece's state was reset: the same blocks can be downloaded again.
  res.reset();
  for (std::uint32_t off = 0; off < ti.piece_size(piece); off += block_size)
    ASSERT_TRUE(h.io->async_write(h.st, piece, off, as_bytes(block_data(t, {piece, off}))));
  h.io->async_check_piece(h.st, piece, [&](piece_result r) { res = std::move(r); });
  ASSERT_TRUE(h.q.run_until([&] { return res.has_value(); }));
  EXPECT_EQ(res->status, piece_status::passed);
  EXPECT_TRUE(piece_on_disk(t, h.save(), piece));
}

TEST(disk_io, duplicate_block_is_dropped) {
  const auto t = v1_torrent();
  harness h(t, disk_settings{});
  const std::string good = block_data(t, {0, 0});
  std::string bad = good;
  bad[0] ^= 1;
  ASSERT_TRUE(h.io->async_write(h.st, 0, 0, as_bytes(good)));
  ASSERT_TRUE(h.io->async_write(h.st, 0, 0, as_bytes(bad)));  // endgame duplicate: ignored
  ASSERT_TRUE(h.io->async_write(h.st, 0, block_size, as_bytes(block_data(t, {0, block_size}))));
  std::optional<piece_result> res;
  h.io->async_check_piece(h.st, 0, [&](piece_result r) { res = std::move(r); });
  ASSERT_TRUE(h.q.run_until([&] { return res.has_value(); }));
  EXPECT_EQ(res->status, piece_status::passed);
}

TEST(disk_io, invalid_writes_are_rejected) {
  const auto t = v1_torrent();
  harness h(t, disk_settings{});
  const std::string d(block_size, 'x');
  EXPECT_EQ(h.io->async_write(h.st, t.info->num_pieces(), 0, as_bytes(d)).error().code, errc::invalid_piece);
  EXPECT_EQ(h.io->async_write(h.st, 0, 100, as_bytes(d)).error().code, errc::invalid_block);
  EXPECT_EQ(h.io->async_write(h.st, 0, 0, as_bytes(d.substr(1))).error().code, errc::invalid_block);
  const std::uint32_t last = t.info->num_pieces() - 1;
  const std::uint32_t last_off = (t.info->piece_size(last) - 1) / block_size * block_size;
  EXPECT_EQ(h.io->async_write(h.st, last, last_off, as_bytes(d)).error().code, errc::invalid_block);
  EXPECT_EQ(h.io->async_write(h.st + 100, 0, 0, as_bytes(d)).error().code, errc::unknown_storage);
}

class v2_kinds : public ::testing::TestWithParam<kind> {};

TEST_P(v2_kinds, pieces_verify_in_random_order) {
  const auto t = build_torrent(GetParam(), "tree",
                               {{{"dir", "x.bin"}, 100000},  // 4 pieces, the last short
                                {{"dir", "y.bin"}, 20000},   // one piece of 2 blocks
                                {{"e"}, 0},
                                {{"z.bin"}, 5000}},          // one block
                               32768);
  ASSERT_TRUE(t.info->is_v2());
  EXPECT_EQ(t.info->is_v1(), GetParam() == kind::hybrid);
  disk_settings s;
  s.disk_threads = 3;
  harness h(t, s);
  const auto results = write_and_check(h, t, shuffled(all_blocks(*t.info), 7));
  ASSERT_EQ(results.size(), t.info->num_pieces());
  for (const auto& [p, r] : results) {
    EXPECT_EQ(r.status, piece_status::passed) << p;
    ASSERT_TRUE(r.v2);
    EXPECT_EQ(*r.v2, *t.info->piece_hash_v2(p));
    EXPECT_EQ(r.v1.has_value(), GetParam() == kind::hybrid);
  }
  for (const auto& fe : t.info->files()) {
    if (fe.pad() || fe.size == 0) continue;
    EXPECT_TRUE(read_file(h.save() / fe.path) == t.content.at(fe.path)) << fe.path;
  }
}

TEST_P(v2_kinds, corrupted_block_fails) {
  const auto t = build_torrent(GetParam(), "tree", {{{"x.bin"}, 100000}, {{"y.bin"}, 40000}}, 32768);
  harness h(t, disk_settings{});
  std::optional<piece_result> res;
  const std::uint32_t piece = 4;  // y.bin's first piece
  for (std::uint32_t off = 0; off < t.info->piece_size(piece); off += block_size) {
    std::string d = block_data(t, {piece, off});
    if (off == 0) d[5] ^= 1;
    ASSERT_TRUE(h.io->async_write(h.st, piece, off, as_bytes(d)));
  }
  h.io->async_check_piece(h.st, piece, [&](piece_result r) { res = std::move(r); });
  ASSERT_TRUE(h.q.run_until([&] { return res.has_value(); }));
  EXPECT_EQ(res->status, piece_status::failed);
}

INSTANTIATE_TEST_SUITE_P(kinds, v2_kinds, ::testing::Values(kind::v2, kind::hybrid));

TEST(disk_io, v2_piece_without_layer_reports_hash_unknown) {
  const auto t = build_torrent(kind::v2, "tree", {{{"x.bin"}, 100000}, {{"y.bin"}, 40000}}, 32768);
  // The same info dict without its piece layers (as from BEP 9 metadata).
  auto bare = metainfo::torrent_info::from_info_dict(t.info->info_bytes());
  ASSERT_TRUE(bare) << bare.error().message();
  ASSERT_FALSE(bare->piece_hash_v2(0));
  test_torrent u = t;
  u.info = std::make_shared<const metainfo::torrent_info>(std::move(*bare));
  harness h(u, disk_settings{});
  const auto results = write_and_check(h, u, all_blocks(*u.info));
  for (const auto& [p, r] : results) {
    EXPECT_EQ(r.status, piece_status::hash_unknown) << p;
    ASSERT_TRUE(r.v2);
    EXPECT_EQ(*r.v2, *t.info->piece_hash_v2(p)) << p;  // what the piece layer will say
  }
  expect_files_match(u, h.save());
}

TEST(disk_io, back_pressure_trips_at_the_high_watermark_and_clears) {
  // Out-of-order blocks of a v1 torrent are not hashed, so nothing writes them before the buffer
  // goes above the low watermark: the 4th block reaches the high watermark deterministically.
  const auto t = build_torrent(kind::v1, "bp", {{{"f.bin"}, 16 * 65536}}, 65536);
  disk_settings s;
  s.write_buffer_bytes = 4 * block_size;
  s.write_buffer_low_watermark = 3 * block_size;
  harness h(t, s);
  for (std::uint32_t p = 0; p < 3; ++p) {
    ASSERT_TRUE(h.io->async_write(h.st, p, block_size, as_bytes(block_data(t, {p, block_size}))));
    EXPECT_TRUE(h.io->writable());
  }
  EXPECT_EQ(h.io->stats().buffer_full_events, 0u);
  EXPECT_EQ(h.io->stats().bytes_written, 0u);
  ASSERT_TRUE(h.io->async_write(h.st, 3, block_size, as_bytes(block_data(t, {3, block_size}))));
  EXPECT_EQ(h.io->stats().buffer_full_events, 1u);
  EXPECT_EQ(h.io->stats().write_buffer_peak, 4 * block_size);
  // Above the low watermark the oldest pieces are flushed; back at the low watermark the
  // writable handler runs.
  ASSERT_TRUE(h.q.run_until([&] { return h.writable_again; }));
  EXPECT_TRUE(h.io->writable());
  EXPECT_LE(h.io->stats().write_buffer_bytes, s.write_buffer_low_watermark);
  EXPECT_GE(h.io->stats().bytes_written, block_size);
}

TEST(disk_io, memory_stays_bounded_whatever_the_arrival_order) {
  const auto t = build_torrent(kind::v1, "bound", {{{"f.bin"}, 64 * 65536 + 777}}, 65536);
  disk_settings s;
  s.disk_threads = 2;
  s.write_buffer_bytes = 256 * 1024;
  s.write_buffer_low_watermark = 128 * 1024;
  harness h(t, s);
  // Interleave blocks of many pieces, never completing one until the end.
  auto order = all_blocks(*t.info);
  std::stable_sort(order.begin(), order.end(), [](block_ref a, block_ref b) { return a.offset > b.offset; });
  const auto results = write_and_check(h, t, order);
  for (const auto& [p, r] : results) EXPECT_EQ(r.status, piece_status::passed) << p;
  EXPECT_LE(h.io->stats().write_buffer_peak, s.write_buffer_bytes + block_size);
  expect_files_match(t, h.save());
}

TEST(disk_io, reads_see_buffered_blocks_and_pad_zeros) {
  const auto t = v1_torrent();
  disk_settings s;
  s.write_coalesce_bytes = 64u << 20;
  harness h(t, s);
  // Piece 1 = bytes [32768, 65536): a.bin's tail up to 50000, then the pad file. Block 1 alone
  // (out of order, unhashed) stays in the buffer: nothing writes it.
  const block_ref b{1, block_size};
  ASSERT_TRUE(h.io->async_write(h.st, b.piece, b.offset, as_bytes(block_data(t, b))));
  std::optional<result<disk_buffer>> got;
  h.io->async_read(h.st, 1, block_size, block_size, [&](result<disk_buffer> r) { got = std::move(r); });
  ASSERT_TRUE(h.q.run_until([&] { return got.has_value(); }));
  ASSERT_TRUE(*got) << got->error().message();
  EXPECT_TRUE((*got)->view() == block_data(t, b));
  EXPECT_FALSE(fs::exists(h.save() / "multi/a/one.bin"));  // it really came from memory
  // The block's bytes past 50000 (the pad file) read as zeros.
  EXPECT_TRUE((*got)->view().substr(50000 - 49152) == std::string(65536 - 50000, '\0'));

  // A read spanning a block on disk and one in memory: write+check piece 3, then buffer piece 4's
  // block 1 and read across pieces' data of different origins within piece 4.
  std::optional<piece_result> res;
  for (std::uint32_t off = 0; off < t.info->piece_size(4); off += block_size)
    if (off != block_size) {
      ASSERT_TRUE(h.io->async_write(h.st, 4, off, as_bytes(block_data(t, {4, off}))));
    }
  ASSERT_TRUE(h.io->async_write(h.st, 4, block_size, as_bytes(block_data(t, {4, block_size}))));
  h.io->async_check_piece(h.st, 4, [&](piece_result r) { res = std::move(r); });
  ASSERT_TRUE(h.q.run_until([&] { return res.has_value(); }));
  ASSERT_EQ(res->status, piece_status::passed);
  ASSERT_TRUE(h.io->async_write(h.st, 5, block_size, as_bytes(block_data(t, {5, block_size}))));
  got.reset();
  h.io->async_read(h.st, 4, 1000, 32768 - 1000, [&](result<disk_buffer> r) { got = std::move(r); });
  ASSERT_TRUE(h.q.run_until([&] { return got.has_value(); }));
  ASSERT_TRUE(*got);
  EXPECT_TRUE((*got)->view() == t.payload.substr(4 * 32768 + 1000, 32768 - 1000));
  got.reset();
  h.io->async_read(h.st, 5, 8192, 16384, [&](result<disk_buffer> r) { got = std::move(r); });
  ASSERT_TRUE(h.q.run_until([&] { return got.has_value(); }));
  ASSERT_TRUE(*got);
  // [8192, 16384) of piece 5 was never written (reads as the file's hole or zeros: not checked);
  // [16384, 24576) comes from the buffered block.
  EXPECT_TRUE((*got)->view().substr(8192) == t.payload.substr(5 * 32768 + 16384, 8192));
  EXPECT_GT(h.io->stats().bytes_read, 0u);

  got.reset();
  h.io->async_read(h.st, 0, 0, 0, [&](result<disk_buffer> r) { got = std::move(r); });
  ASSERT_TRUE(h.q.run_until([&] { return got.has_value(); }));
  EXPECT_EQ(got->error().code, errc::invalid_read);
}

TEST(disk_io, recheck_finds_exactly_the_good_pieces) {
  const auto t = v1_torrent();
  disk_settings s;
  s.recheck_threads = 3;
  s.recheck_read_bytes = 65536;  // 2 pieces per read
  harness h(t, s);
  const auto results = write_and_check(h, t, shuffled(all_blocks(*t.info), 3));
  for (const auto& [p, r] : results) ASSERT_EQ(r.status, piece_status::passed);

  // Damage: one byte of b.bin at offset 20000, and c.bin deleted.
  const auto& ti = *t.info;
  {
    std::fstream f(h.save() / "multi/b.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20000);
    f.put('\x7f' ^ t.content.at("multi/b.bin")[20000]);
  }
  fs::remove(h.save() / "multi/c.bin");
  std::vector<bool> expected(ti.num_pieces(), true);
  std::size_t b_index = 0;
  std::size_t c_index = 0;
  for (std::size_t i = 0; i < ti.files().size(); ++i) {
    if (ti.files()[i].path == "multi/b.bin") b_index = i;
    if (ti.files()[i].path == "multi/c.bin") c_index = i;
  }
  expected[(ti.files()[b_index].offset + 20000) / ti.piece_length()] = false;
  expected[ti.files()[c_index].offset / ti.piece_length()] = false;

  std::optional<result<std::vector<bool>>> rc;
  std::uint32_t max_progress = 0;
  h.io->async_recheck(
      h.st, [&](std::uint32_t done, std::uint32_t total) {
        EXPECT_EQ(total, ti.num_pieces());
        max_progress = std::max(max_progress, done);
      },
      [&](result<std::vector<bool>> r) { rc = std::move(r); });
  ASSERT_TRUE(h.q.run_until([&] { return rc.has_value(); }));
  ASSERT_TRUE(*rc) << rc->error().message();
  EXPECT_EQ(**rc, expected);
  EXPECT_EQ(max_progress, ti.num_pieces());
  EXPECT_GT(h.io->stats().recheck_bytes, 0u);
}

TEST(disk_io, recheck_of_v2_and_hybrid) {
  for (kind k : {kind::v2, kind::hybrid}) {
    const auto t = build_torrent(k, "tree", {{{"x.bin"}, 100000}, {{"y.bin"}, 20000}, {{"z.bin"}, 5000}}, 32768);
    harness h(t, disk_settings{});
    const auto results = write_and_check(h, t, all_blocks(*t.info));
    for (const auto& [p, r] : results) ASSERT_EQ(r.status, piece_status::passed);
    {
      std::fstream f(h.save() / "tree/x.bin", std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(99999);  // last piece of x.bin
      f.put('\x01' ^ t.content.at("tree/x.bin")[99999]);
    }
    std::optional<result<std::vector<bool>>> rc;
    h.io->async_recheck(h.st, {}, [&](result<std::vector<bool>> r) { rc = std::move(r); });
    ASSERT_TRUE(h.q.run_until([&] { return rc.has_value(); }));
    ASSERT_TRUE(*rc);
    std::vector<bool> expected(t.info->num_pieces(), true);
    expected[3] = false;
    EXPECT_EQ(**rc, expected);
  }
}

TEST(disk_io, recheck_can_be_cancelled) {
  // 64 MiB of sparse files: hashing them takes tens of milliseconds, the cancel comes at once.
  const auto t = build_torrent(kind::v1, "big", {{{"a"}, 32u << 20}, {{"b"}, 32u << 20}}, 1u << 20);
  disk_settings s;
  s.recheck_threads = 1;
  s.recheck_read_bytes = 1u << 20;
  harness h(t, s);
  for (const char* f : {"big/a", "big/b"}) {
    fs::create_directories(h.save() / "big");
    std::ofstream(h.save() / f).close();
    fs::resize_file(h.save() / f, 32u << 20);
  }
  std::optional<result<std::vector<bool>>> rc;
  h.io->async_recheck(h.st, {}, [&](result<std::vector<bool>> r) { rc = std::move(r); });
  h.io->cancel_recheck(h.st);
  ASSERT_TRUE(h.q.run_until([&] { return rc.has_value(); }));
  ASSERT_FALSE(*rc);
  EXPECT_EQ(rc->error().code, errc::cancelled);
  // A new recheck after the cancellation runs to the end.
  rc.reset();
  h.io->async_recheck(h.st, {}, [&](result<std::vector<bool>> r) { rc = std::move(r); });
  ASSERT_TRUE(h.q.run_until([&] { return rc.has_value(); }));
  ASSERT_TRUE(*rc);
  EXPECT_EQ(**rc, std::vector<bool>(t.info->num_pieces(), false));  // zeros, not the content
}

TEST(disk_io, check_piece_from_disk_without_buffered_blocks) {
  // A piece whose bytes are already in the files (e.g. after a restart) is verified by reading it.
  const auto t = v1_torrent();
  harness h(t, disk_settings{});
  fs::create_directories(h.save() / "multi/a");
  { std::ofstream(h.save() / "multi/a/one.bin", std::ios::binary) << t.content.at("multi/a/one.bin"); }
  std::optional<piece_result> res;
  h.io->async_check_piece(h.st, 0, [&](piece_result r) { res = std::move(r); });
  ASSERT_TRUE(h.q.run_until([&] { return res.has_value(); }));
  EXPECT_EQ(res->status, piece_status::passed);
  res.reset();
  h.io->async_check_piece(h.st, 3, [&](piece_result r) { res = std::move(r); });  // b.bin missing
  ASSERT_TRUE(h.q.run_until([&] { return res.has_value(); }));
  EXPECT_EQ(res->status, piece_status::error);
}

TEST(disk_io, unwanted_files_are_not_created) {
  const auto t = v1_torrent();
  const auto& ti = *t.info;
  std::vector<std::uint8_t> prio(ti.num_files(), 1);
  std::size_t b_index = 0;
  for (std::size_t i = 0; i < ti.files().size(); ++i)
    if (ti.files()[i].path == "multi/b.bin") b_index = i;
  prio[b_index] = 0;
  disk_settings s;
  s.disk_threads = 2;
  harness h(t, s, prio);
  bool prepared = false;
  h.io->async_prepare(h.st, [&](result<void> r) {
    EXPECT_TRUE(r);
    prepared = true;
  });
  ASSERT_TRUE(h.q.run_until([&] { return prepared; }));
  const auto results = write_and_check(h, t, shuffled(all_blocks(ti), 9), prio);
  const auto& bf = ti.files()[b_index];
  for (const auto& [p, r] : results) {
    const std::uint64_t ps = std::uint64_t{p} * ti.piece_length();
    const bool touches = ps < bf.offset + bf.size && bf.offset < ps + ti.piece_size(p);
    EXPECT_EQ(r.status, piece_status::passed) << p;
    EXPECT_EQ(r.fully_stored, !touches) << p;
  }
  EXPECT_FALSE(fs::exists(h.save() / "multi/b.bin"));
  for (const auto& fe : ti.files())
    if (!fe.pad() && fe.path != "multi/b.bin") {
      EXPECT_TRUE(read_file(h.save() / fe.path) == t.content.at(fe.path)) << fe.path;
    }
}

TEST(disk_io, remove_storage_writes_buffered_blocks) {
  const auto t = v1_torrent();
  disk_settings s;
  s.write_coalesce_bytes = 64u << 20;
  auto h = std::make_unique<harness>(t, s);
  const block_ref b{0, block_size};  // unhashed, stays buffered until removal
  ASSERT_TRUE(h->io->async_write(h->st, b.piece, b.offset, as_bytes(block_data(t, b))));
  bool removed = false;
  h->io->remove_storage(h->st, [&] { removed = true; });
  // Refused whether the removal is still flushing or already done.
  const auto late = h->io->async_write(h->st, 1, 0, as_bytes(block_data(t, {1, 0})));
  ASSERT_FALSE(late);
  EXPECT_TRUE(late.error().code == errc::storage_removed || late.error().code == errc::unknown_storage);
  ASSERT_TRUE(h->q.run_until([&] { return removed; }));
  const std::string f = read_file(h->save() / "multi/a/one.bin");
  ASSERT_EQ(f.size(), 50000u);  // sparse preallocation
  EXPECT_TRUE(f.substr(block_size, block_size) == block_data(t, b));
  EXPECT_EQ(h->io->stats().write_buffer_bytes, 0u);
  // Second removal of an unknown storage still calls back.
  bool again = false;
  h->io->remove_storage(h->st, [&] { again = true; });
  ASSERT_TRUE(h->q.run_until([&] { return again; }));
  h->io.reset();
}

TEST(disk_io, flush_and_clear_piece) {
  const auto t = v1_torrent();
  disk_settings s;
  s.write_coalesce_bytes = 64u << 20;
  harness h(t, s);
  ASSERT_TRUE(h.io->async_write(h.st, 3, block_size, as_bytes(block_data(t, {3, block_size}))));
  ASSERT_TRUE(h.io->async_write(h.st, 2, block_size, as_bytes(block_data(t, {2, block_size}))));
  h.io->async_clear_piece(h.st, 2);  // dropped, never written
  bool flushed = false;
  h.io->async_flush(h.st, [&] { flushed = true; });
  ASSERT_TRUE(h.q.run_until([&] { return flushed; }));
  EXPECT_EQ(h.io->stats().write_buffer_bytes, 0u);
  EXPECT_EQ(h.io->stats().bytes_written, block_size);
}

TEST(disk_io, async_compute_runs_on_a_worker_and_posts_done) {
  const auto t = v1_torrent();
  harness h(t, disk_settings{});
  std::atomic<std::thread::id> ran_on{};
  std::optional<bool> done;
  h.io->async_compute(h.st, [&] { ran_on = std::this_thread::get_id(); }, [&](bool ran) { done = ran; });
  ASSERT_TRUE(h.q.run_until([&] { return done.has_value(); }));
  EXPECT_TRUE(*done);
  EXPECT_NE(ran_on.load(), std::thread::id{});
  EXPECT_NE(ran_on.load(), std::this_thread::get_id());  // not the caller's thread
  // An unknown storage: done(false), the job never runs.
  bool ran_unknown = false;
  done.reset();
  h.io->async_compute(h.st + 100, [&] { ran_unknown = true; }, [&](bool ran) { done = ran; });
  ASSERT_TRUE(h.q.run_until([&] { return done.has_value(); }));
  EXPECT_FALSE(*done);
  EXPECT_FALSE(ran_unknown);
}

TEST(disk_io, destructor_writes_what_is_buffered) {
  const auto t = v1_torrent();
  temp_dir dir;
  post_queue q;
  {
    disk_settings s;
    s.write_coalesce_bytes = 64u << 20;
    disk_io io(s, q.executor());
    storage_params p;
    p.info = t.info;
    p.save_path = dir.path();
    const auto st = io.add_storage(std::move(p));
    ASSERT_TRUE(io.async_write(st, 0, block_size, as_bytes(block_data(t, {0, block_size}))));
  }
  q.poll();
  EXPECT_TRUE(read_file(dir.path() / "multi/a/one.bin").substr(block_size, block_size) ==
              block_data(t, {0, block_size}));
}

// ---- lanes: complete pieces of v1-only torrents hashed together (crypto::sha1_lanes) ----------

test_torrent many_pieces_v1(std::uint32_t pieces = 40) {
  return build_torrent(kind::v1, "lanes", {{{"big.bin"}, std::uint64_t{32768} * pieces - 1000}, {{"tail.bin"}, 1000}},
                       32768);
}

// The lanes tests run with sha1_lanes' portable kernel on every CPU, and with the AVX-512 one
// where the CPU has it (hash_lanes_portable = false).
std::vector<bool> lane_kernels() {
  std::vector<bool> portable{true};
  if (crypto::sha1_lanes::available()) portable.push_back(false);
  return portable;
}

TEST(disk_io_lanes, complete_pieces_are_hashed_together_and_verdicts_are_right) {
  for (const bool portable : lane_kernels()) {
    SCOPED_TRACE(portable ? "portable kernel" : "AVX-512 kernel");
    const auto t = many_pieces_v1();
    disk_settings s;
    s.hash_lanes_portable = portable;
    s.hash_lane_wait_ms = 200;  // long enough that full groups form while the test writes
    harness h(t, s);
    const auto& ti = *t.info;
    std::map<std::uint32_t, piece_result> res;
    const std::uint32_t bad = 7;
    for (std::uint32_t p = 0; p < ti.num_pieces(); ++p) {
      for (std::uint32_t off = 0; off < ti.piece_size(p); off += block_size) {
        std::string d = block_data(t, {p, off});
        if (p == bad && off == block_size) d[5] ^= 0x01;
        ASSERT_TRUE(h.io->async_write(h.st, p, off, as_bytes(d)));
      }
      h.io->async_check_piece(h.st, p, [&, p](piece_result r) { res[p] = std::move(r); });
    }
    ASSERT_TRUE(h.q.run_until([&] { return res.size() == ti.num_pieces(); }));
    for (const auto& [p, r] : res) {
      EXPECT_EQ(r.status, p == bad ? piece_status::failed : piece_status::passed) << "piece " << p;
      ASSERT_TRUE(r.v1.has_value());
      EXPECT_EQ(*r.v1 == ti.piece_hash_v1(p), p != bad) << "piece " << p;
      if (p != bad) {
        EXPECT_TRUE(piece_on_disk(t, h.save(), p)) << "piece " << p;
      }
    }
    const auto st = h.io->stats();
    // 40 pieces of 32 KiB: groups of 16 (the width) and the rest once the wait ran out.
    EXPECT_GE(st.lane_pieces, 32u);
    EXPECT_EQ(st.pieces_failed, 1u);
    EXPECT_EQ(st.read_backs, 0u);
  }
}

TEST(disk_io_lanes, a_lone_piece_gets_its_verdict_after_the_wait) {
  for (const bool portable : lane_kernels()) {
    SCOPED_TRACE(portable ? "portable kernel" : "AVX-512 kernel");
    const auto t = many_pieces_v1();
    disk_settings s;
    s.hash_lanes_portable = portable;
    s.hash_lane_wait_ms = 50;
    harness h(t, s);
    std::optional<piece_result> res;
    for (std::uint32_t off = 0; off < 32768; off += block_size)
      ASSERT_TRUE(h.io->async_write(h.st, 3, off, as_bytes(block_data(t, {3, off}))));
    h.io->async_check_piece(h.st, 3, [&](piece_result r) { res = std::move(r); });
    ASSERT_TRUE(h.q.run_until([&] { return res.has_value(); }, std::chrono::seconds(10)));
    EXPECT_EQ(res->status, piece_status::passed);
    EXPECT_EQ(h.io->stats().lane_pieces, 0u);  // hashed alone: one lane is no gain
  }
}

TEST(disk_io_lanes, flush_and_removal_do_not_wait_for_the_lane_deadline) {
  for (const bool portable : lane_kernels()) {
    SCOPED_TRACE(portable ? "portable kernel" : "AVX-512 kernel");
    const auto t = many_pieces_v1();
    disk_settings s;
    s.hash_lanes_portable = portable;
    s.hash_lane_wait_ms = 60'000;  // a deadline the test would notice
    harness h(t, s);
    std::map<std::uint32_t, piece_result> res;
    for (std::uint32_t p = 0; p < 3; ++p) {
      for (std::uint32_t off = 0; off < 32768; off += block_size)
        ASSERT_TRUE(h.io->async_write(h.st, p, off, as_bytes(block_data(t, {p, off}))));
      h.io->async_check_piece(h.st, p, [&, p](piece_result r) { res[p] = std::move(r); });
    }
    bool flushed = false;
    h.io->async_flush(h.st, [&] { flushed = true; });
    ASSERT_TRUE(h.q.run_until([&] { return flushed && res.size() == 3; }, std::chrono::seconds(10)));
    for (const auto& [p, r] : res) EXPECT_EQ(r.status, piece_status::passed) << "piece " << p;
    // Waiting pieces at removal: verdicts still come, and removal completes at once.
    for (std::uint32_t p = 3; p < 5; ++p) {
      for (std::uint32_t off = 0; off < 32768; off += block_size)
        ASSERT_TRUE(h.io->async_write(h.st, p, off, as_bytes(block_data(t, {p, off}))));
      h.io->async_check_piece(h.st, p, [&, p](piece_result r) { res[p] = std::move(r); });
    }
    bool removed = false;
    h.io->remove_storage(h.st, [&] { removed = true; });
    ASSERT_TRUE(h.q.run_until([&] { return removed && res.size() == 5; }, std::chrono::seconds(10)));
    EXPECT_EQ(res[3].status, piece_status::passed);
    EXPECT_TRUE(piece_on_disk(t, h.save(), 4));
    h.io.reset();
  }
}

TEST(disk_io_lanes, off_when_hash_lanes_is_zero) {
  const auto t = many_pieces_v1(20);
  disk_settings s;
  s.hash_lanes = 0;
  harness h(t, s);
  std::vector<block_ref> order = all_blocks(*t.info);
  auto res = write_and_check(h, t, order);
  for (const auto& [p, r] : res) EXPECT_EQ(r.status, piece_status::passed) << "piece " << p;
  EXPECT_EQ(h.io->stats().lane_pieces, 0u);
}

TEST(disk_io_lanes, recheck_in_lanes_finds_exactly_the_good_pieces) {
  const auto t = many_pieces_v1();
  const auto& ti = *t.info;
  for (const bool portable : lane_kernels()) {
    for (unsigned lanes : {16u, 5u, 0u}) {
      SCOPED_TRACE(portable ? "portable kernel" : "AVX-512 kernel");
      disk_settings s;
      s.hash_lanes = lanes;
      s.hash_lanes_portable = portable;
      s.recheck_threads = 2;
      harness h(t, s);
      auto res = write_and_check(h, t, all_blocks(ti));
      for (const auto& [p, r] : res) ASSERT_EQ(r.status, piece_status::passed);
      bool flushed = false;
      h.io->async_flush(h.st, [&] { flushed = true; });
      ASSERT_TRUE(h.q.run_until([&] { return flushed; }));
      {  // pieces 17 and 39 (the last, which ends with tail.bin) damaged
        std::fstream f(h.save() / "lanes/big.bin", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(17 * 32768 + 100);
        f.put('\x55' ^ t.content.at("lanes/big.bin")[17 * 32768 + 100]);
      }
      {
        std::fstream f(h.save() / "lanes/tail.bin", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(999);
        f.put('\x55' ^ t.content.at("lanes/tail.bin")[999]);
      }
      std::vector<bool> expected(ti.num_pieces(), true);
      expected[17] = expected[39] = false;
      std::optional<result<std::vector<bool>>> rc;
      const auto hashed_before = h.io->stats().lane_pieces;
      h.io->async_recheck(h.st, {}, [&](result<std::vector<bool>> r) { rc = std::move(r); });
      ASSERT_TRUE(h.q.run_until([&] { return rc.has_value(); }));
      ASSERT_TRUE(*rc) << rc->error().message();
      EXPECT_EQ(**rc, expected) << "hash_lanes " << lanes;
      EXPECT_EQ(h.io->stats().recheck_bytes, ti.total_size()) << "hash_lanes " << lanes;
      const auto in_lanes = h.io->stats().lane_pieces - hashed_before;
      if (lanes >= 2) {
        EXPECT_EQ(in_lanes, 40u) << "hash_lanes " << lanes;  // every piece is full-length
      } else {
        EXPECT_EQ(in_lanes, 0u);
      }
    }
  }
}

}  // namespace
}  // namespace ccbt::storage
