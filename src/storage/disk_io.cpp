// disk_io: the job queue and workers, storages, block writes and reads, flush/prepare/recheck
// entry points, back-pressure. The per-piece state machine is in piece_job.cpp.
#include "storage/disk_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>
#include <utility>

#include "crypto/sha1_lanes.hpp"
#include "storage/disk_io_impl.hpp"
#include "storage/error.hpp"

namespace ccbt::storage {
namespace {

unsigned default_disk_threads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return std::clamp(hw, 2u, 4u);
}


piece_result error_result(std::uint32_t piece, ccbt::error e) {
  piece_result r;
  r.piece = piece;
  r.status = piece_status::error;
  r.err = std::move(e);
  return r;
}

}  // namespace

// ---- impl ----------------------------------------------------------------------------------

disk_io::impl::impl(const disk_settings& s, executor p)
    : cfg(s), post(std::move(p)), pool(s.buffer_pool_cache_bytes), files(s.max_open_files) {
  if (cfg.disk_threads == 0) cfg.disk_threads = default_disk_threads();
  if (cfg.recheck_threads == 0) cfg.recheck_threads = std::max(1u, std::thread::hardware_concurrency());
  // The buffer holds at least two blocks, and the low watermark (where flushing under pressure
  // starts) is below the high one, so a full buffer is always being drained.
  cfg.write_buffer_bytes = std::max<std::size_t>(cfg.write_buffer_bytes, 2 * block_size);
  cfg.write_buffer_low_watermark = std::min(cfg.write_buffer_low_watermark, cfg.write_buffer_bytes - block_size);
  if (cfg.max_read_bytes == 0) cfg.max_read_bytes = block_size;
  lanes_on = cfg.hash_lanes >= 2 && (crypto::sha1_lanes::available() || cfg.hash_lanes_portable);
  lanes_kernel = cfg.hash_lanes_portable ? crypto::sha1_lanes::kernel::portable : crypto::sha1_lanes::best();
  if constexpr (sizeof(void*) < 8) cfg.reads = read_mode::pread;  // address space too small to map files
}

void disk_io::impl::flush_outbox(outbox& out) {
  for (auto& f : out) post(std::move(f));
  out.clear();
}

void disk_io::impl::worker_loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(m);
      // Complete pieces waiting for lanes are hashed once the oldest has waited long enough —
      // checked whenever a worker looks for work, busy queues or not.
      for (;;) {
        const auto deadline = lanes_deadline_locked();
        if (deadline && std::chrono::steady_clock::now() >= *deadline) lanes_dispatch_locked(true);
        if (stopping || !urgent.empty() || !normal.empty()) break;
        if (deadline) {
          cv.wait_until(lock, *deadline);
        } else {
          cv.wait(lock);
        }
      }
      if (!urgent.empty()) {
        job = std::move(urgent.front());
        urgent.pop_front();
      } else if (!normal.empty()) {
        job = std::move(normal.front());
        normal.pop_front();
      } else {
        return;  // stopping and nothing left
      }
    }
    job();
  }
}

void disk_io::impl::push_job(storage_state& st, bool is_urgent, std::function<void()> job) {
  ++st.jobs;
  (is_urgent ? urgent : normal).push_back(std::move(job));
  cv.notify_one();
}

storage_state* disk_io::impl::find_locked(storage_index s) const {
  auto it = storages.find(s);
  return it == storages.end() ? nullptr : it->second.get();
}

void disk_io::impl::job_done_locked(storage_state& st, outbox& out) {
  --st.jobs;
  check_drained_locked(st, out);
}

void disk_io::impl::check_drained_locked(storage_state& st, outbox& out) {
  if (st.buffered != 0 || st.busy_pieces != 0) return;
  if (!st.flush_waiters.empty()) {
    auto waiters = std::move(st.flush_waiters);
    st.flush_waiters.clear();
    for (auto& w : waiters) w(out);
  }
  if (st.removing && st.jobs == 0) {
    files.close_storage(st.id);
    for (auto& h : st.remove_handlers) out.push_back(std::move(h));
    storages.erase(st.id);  // st is gone
  }
}

