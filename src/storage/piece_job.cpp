// The per-piece job: hashes blocks as they arrive, writes them (coalesced), verifies the piece.
//
// A piece has at most one job at a time (piece_state::busy). The job loops: under the lock it
// makes a plan (blocks to feed to SHA-1, blocks to leaf-hash with SHA-256, blocks to write, and
// whether to finish the piece's verification), runs it without the lock, and applies the outcome
// under the lock, until there is nothing left to do.
#include <algorithm>
#include <chrono>
#include <string_view>

#include "storage/disk_io_impl.hpp"
#include "storage/error.hpp"

namespace ccbt::storage {
namespace {

struct hash_item {
  std::uint32_t block;
  const char* data;  // nullptr: read it back from disk
  bool lost;         // its bytes were dropped (priority-0 file): cannot be read back
};

struct write_item {
  std::uint32_t block;
  char* data;
  std::uint32_t size;
};

struct plan {
  std::shared_ptr<const storage_config> cfg;
  std::vector<hash_item> v1;
  std::vector<hash_item> v2;
  std::vector<write_item> writes;
  std::optional<ccbt::error> prior_error;
  bool finalize = false;
  bool flush_all = false;
};

struct outcome {
  std::size_t v1_done = 0;
  std::size_t v2_done = 0;
  std::vector<std::uint32_t> written;   // blocks stored
  std::vector<std::uint32_t> unwanted;  // of which bytes of priority-0 files were dropped
  std::vector<std::uint32_t> dropped;   // not stored: write failed, or the piece failed
  std::optional<ccbt::error> read_error;
  std::optional<ccbt::error> write_error;
  std::optional<piece_result> verdict;
  std::uint64_t read_backs = 0;
};

std::uint32_t block_len(const piece_geometry& g, std::uint32_t b) {
  return std::min(block_size, g.size - b * block_size);
}

plan make_plan(piece_state& ps, std::size_t coalesce_bytes) {
  plan p;
  p.cfg = ps.st->cfg;
  p.prior_error = ps.io_error;
  const auto& info = *p.cfg->info;
  const auto& g = ps.g;
  const bool final = !ps.checks.empty();
  // After a failed write or read-back the verdict will be "error": hash nothing more until then.
  const bool hash = !ps.io_error;
  if (info.is_v1() && hash) {
    for (std::uint32_t c = ps.v1_cursor; c < g.blocks; ++c) {
      auto& s = ps.slots[c];
      if (!s.buf.empty()) {
        p.v1.push_back({c, s.buf.data(), false});
      } else if (final || (s.written && !s.partial)) {
        p.v1.push_back({c, nullptr, s.partial});
      } else {
        break;
      }
    }
  }
  if (final && hash) {
    for (std::uint32_t b = 0; b < g.v2_leaves; ++b) {
      auto& s = ps.slots[b];
      if (!s.v2_done) p.v2.push_back({b, s.buf.empty() ? nullptr : s.buf.data(), s.partial});
    }
  } else if (hash) {
    for (std::uint32_t b : ps.arrived) {
      auto& s = ps.slots[b];
      if (!s.v2_done && !s.buf.empty()) p.v2.push_back({b, s.buf.data(), false});
    }
  }
  ps.arrived.clear();
  const bool all = final || ps.flush_all;
  if (all || ps.hashed_buffered >= coalesce_bytes) {
    for (std::uint32_t b = 0; b < g.blocks; ++b) {
      auto& s = ps.slots[b];
      if (!s.buf.empty() && (all || s.hashed))
        p.writes.push_back({b, s.buf.data(), static_cast<std::uint32_t>(s.buf.size())});
    }
  }
  p.finalize = final;
  p.flush_all = ps.flush_all;
  return p;
}

}  // namespace

piece_state& disk_io::impl::piece_locked(storage_state& st, std::uint32_t piece) {
  auto& slot = st.pieces[piece];
  if (!slot) {
    slot = std::make_unique<piece_state>();
    slot->st = &st;
    slot->index = piece;
    slot->g = geometry(*st.cfg->info, piece);
    slot->slots.resize(slot->g.blocks);
    slot->leaves.resize(slot->g.v2_leaves);
  }
  return *slot;
}

bool disk_io::impl::has_work_locked(const piece_state& ps) const {
  if (ps.clear || !ps.checks.empty()) return true;
  if (ps.flush_all && ps.buffered > 0) return true;
  if (ps.hashed_buffered >= cfg.write_coalesce_bytes) return true;
  // Blocks to hash: wait for a batch (fewer wake-ups). A piece's last blocks need no batch: the
  // verdict (checks), a flush or pressure hash whatever is buffered.
  const std::uint32_t batch = std::max<std::uint32_t>(
      1, static_cast<std::uint32_t>(std::min<std::size_t>(cfg.hash_batch_bytes / block_size, ps.g.blocks)));
  if (ps.arrived.size() >= batch) return true;
  // Pieces that can be hashed in lanes wait for their verdict to be asked for (whole pieces).
  if (ps.st->cfg->info->is_v1() && ps.v1_cursor < ps.g.blocks && !ps.io_error &&
      !(ps.g.v2_leaves == 0 && lane_width_locked(ps) != 0)) {
    const auto& s = ps.slots[ps.v1_cursor];
    if (s.written && !s.partial) return true;  // flushed before SHA-1 got to it: read it back now
    std::uint32_t ready = 0;
    for (std::uint32_t c = ps.v1_cursor; c < ps.g.blocks && ready < batch && !ps.slots[c].buf.empty(); ++c) ++ready;
    if (ready >= batch) return true;
  }
  return false;
}

void disk_io::impl::schedule_locked(piece_state& ps) {
  if (ps.busy) return;
  if (lane_candidate_locked(ps)) {
    lanes_add_locked(ps);
    return;
  }
  lanes_remove_locked(ps);
  if (!has_work_locked(ps)) return;
  ps.busy = true;
  ++ps.st->busy_pieces;
  push_job(*ps.st, false, [this, &ps] { run_piece(ps); });
}

void disk_io::impl::run_piece(piece_state& piece) {
  using clock = std::chrono::steady_clock;
  piece_state* ps = &piece;
  storage_state& st = *ps->st;
  outbox out;
  std::unique_lock lock(m);
  for (;;) {
    if (ps->clear) {
      for (auto& h : ps->checks) {
        piece_result r;
        r.piece = ps->index;
        r.err = storage_error(errc::cancelled, "piece cleared");
        out.push_back([h = std::move(h), r] { h(r); });
      }
      erase_piece_locked(*ps);
      ps = nullptr;
      break;
    }
    if (!has_work_locked(*ps)) break;
    plan p = make_plan(*ps, cfg.write_coalesce_bytes);
    lock.unlock();

    // ---- execute, without the lock ----
    const auto& info = *p.cfg->info;
    const auto& g = ps->g;
    const io_env io = env();
    outcome o;
    disk_buffer scratch;
    auto data_of = [&](const hash_item& it, std::uint32_t len) -> result<const char*> {
      if (it.data != nullptr) return it.data;
      if (it.lost)
        return tl::unexpected(storage_error(errc::data_unavailable, "piece " + std::to_string(ps->index)));
      if (scratch.empty()) scratch = pool.allocate(block_size);
      auto r = read_range(io, *p.cfg, g.start + std::uint64_t{it.block} * block_size, scratch.data(), len);
      if (!r) return tl::unexpected(std::move(r.error()));
      ++o.read_backs;
      return static_cast<const char*>(scratch.data());
    };
    const auto t0 = clock::now();
    if (!p.v1.empty() && !ps->v1) ps->v1 = std::make_unique<crypto::sha1>();
    for (const auto& it : p.v1) {
      const std::uint32_t len = block_len(g, it.block);
      auto d = data_of(it, len);
      if (!d) {
        o.read_error = std::move(d.error());
        break;
      }
      ps->v1->update(std::string_view(*d, len));
      ++o.v1_done;
    }
    for (const auto& it : p.v2) {
      if (o.read_error) break;
      const std::uint32_t len = std::min(block_size, g.v2_bytes - it.block * block_size);
      auto d = data_of(it, len);
      if (!d) {
        o.read_error = std::move(d.error());
        break;
      }
      ps->leaves[it.block] = crypto::sha256_digest(std::string_view(*d, len));
      ++o.v2_done;
    }
    if (p.finalize) {
      piece_result r;
      r.piece = ps->index;
      r.fully_stored = !touches_unwanted(*p.cfg, g.start, g.size);
      if (p.prior_error || o.read_error) {
        r.status = piece_status::error;
        r.err = p.prior_error ? *p.prior_error : *o.read_error;
      } else {
        bool known = false;
        bool bad = false;
        if (info.is_v1()) {
          r.v1 = ps->v1_digest ? *ps->v1_digest : ps->v1->finish();
          known = true;
          bad = *r.v1 != info.piece_hash_v1(ps->index);
        }
        if (g.v2_leaves > 0) {
          r.v2 = v2_piece_root(ps->leaves, g);
          if (auto expected = info.piece_hash_v2(ps->index)) {
            known = true;
            bad = bad || *expected != *r.v2;
          }
        }
        r.status = bad ? piece_status::failed : known ? piece_status::passed : piece_status::hash_unknown;
      }
      o.verdict = std::move(r);
    }
    hash_ns.fetch_add(static_cast<std::uint64_t>(
                          std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t0).count()),
                      std::memory_order_relaxed);

    const bool store = !o.verdict || o.verdict->status == piece_status::passed ||
                       o.verdict->status == piece_status::hash_unknown;
    if (store) {
      std::vector<iovec> iov;
      for (std::size_t i = 0; i < p.writes.size();) {
        std::size_t j = i;
        iov.clear();
        do {
          iov.push_back(iovec{p.writes[j].data, p.writes[j].size});
          ++j;
        } while (j < p.writes.size() && p.writes[j].block == p.writes[j - 1].block + 1);
        bool skipped = false;
        if (o.write_error) {
          for (std::size_t k = i; k < j; ++k) o.dropped.push_back(p.writes[k].block);
        } else if (auto r = write_range(io, *p.cfg, g.start + std::uint64_t{p.writes[i].block} * block_size,
                                        iov, &skipped); !r) {
          o.write_error = std::move(r.error());
          for (std::size_t k = i; k < j; ++k) o.dropped.push_back(p.writes[k].block);
        } else {
          for (std::size_t k = i; k < j; ++k) {
            const std::uint32_t b = p.writes[k].block;
            o.written.push_back(b);
            if (skipped && touches_unwanted(*p.cfg, g.start + std::uint64_t{b} * block_size, block_len(g, b)))
              o.unwanted.push_back(b);
          }
        }
        i = j;
      }
      if (o.verdict && o.verdict->status == piece_status::passed && !o.write_error &&
          cfg.sync == sync_mode::piece) {
        if (auto r = sync_range(io, *p.cfg, g.start, g.size); !r) o.write_error = std::move(r.error());
      }
      if (o.verdict && o.write_error) {
        o.verdict->status = piece_status::error;
        o.verdict->err = *o.write_error;
      }
    } else {
      for (const auto& w : p.writes) o.dropped.push_back(w.block);
    }
    scratch.reset();

    // ---- apply, under the lock ----
    lock.lock();
    read_backs.fetch_add(o.read_backs, std::memory_order_relaxed);
    ps->v1_cursor += static_cast<std::uint32_t>(o.v1_done);
    for (std::size_t i = 0; i < o.v2_done; ++i) ps->slots[p.v2[i].block].v2_done = true;
    auto refresh = [&](std::uint32_t b) {
      auto& s = ps->slots[b];
      if (s.hashed) return;
      if ((info.is_v1() && b >= ps->v1_cursor) || (b < g.v2_leaves && !s.v2_done)) return;
      s.hashed = true;
      if (!s.buf.empty()) ps->hashed_buffered += s.buf.capacity();
    };
    for (std::size_t i = 0; i < o.v1_done; ++i) refresh(p.v1[i].block);
    for (std::size_t i = 0; i < o.v2_done; ++i) refresh(p.v2[i].block);
    for (std::uint32_t b : o.written) {
      auto& s = ps->slots[b];
      s.written = true;
      release_buffer_locked(*ps, s);
    }
    for (std::uint32_t b : o.unwanted)
      if (info.is_v1() && b >= ps->v1_cursor) ps->slots[b].partial = true;
    for (std::uint32_t b : o.dropped) release_buffer_locked(*ps, ps->slots[b]);
    if (!p.finalize) {
      if (o.read_error && !ps->io_error) ps->io_error = o.read_error;
      if (o.write_error && !ps->io_error) ps->io_error = o.write_error;
    }
    if (o.write_error && st.on_error) out.push_back([h = st.on_error, e = *o.write_error] { h(e); });
    if (p.flush_all) {
      flush_scheduled -= ps->flush_credit;
      ps->flush_credit = 0;
      ps->flush_all = false;
    }
    if (o.verdict) {
      if (o.verdict->status == piece_status::passed) pieces_passed.fetch_add(1, std::memory_order_relaxed);
      if (o.verdict->status == piece_status::failed) pieces_failed.fetch_add(1, std::memory_order_relaxed);
      for (auto& h : ps->checks) out.push_back([h = std::move(h), r = *o.verdict] { h(r); });
      erase_piece_locked(*ps);
      ps = nullptr;
      break;
    }
    fifo_update_locked(*ps);
    // Blocks that arrived while this piece was being flushed are not covered by a flush yet.
    relieve_pressure_locked();
    update_writable_locked(out);
    if (!out.empty()) {
      lock.unlock();
      flush_outbox(out);
      lock.lock();
    }
  }
  if (ps != nullptr) {
    ps->busy = false;
    fifo_update_locked(*ps);
  }
  --st.busy_pieces;
  update_writable_locked(out);
  job_done_locked(st, out);  // may erase st
  lock.unlock();
  flush_outbox(out);
}

}  // namespace ccbt::storage
