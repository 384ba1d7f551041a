// Internals of disk_io shared by its source files (disk_io.cpp: queue, storages, reads;
// piece_job.cpp: the per-piece write/hash state machine; recheck.cpp). Not for other modules.
//
// Locking: one mutex (impl::m) guards every storage_state and piece_state field except those a
// piece job owns while the piece is busy (piece_state::v1 and ::leaves): a piece has at most one
// job at a time, which snapshots what it needs under the lock, works without it and applies its
// results under the lock. Buffers of blocks in memory are freed only by the piece's job, so the
// job can use them unlocked.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "crypto/sha.hpp"
#include "crypto/sha1_lanes.hpp"
#include "storage/disk_io.hpp"
#include "storage/file_io.hpp"
#include "storage/file_pool.hpp"
#include "storage/layout.hpp"

namespace ccbt::storage {

struct storage_state;

struct block_slot {
  disk_buffer buf;        // the block's data while it is in the write-back buffer
  bool received = false;  // passed to async_write (this session)
  bool written = false;   // on disk (what was wanted of it)
  bool v2_done = false;   // leaf hash computed
  bool hashed = false;    // every hash that needs this block has consumed it
  bool partial = false;   // bytes of a priority-0 file were dropped before SHA-1 reached it
};

struct piece_state {
  storage_state* st = nullptr;
  std::uint32_t index = 0;
  piece_geometry g;
  std::vector<block_slot> slots;
  std::vector<std::uint32_t> arrived;  // received since the last plan (v2 leaf hashing)
  // Owned by the running job (no lock needed while busy).
  std::unique_ptr<crypto::sha1> v1;
  std::vector<sha256_hash> leaves;
  // Guarded by the lock.
  std::uint32_t v1_cursor = 0;         // blocks [0, v1_cursor) are in the SHA-1 state
  std::size_t buffered = 0;            // bytes of slots holding a buffer (capacity)
  std::size_t hashed_buffered = 0;     // of which fully hashed (ready to write)
  std::size_t flush_credit = 0;        // bytes counted in impl::flush_scheduled for this piece
  bool busy = false;
  bool flush_all = false;
  bool clear = false;
  bool in_fifo = false;
  std::list<piece_state*>::iterator fifo_it;
  // Waiting in impl::lanes to be hashed with other complete pieces (sha1_lanes).
  bool in_lanes = false;
  std::list<piece_state*>::iterator lanes_it;
  std::chrono::steady_clock::time_point lanes_since;
  std::optional<sha1_hash> v1_digest;  // set by a lane job: the piece's whole SHA-1
  std::vector<std::function<void(piece_result)>> checks;
  std::optional<ccbt::error> io_error;  // a write or read-back of this piece failed
};

struct storage_state {
  storage_index id = 0;
  std::shared_ptr<const storage_config> cfg;
  std::function<void(const ccbt::error&)> on_error;
  std::unordered_map<std::uint32_t, std::unique_ptr<piece_state>> pieces;
  std::size_t jobs = 0;          // queued or running jobs that use this storage
  std::size_t buffered = 0;      // bytes of its blocks in memory
  std::size_t busy_pieces = 0;
  bool removing = false;
  std::vector<std::function<void()>> remove_handlers;
  // Run under the lock once nothing of the storage is buffered or being written.
  std::vector<std::function<void(std::vector<std::function<void()>>&)>> flush_waiters;
  // A recheck started at generation g stops once this differs from g (cancel_recheck, removal).
  std::atomic<std::uint64_t> recheck_gen{0};
};

// Functions to post once the lock is released.
using outbox = std::vector<std::function<void()>>;

// Queues handler(value) in `out` (the value moved into a shared_ptr: std::function needs copyable).
template <class T>
void post_result(outbox& out, std::function<void(T)> handler, T value) {
  auto v = std::make_shared<T>(std::move(value));
  out.push_back([h = std::move(handler), v] { h(std::move(*v)); });
}

struct disk_io::impl {
  impl(const disk_settings& s, executor p);

  disk_settings cfg;
  executor post;
  buffer_pool pool;
  file_pool files;
  io_counters counters;