void disk_io::impl::mark_flush_all_locked(piece_state& ps) {
  if (ps.flush_all || ps.buffered == 0) return;
  ps.flush_all = true;
  ps.flush_credit = ps.buffered;
  flush_scheduled += ps.flush_credit;
  fifo_update_locked(ps);
  schedule_locked(ps);
}

void disk_io::impl::relieve_pressure_locked() {
  while (!fifo.empty() && buffer_bytes > flush_scheduled &&
         buffer_bytes - flush_scheduled > cfg.write_buffer_low_watermark) {
    piece_state& ps = *fifo.front();
    mark_flush_all_locked(ps);
    if (ps.in_fifo) {  // nothing to flush (cannot happen: the fifo holds buffered pieces only)
      fifo.pop_front();
      ps.in_fifo = false;
    }
  }
}

void disk_io::impl::update_writable_locked(outbox& out) {
  if (writable.load(std::memory_order_relaxed)) {
    if (buffer_bytes >= cfg.write_buffer_bytes) {
      writable.store(false);
      buffer_full_events.fetch_add(1, std::memory_order_relaxed);
    }
  } else if (buffer_bytes <= cfg.write_buffer_low_watermark) {
    writable.store(true);
    if (writable_handler) out.push_back(writable_handler);
  }
}

void disk_io::impl::release_buffer_locked(piece_state& ps, block_slot& slot) {
  if (slot.buf.empty()) return;
  const std::size_t cap = slot.buf.capacity();
  assert(ps.buffered >= cap && ps.st->buffered >= cap && buffer_bytes >= cap);
  assert(!slot.hashed || ps.hashed_buffered >= cap);
  slot.buf.reset();
  ps.buffered -= cap;
  ps.st->buffered -= cap;
  buffer_bytes -= cap;
  if (slot.hashed) ps.hashed_buffered -= cap;
  const std::size_t credit = std::min(ps.flush_credit, cap);
  assert(flush_scheduled >= credit);
  ps.flush_credit -= credit;
  flush_scheduled -= credit;
}

void disk_io::impl::fifo_update_locked(piece_state& ps) {
  const bool want = ps.buffered > 0 && !ps.flush_all;
  if (want && !ps.in_fifo) {
    ps.fifo_it = fifo.insert(fifo.end(), &ps);
    ps.in_fifo = true;
  } else if (!want && ps.in_fifo) {
    fifo.erase(ps.fifo_it);
    ps.in_fifo = false;
  }
}

void disk_io::impl::erase_piece_locked(piece_state& ps) {
  lanes_remove_locked(ps);
  for (auto& s : ps.slots) release_buffer_locked(ps, s);
  flush_scheduled -= ps.flush_credit;
  ps.flush_credit = 0;
  ps.flush_all = false;
  fifo_update_locked(ps);
  ps.st->pieces.erase(ps.index);
}

// ---- disk_io -------------------------------------------------------------------------------

disk_io::disk_io(const disk_settings& settings, executor post)
    : impl_(std::make_unique<impl>(settings, std::move(post))) {
  impl_->workers.reserve(impl_->cfg.disk_threads);
  for (unsigned i = 0; i < impl_->cfg.disk_threads; ++i)
    impl_->workers.emplace_back([this] { impl_->worker_loop(); });
}

