// Lanes: complete pieces of v1-only torrents hashed together with multi-buffer SHA-1.
//
// A piece qualifies (lane_candidate_locked) when its verdict was asked for, every block is in
// memory and none was hashed yet, its size is a whole number of 16 KiB blocks, and nothing asked
// for it to be flushed or cleared. Such pieces wait in impl::lanes instead of running their own
// job; once `width` pieces of one size wait (or the oldest has waited hash_lane_wait_ms, or a
// worker has nothing else to do at that deadline), one job hashes them in one pass of
// crypto::sha1_lanes and then runs each piece's normal job (writes and verdict), which finds its
// SHA-1 done (piece_state::v1_digest). A waiting piece that stops qualifying (flush under memory
// pressure, removal, shutdown, clear) leaves the queue and takes the one-piece path.
//
// Memory: the waiting pieces are buffered blocks, counted in the write-back buffer like any
// other; width is bounded so that `width` pieces fit in 3/4 of the low watermark, so lanes never
// cause the pressure that would flush them.
#include <algorithm>
#include <array>
#include <chrono>

#include "crypto/sha1_lanes.hpp"
#include "storage/disk_io_impl.hpp"

namespace ccbt::storage {

unsigned disk_io::impl::lane_width_locked(const piece_state& ps) const {
  if (!lanes_on || ps.g.size == 0 || ps.g.size % block_size != 0) return 0;
  const std::size_t fit = (cfg.write_buffer_low_watermark / 4 * 3) / ps.g.size;
  const auto width = static_cast<unsigned>(
      std::min<std::size_t>({fit, cfg.hash_lanes, crypto::sha1_lanes::max_lanes}));
  return width >= 2 ? width : 0;
}

bool disk_io::impl::lane_candidate_locked(const piece_state& ps) const {
  if (ps.busy || ps.clear || ps.flush_all || ps.io_error || ps.checks.empty() || ps.v1_cursor != 0 ||
      ps.v1_digest || ps.st->removing)
    return false;
  if (!ps.st->cfg->info->is_v1() || ps.g.v2_leaves != 0 || lane_width_locked(ps) == 0) return false;
  return std::all_of(ps.slots.begin(), ps.slots.end(),
                     [](const block_slot& s) { return !s.buf.empty() && !s.written; });
}

void disk_io::impl::lanes_add_locked(piece_state& ps) {
  if (!ps.in_lanes) {
    if (lanes.empty()) cv.notify_one();  // an idle worker now has a deadline to wait for
    ps.lanes_it = lanes.insert(lanes.end(), &ps);
    ps.in_lanes = true;
    ps.lanes_since = std::chrono::steady_clock::now();
  }
  lanes_dispatch_locked(false);
}

void disk_io::impl::lanes_remove_locked(piece_state& ps) {
  if (!ps.in_lanes) return;
  lanes.erase(ps.lanes_it);
  ps.in_lanes = false;
}

std::optional<std::chrono::steady_clock::time_point> disk_io::impl::lanes_deadline_locked() const {
  if (lanes.empty()) return std::nullopt;
  return lanes.front()->lanes_since + std::chrono::milliseconds(cfg.hash_lane_wait_ms);
}

void disk_io::impl::lanes_dispatch_locked(bool force) {
  std::vector<piece_state*> group;
  while (!lanes.empty()) {
    // The oldest piece with a full group of its size behind it (forced: the oldest piece, with
    // whatever of its size waits). Pieces of other torrents, of other sizes, form their own groups.
    group.clear();
    for (piece_state* first : lanes) {
      const unsigned width = std::max(1u, lane_width_locked(*first));
      for (piece_state* ps : lanes) {
        if (ps->g.size == first->g.size) group.push_back(ps);
        if (group.size() == width) break;
      }
      if (group.size() == width || force) break;
      group.clear();
    }
    if (group.empty()) return;
    for (piece_state* ps : group) {
      lanes_remove_locked(*ps);
      ps->busy = true;
      ++ps->st->busy_pieces;
      ++ps->st->jobs;  // each piece's run_piece ends with job_done_locked for its storage
    }
    normal.push_back([this, g = group]() mutable { run_lanes(std::move(g)); });
    cv.notify_one();
  }
}

void disk_io::impl::run_lanes(std::vector<piece_state*> pieces) {
  using clock = std::chrono::steady_clock;
  // The pieces are busy: their buffers are ours until each run_piece below releases them.
  if (pieces.size() >= 2) {
    const auto t0 = clock::now();
    const piece_geometry& g = pieces.front()->g;
    crypto::sha1_lanes h(static_cast<unsigned>(pieces.size()), lanes_kernel);
    std::array<const std::byte*, crypto::sha1_lanes::max_lanes> ptrs{};
    for (std::uint32_t b = 0; b < g.blocks; ++b) {
      for (std::size_t i = 0; i < pieces.size(); ++i)
        ptrs[i] = reinterpret_cast<const std::byte*>(pieces[i]->slots[b].buf.data());
      h.update(ptrs, block_size);
    }
    std::array<sha1_hash, crypto::sha1_lanes::max_lanes> out{};
    h.finish(out);
    hash_ns.fetch_add(static_cast<std::uint64_t>(
                          std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t0).count()),
                      std::memory_order_relaxed);
    lane_pieces.fetch_add(pieces.size(), std::memory_order_relaxed);
    std::lock_guard lock(m);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      piece_state& ps = *pieces[i];
      ps.v1_digest = out[i];
      ps.v1_cursor = ps.g.blocks;
      for (auto& s : ps.slots) {
        if (s.hashed) continue;
        s.hashed = true;
        if (!s.buf.empty()) ps.hashed_buffered += s.buf.capacity();
      }
    }
    // Each piece's writes and verdict are its own job, so every worker takes part; the pieces stay
    // busy and their storages' job counts were taken at dispatch.
    for (std::size_t i = 1; i < pieces.size(); ++i) normal.push_back([this, ps = pieces[i]] { run_piece(*ps); });
    cv.notify_all();
  }
  // This worker goes on with the first (a lone piece — the deadline passed with one waiting — is
  // hashed by its own job as usual).
  run_piece(*pieces.front());
}

}  // namespace ccbt::storage
