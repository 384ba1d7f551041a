// Full recheck: every piece hashed from disk on recheck_threads threads.
//
// Pieces are taken in chunks of recheck_read_bytes (whole pieces) from a shared counter, so each
// thread reads large contiguous ranges (one pread per file per chunk) and the threads stay busy
// until the end whatever the speed of each chunk. The job's own worker thread takes part.
// v1-only torrents on CPUs with AVX-512 take chunks of up to 16 pieces and hash them together with
// crypto::sha1_lanes, reading the pieces side by side 64 KiB at a time (a buffer of 16 x 64 KiB per
// thread, or one piece if larger); a chunk with a missing or short file is redone piece by piece.
#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <string_view>
#include <thread>

#include "crypto/sha1_lanes.hpp"
#include "storage/disk_io_impl.hpp"
#include "storage/error.hpp"

namespace ccbt::storage {
namespace {

// "The data is not there": its pieces are simply not valid.
bool data_missing(const ccbt::error& e) {
  return e.code == std::error_code(ENOENT, std::system_category()) || e.code == errc::file_too_short;
}

bool piece_valid(const metainfo::torrent_info& info, std::uint32_t piece, const char* data,
                 std::vector<sha256_hash>& leaves) {
  const piece_geometry g = geometry(info, piece);
  bool known = false;
  if (info.is_v1()) {
    if (crypto::sha1_digest(std::string_view(data, g.size)) != info.piece_hash_v1(piece)) return false;
    known = true;
  }
  if (g.v2_leaves > 0) {
    if (auto expected = info.piece_hash_v2(piece)) {
      leaves.resize(g.v2_leaves);
      for (std::uint32_t i = 0; i < g.v2_leaves; ++i) {
        const std::uint32_t len = std::min(block_size, g.v2_bytes - i * block_size);
        leaves[i] = crypto::sha256_digest(std::string_view(data + std::size_t{i} * block_size, len));
      }
      if (v2_piece_root(leaves, g) != *expected) return false;
      known = true;
    }
  }
  return known;
}

}  // namespace

void disk_io::impl::run_recheck(storage_state& st, std::uint64_t gen, recheck_progress progress,
                                std::function<void(result<std::vector<bool>>)> handler) {
  using clock = std::chrono::steady_clock;
  std::shared_ptr<const storage_config> config;
  {
    std::lock_guard lock(m);
    config = st.cfg;
  }
  // Reopen every file: a descriptor kept from before would still read a file deleted or replaced
  // behind our back, and the recheck is there to find out what is on disk now.
  files.close_storage(st.id);
  const auto& info = *config->info;
  const std::uint32_t n = info.num_pieces();
  const std::uint64_t plen = info.piece_length();
  auto per_chunk = static_cast<std::uint32_t>(std::max<std::uint64_t>(1, cfg.recheck_read_bytes / plen));
  // Lanes: whole pieces of a v1-only torrent, a multiple of 64 bytes long.
  const bool v1_only = info.is_v1() && geometry(info, 0).v2_leaves == 0;
  const auto lane_width = std::min<std::uint32_t>(cfg.hash_lanes, crypto::sha1_lanes::max_lanes);
  constexpr std::uint64_t lane_step = 64 * 1024;  // bytes of each piece read per round
  const bool use_lanes = lanes_on && v1_only && plen % crypto::sha1_lanes::block_bytes == 0 && lane_width >= 2;
  if (use_lanes) per_chunk = lane_width;
  const std::uint32_t chunks = (n + per_chunk - 1) / per_chunk;
  const std::uint32_t step = std::max<std::uint32_t>(1, n / 100);

  std::vector<std::uint8_t> valid(n, 0);  // one byte per piece: threads write disjoint entries
  std::atomic<std::uint32_t> next_chunk{0};
  std::atomic<std::uint32_t> done{0};
  std::atomic<bool> stop{false};
  std::mutex fatal_mutex;
  std::optional<ccbt::error> fatal;
  const io_env io = env();

  auto cancelled = [&] { return stop.load(std::memory_order_relaxed) || st.recheck_gen.load() != gen; };
  auto fail = [&](ccbt::error e) {
    std::lock_guard lock(fatal_mutex);
    if (!fatal) fatal = std::move(e);
    stop.store(true);
  };

  auto work = [&] {
    // Lanes: lane_width slots of lane_step bytes; otherwise whole chunks (and the lanes' fallback
    // reads one piece at a time).
    const std::uint64_t buf_bytes = use_lanes ? std::max<std::uint64_t>(lane_width * std::min(lane_step, plen), plen)
                                              : per_chunk * plen;
    std::unique_ptr<char[]> buf(new char[buf_bytes]);
    std::vector<sha256_hash> leaves;
    std::uint64_t ns = 0;
    std::uint64_t bytes = 0;
    while (!cancelled()) {
      const std::uint32_t c = next_chunk.fetch_add(1);
      if (c >= chunks) break;
      const std::uint32_t first = c * per_chunk;
      const std::uint32_t last = std::min(n, first + per_chunk);
      const std::uint64_t start = first * plen;
      const std::uint64_t len = std::min(info.total_size(), last * plen) - start;
      auto check = [&](std::uint32_t p, const char* data) {
        const auto t0 = clock::now();
        valid[p] = piece_valid(info, p, data, leaves) ? 1 : 0;
        ns += static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t0).count());
        bytes += info.piece_size(p);
      };
      // Lanes: the chunk's full-length pieces side by side, lane_step bytes of each per round (or,
      // pieces of at most lane_step, the whole run in one read). A failed read is returned: a
      // missing/short file makes the chunk be redone piece by piece below, other errors fail.
      auto hash_lanes = [&]() -> result<void> {
        std::uint32_t full = last;
        if (info.piece_size(last - 1) != plen) --full;  // the short last piece goes alone
        const std::uint32_t k = full - first;
        if (k >= 2) {
          const std::uint64_t slot = std::min(lane_step, plen);
          crypto::sha1_lanes h(k, lanes_kernel);
          std::array<const std::byte*, crypto::sha1_lanes::max_lanes> ptrs{};
          for (std::uint32_t i = 0; i < k; ++i) ptrs[i] = reinterpret_cast<const std::byte*>(buf.get() + i * slot);
          for (std::uint64_t off = 0; off < plen; off += slot) {
            const std::uint64_t n_bytes = std::min(slot, plen - off);
            if (slot == plen) {  // small pieces: adjacent on disk, one read for all of them
              if (auto r = read_range(io, *config, first * plen, buf.get(), k * plen); !r) return r;
            } else {
              for (std::uint32_t i = 0; i < k; ++i)
                if (auto r = read_range(io, *config, (first + i) * plen + off, buf.get() + i * slot, n_bytes); !r)
                  return r;
            }
            const auto t0 = clock::now();
            h.update(ptrs, static_cast<std::size_t>(n_bytes));
            ns += static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t0).count());
          }
          std::array<sha1_hash, crypto::sha1_lanes::max_lanes> out{};
          h.finish(out);
          for (std::uint32_t i = 0; i < k; ++i) valid[first + i] = out[i] == info.piece_hash_v1(first + i) ? 1 : 0;
          bytes += std::uint64_t{k} * plen;
          lane_pieces.fetch_add(k, std::memory_order_relaxed);
        }
        for (std::uint32_t p = k >= 2 ? full : first; p < last; ++p) {
          if (auto r = read_range(io, *config, p * plen, buf.get(), info.piece_size(p)); !r) return r;
          check(p, buf.get());
        }
        return {};
      };
      const result<void> r = use_lanes ? hash_lanes() : read_range(io, *config, start, buf.get(), len);
      if (r) {
        if (!use_lanes)
          for (std::uint32_t p = first; p < last; ++p) check(p, buf.get() + (p - first) * plen);
      } else if (data_missing(r.error())) {
        // Some file of the chunk is missing or short: sort it out piece by piece.
        for (std::uint32_t p = first; p < last && !stop.load(); ++p) {
          auto rp = read_range(io, *config, p * plen, buf.get(), info.piece_size(p));
          if (rp) check(p, buf.get());
          else if (!data_missing(rp.error())) fail(std::move(rp.error()));
        }
      } else {
        fail(std::move(r.error()));
      }
      const std::uint32_t before = done.fetch_add(last - first);
      const std::uint32_t after = before + (last - first);
      if (progress && before / step != after / step) post([progress, after, n] { progress(after, n); });
    }
    hash_ns.fetch_add(ns, std::memory_order_relaxed);
    recheck_bytes.fetch_add(bytes, std::memory_order_relaxed);
  };

  const unsigned nthreads = std::max(1u, std::min<unsigned>(cfg.recheck_threads, chunks));
  std::vector<std::thread> helpers;
  helpers.reserve(nthreads - 1);
  for (unsigned i = 1; i < nthreads; ++i) helpers.emplace_back(work);
  work();
  for (auto& t : helpers) t.join();

  result<std::vector<bool>> r;
  if (fatal) {
    r = tl::unexpected(std::move(*fatal));
  } else if (st.recheck_gen.load() != gen) {
    r = tl::unexpected(storage_error(errc::cancelled, "recheck"));
  } else {
    r = std::vector<bool>(valid.begin(), valid.end());
  }
  outbox out;
  auto v = std::make_shared<result<std::vector<bool>>>(std::move(r));
  out.push_back([h = std::move(handler), v] { h(std::move(*v)); });
  {
    std::lock_guard lock(m);
    job_done_locked(st, out);  // may erase st
  }
  flush_outbox(out);
}

}  // namespace ccbt::storage