disk_io::~disk_io() {
  {
    std::lock_guard lock(impl_->m);
    for (auto& [id, st] : impl_->storages) {
      st->recheck_gen.fetch_add(1);
      for (auto& [index, ps] : st->pieces) impl_->mark_flush_all_locked(*ps);
    }
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  for (auto& t : impl_->workers) t.join();
}

storage_index disk_io::add_storage(storage_params params) {
  auto st = std::make_unique<storage_state>();
  auto config = std::make_shared<storage_config>();
  config->info = std::move(params.info);
  config->save = std::move(params.save_path);
  config->priorities = std::move(params.file_priorities);
  config->any_unwanted = std::any_of(config->priorities.begin(), config->priorities.end(),
                                     [](std::uint8_t p) { return p == 0; });
  st->on_error = std::move(params.on_error);
  std::lock_guard lock(impl_->m);
  st->id = impl_->next_id++;
  config->id = st->id;
  st->cfg = std::move(config);
  const storage_index id = st->id;
  impl_->storages.emplace(id, std::move(st));
  return id;
}

void disk_io::remove_storage(storage_index s, std::function<void()> done) {
  outbox out;
  {
    std::lock_guard lock(impl_->m);
    storage_state* st = impl_->find_locked(s);
    if (st == nullptr) {
      if (done) out.push_back(std::move(done));
    } else {
      st->removing = true;
      st->recheck_gen.fetch_add(1);
      if (done) st->remove_handlers.push_back(std::move(done));
      for (auto& [index, ps] : st->pieces) impl_->mark_flush_all_locked(*ps);
      impl_->check_drained_locked(*st, out);
    }
  }
  impl_->flush_outbox(out);
}

void disk_io::set_file_priorities(storage_index s, std::vector<std::uint8_t> priorities) {
  std::lock_guard lock(impl_->m);
  storage_state* st = impl_->find_locked(s);
  if (st == nullptr) return;
  auto config = std::make_shared<storage_config>(*st->cfg);
  config->priorities = std::move(priorities);
  config->any_unwanted = std::any_of(config->priorities.begin(), config->priorities.end(),
                                     [](std::uint8_t p) { return p == 0; });
  st->cfg = std::move(config);
}

void disk_io::set_torrent_info(storage_index s, std::shared_ptr<const metainfo::torrent_info> info) {
  std::lock_guard lock(impl_->m);
  storage_state* st = impl_->find_locked(s);
  if (st == nullptr || !info) return;
  auto config = std::make_shared<storage_config>(*st->cfg);
  config->info = std::move(info);
  st->cfg = std::move(config);
}

disk_buffer disk_io::allocate_buffer(std::size_t size) { return impl_->pool.allocate(size); }

result<void> disk_io::async_write(storage_index s, std::uint32_t piece, std::uint32_t offset,
                                  std::span<const std::byte> data) {
  disk_buffer buf = impl_->pool.allocate(data.size());
  if (!data.empty()) std::memcpy(buf.data(), data.data(), data.size());
  return async_write(s, piece, offset, std::move(buf));
}

result<void> disk_io::async_write(storage_index s, std::uint32_t piece, std::uint32_t offset,
                                  disk_buffer data) {
  auto& d = *impl_;
  outbox out;
  {
    std::lock_guard lock(d.m);
    storage_state* st = d.find_locked(s);
    if (st == nullptr) return tl::unexpected(storage_error(errc::unknown_storage));
    if (st->removing) return tl::unexpected(storage_error(errc::storage_removed));
    const auto& info = *st->cfg->info;
    if (piece >= info.num_pieces())
      return tl::unexpected(storage_error(errc::invalid_piece, "piece " + std::to_string(piece)));
    const std::uint32_t size = info.piece_size(piece);
    if (offset % block_size != 0 || offset >= size || data.empty() ||
        data.size() != std::min<std::uint32_t>(block_size, size - offset))
      return tl::unexpected(storage_error(
          errc::invalid_block, "piece " + std::to_string(piece) + " offset " + std::to_string(offset)));
    piece_state& ps = d.piece_locked(*st, piece);
    const std::uint32_t b = offset / block_size;
    block_slot& slot = ps.slots[b];
    if (slot.received || ps.clear || !ps.checks.empty()) return {};  // duplicate: dropped
    slot.received = true;
    const std::size_t cap = data.capacity();
    slot.buf = std::move(data);
    ps.buffered += cap;
    st->buffered += cap;
    d.buffer_bytes += cap;
    d.buffer_peak = std::max(d.buffer_peak, d.buffer_bytes);
    if (b < ps.g.v2_leaves) {
      ps.arrived.push_back(b);
    } else if (!info.is_v1()) {
      slot.hashed = true;  // pad only: no hash needs it
      ps.hashed_buffered += cap;
    }
    d.fifo_update_locked(ps);
    d.schedule_locked(ps);
    d.relieve_pressure_locked();
    d.update_writable_locked(out);
  }
  d.flush_outbox(out);
  return {};
}

void disk_io::async_check_piece(storage_index s, std::uint32_t piece, std::function<void(piece_result)> handler) {
  auto& d = *impl_;
  outbox out;
  {
    std::lock_guard lock(d.m);
    storage_state* st = d.find_locked(s);
    if (st == nullptr || st->removing) {
      post_result(out, std::move(handler),
                  error_result(piece, storage_error(st == nullptr ? errc::unknown_storage : errc::storage_removed)));
    } else if (piece >= st->cfg->info->num_pieces()) {
      post_result(out, std::move(handler),
                  error_result(piece, storage_error(errc::invalid_piece, "piece " + std::to_string(piece))));
    } else {
      piece_state& ps = d.piece_locked(*st, piece);
      ps.checks.push_back(std::move(handler));
      d.schedule_locked(ps);
    }
  }
  d.flush_outbox(out);
}

void disk_io::async_clear_piece(storage_index s, std::uint32_t piece) {
  auto& d = *impl_;
  outbox out;
  {
    std::lock_guard lock(d.m);
    storage_state* st = d.find_locked(s);
    if (st == nullptr) return;
    auto it = st->pieces.find(piece);
    if (it == st->pieces.end()) return;
    piece_state& ps = *it->second;
    if (ps.busy) {
      ps.clear = true;  // the running job drops it
    } else {
      d.erase_piece_locked(ps);
      d.update_writable_locked(out);
      d.check_drained_locked(*st, out);
    }
  }
  d.flush_outbox(out);
}

void disk_io::async_prepare(storage_index s, std::function<void(result<void>)> handler) {
  auto& d = *impl_;
  outbox out;
  {
    std::lock_guard lock(d.m);
    storage_state* st = d.find_locked(s);
    if (st == nullptr || st->removing) {
      post_result<result<void>>(out, std::move(handler),
                                tl::unexpected(storage_error(st == nullptr ? errc::unknown_storage
                                                                           : errc::storage_removed)));
    } else {
      d.push_job(*st, false, [&d, st, config = st->cfg, h = std::move(handler)]() mutable {
        result<void> r;
        const auto& files = config->info->files();
        for (std::size_t i = 0; i < files.size() && r; ++i) {
          const auto& fe = files[i];
          if (fe.pad() || fe.symlink() || !config->wanted(i)) continue;
          if (fe.size == 0) {
            auto fd = open_below(config->save, fe.path_components, O_RDWR, true, fe.executable() ? 0755u : 0644u);
            if (!fd) r = tl::unexpected(std::move(fd.error()));
            else ::close(*fd);
          } else if (d.cfg.prealloc != preallocation::none) {
            auto fh = d.files.open(config->id, i, config->save, fe, open_mode::write, d.cfg.prealloc);
            if (!fh) r = tl::unexpected(std::move(fh.error()));
          }
        }
        outbox o;
        post_result(o, std::move(h), std::move(r));
        {
          std::lock_guard l(d.m);
          d.job_done_locked(*st, o);
        }
        d.flush_outbox(o);
      });
    }
  }
  d.flush_outbox(out);
}

void disk_io::async_flush(storage_index s, std::function<void()> handler) {
  auto& d = *impl_;
  outbox out;
  {
    std::lock_guard lock(d.m);
    storage_state* st = d.find_locked(s);
    if (st == nullptr) {
      out.push_back(std::move(handler));
    } else {
      for (auto& [index, ps] : st->pieces) d.mark_flush_all_locked(*ps);
      st->flush_waiters.push_back([h = std::move(handler)](outbox& o) mutable { o.push_back(std::move(h)); });
      d.check_drained_locked(*st, out);
    }
  }
  d.flush_outbox(out);
}

void disk_io::async_compute(storage_index s, std::function<void()> job, std::function<void(bool)> done) {
  auto& d = *impl_;
  outbox out;
  {
    std::lock_guard lock(d.m);
    storage_state* st = d.find_locked(s);
    if (st != nullptr && !st->removing) {
      d.push_job(*st, false, [&d, st, job = std::move(job), done = std::move(done)]() mutable {
        job();
        outbox o;
        post_result(o, std::move(done), true);
        {
          std::lock_guard l(d.m);
          d.job_done_locked(*st, o);
        }
        d.flush_outbox(o);
      });
      return;
    }
    post_result(out, std::move(done), false);
  }
  d.flush_outbox(out);
}

void disk_io::async_recheck(storage_index s, recheck_progress progress,
                            std::function<void(result<std::vector<bool>>)> handler) {
  auto& d = *impl_;
  outbox out;
  {
    std::lock_guard lock(d.m);
    storage_state* st = d.find_locked(s);
    if (st == nullptr || st->removing) {
      post_result<result<std::vector<bool>>>(
          out, std::move(handler),
          tl::unexpected(storage_error(st == nullptr ? errc::unknown_storage : errc::storage_removed)));
    } else {
      const std::uint64_t gen = st->recheck_gen.load();
      for (auto& [index, ps] : st->pieces) d.mark_flush_all_locked(*ps);
      // Once everything buffered is on disk, the recheck job is queued (the waiter runs locked).
      st->flush_waiters.push_back([&d, st, gen, p = std::move(progress), h = std::move(handler)](outbox&) mutable {
        d.push_job(*st, false, [&d, st, gen, p = std::move(p), h = std::move(h)]() mutable {
          d.run_recheck(*st, gen, std::move(p), std::move(h));
        });
      });
      d.check_drained_locked(*st, out);
    }
  }
  d.flush_outbox(out);
}

void disk_io::cancel_recheck(storage_index s) {
  std::lock_guard lock(impl_->m);
  if (storage_state* st = impl_->find_locked(s)) st->recheck_gen.fetch_add(1);
}

bool disk_io::writable() const noexcept { return impl_->writable.load(); }

void disk_io::set_writable_handler(std::function<void()> handler) {
  std::lock_guard lock(impl_->m);
  impl_->writable_handler = std::move(handler);
}

disk_stats disk_io::stats() const {
  const auto& d = *impl_;
  disk_stats s;
  s.bytes_written = d.counters.bytes_written.load();
  s.write_ops = d.counters.write_ops.load();
  s.read_ops = d.counters.read_ops.load();
  s.mapped_reads = d.mapped_reads.load();
  s.bytes_read = d.bytes_read.load();
  s.read_backs = d.read_backs.load();
  s.pieces_passed = d.pieces_passed.load();
  s.pieces_failed = d.pieces_failed.load();
  s.hash_ns = d.hash_ns.load();
  s.lane_pieces = d.lane_pieces.load();
  s.recheck_bytes = d.recheck_bytes.load();
  s.buffer_full_events = d.buffer_full_events.load();
  s.open_files = d.files.size();
  s.buffers_in_use = d.pool.in_use_bytes();
  s.writable = d.writable.load();
  std::lock_guard lock(d.m);
  s.write_buffer_bytes = d.buffer_bytes;
  s.write_buffer_peak = d.buffer_peak;
  s.queued_jobs = d.urgent.size() + d.normal.size();
  return s;
}

const disk_settings& disk_io::settings() const noexcept { return impl_->cfg; }

}  // namespace ccbt::storage