  mutable std::mutex m;
  std::condition_variable cv;
  std::deque<std::function<void()>> urgent;  // reads
  std::deque<std::function<void()>> normal;  // piece jobs, prepare, recheck
  std::vector<std::thread> workers;
  bool stopping = false;

  std::unordered_map<storage_index, std::unique_ptr<storage_state>> storages;
  storage_index next_id = 1;

  std::list<piece_state*> fifo;      // pieces with buffered blocks not marked flush_all, oldest first
  std::list<piece_state*> lanes;     // complete pieces waiting to be hashed together, oldest first
  bool lanes_on = false;  // cfg.hash_lanes >= 2 and the CPU runs sha1_lanes' AVX-512 kernel (or forced)
  crypto::sha1_lanes::kernel lanes_kernel = crypto::sha1_lanes::kernel::portable;
  std::size_t buffer_bytes = 0;      // all buffered blocks (capacity)
  std::size_t buffer_peak = 0;
  std::size_t flush_scheduled = 0;   // buffered bytes already marked for flushing
  std::atomic<bool> writable{true};
  std::function<void()> writable_handler;

  std::atomic<std::uint64_t> read_backs{0};
  std::atomic<std::uint64_t> bytes_read{0};
  std::atomic<std::uint64_t> mapped_reads{0};
  std::atomic<std::uint64_t> pieces_passed{0};
  std::atomic<std::uint64_t> pieces_failed{0};
  std::atomic<std::uint64_t> hash_ns{0};
  std::atomic<std::uint64_t> lane_pieces{0};
  std::atomic<std::uint64_t> recheck_bytes{0};
  std::atomic<std::uint64_t> buffer_full_events{0};

  [[nodiscard]] io_env env() noexcept { return io_env{files, counters, cfg.prealloc}; }
  void flush_outbox(outbox& out);
  void worker_loop();
  // Queues a job that uses storage `st` (counted in st.jobs). Lock held.
  void push_job(storage_state& st, bool is_urgent, std::function<void()> job);
  // A job of `st` finished: finishes a pending removal. Lock held.
  void job_done_locked(storage_state& st, outbox& out);
  [[nodiscard]] storage_state* find_locked(storage_index s) const;
  void check_drained_locked(storage_state& st, outbox& out);
  void mark_flush_all_locked(piece_state& ps);
  void relieve_pressure_locked();
  void update_writable_locked(outbox& out);
  void release_buffer_locked(piece_state& ps, block_slot& slot);
  void fifo_update_locked(piece_state& ps);
  void erase_piece_locked(piece_state& ps);

  // read_job.cpp (worker side of async_read / async_read_view)
  [[nodiscard]] result<disk_buffer> read_copy(storage_state& st, std::uint32_t piece, std::uint32_t offset,
                                              std::uint32_t length);
  [[nodiscard]] std::optional<read_view> read_mapped(storage_state& st, std::uint32_t piece, std::uint32_t offset,
                                                     std::uint32_t length);

  // piece_job.cpp
  [[nodiscard]] piece_state& piece_locked(storage_state& st, std::uint32_t piece);
  [[nodiscard]] bool has_work_locked(const piece_state& ps) const;
  void schedule_locked(piece_state& ps);
  void run_piece(piece_state& ps);

  // piece_lanes.cpp
  // How many pieces of this size are hashed together (0: this piece never goes through lanes).
  [[nodiscard]] unsigned lane_width_locked(const piece_state& ps) const;
  [[nodiscard]] bool lane_candidate_locked(const piece_state& ps) const;
  void lanes_add_locked(piece_state& ps);
  void lanes_remove_locked(piece_state& ps);
  // Starts a lane job with the oldest waiting pieces when enough of them wait, or `force`.
  void lanes_dispatch_locked(bool force);
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> lanes_deadline_locked() const;
  void run_lanes(std::vector<piece_state*> pieces);

  // recheck.cpp
  void run_recheck(storage_state& st, std::uint64_t gen, recheck_progress progress,
                   std::function<void(result<std::vector<bool>>)> handler);
};

}  // namespace ccbt::storage
