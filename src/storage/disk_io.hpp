// disk_io: the storage layer of the engine. Worker threads write received blocks to the torrents'
// files, read blocks for seeding, hash pieces as their blocks arrive and recheck whole torrents;
// every result is handed back through the executor the caller supplies (the session passes
// asio::post to its io_context), so nothing blocking ever runs on the caller's thread.
//
// Model (see docs/design/storage.md):
//  - A storage is one torrent's files below its download directory. Blocks are 16 KiB (the
//    piece's last block may be short) and are mapped to files through the metainfo layout; pad
//    files are never written, files of priority 0 are never created.
//  - async_write() moves the block into the write-back buffer and returns at once. The buffer is
//    bounded: at write_buffer_bytes writable() turns false and the caller must stop reading peers;
//    the writable handler is posted when the buffer drains to the low watermark. Adjacent blocks
//    are written together with one pwritev per file.
//  - Hashing happens on the workers as blocks arrive: SHA-1 over the blocks that are contiguous
//    from the piece start (v1), SHA-256 of every 16 KiB block in any order (v2). A block written
//    before the SHA-1 reached it is read back when needed (stats().read_backs; rare).
//  - async_check_piece(), called once every block of the piece was passed to async_write, posts
//    the verdict; "passed" is reported only after all of the piece's blocks were pwritten (and
//    fdatasynced with sync_mode::piece), so a verified piece survives a kill -9 of the process.
//  - Reads see blocks that are still in the write-back buffer.
//
// Thread-safety: every member function may be called from any thread. Handlers run wherever the
// executor runs them; the executor must be thread-safe and must not run the function inline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <ccbt/error.hpp>
#include <ccbt/hash.hpp>
#include <ccbt/metainfo.hpp>

#include "storage/disk_buffer.hpp"
#include "storage/read_view.hpp"
#include "storage/settings.hpp"

namespace ccbt::storage {

using storage_index = std::uint32_t;

struct storage_params {
  std::shared_ptr<const metainfo::torrent_info> info;  // required
  std::filesystem::path save_path;                     // the download directory
  // One per file; empty means every file wanted. 0: the file is never created or written.
  std::vector<std::uint8_t> file_priorities;
  // Posted when a background write fails (disk full, I/O error): the torrent should stop.
  std::function<void(const ccbt::error&)> on_error;
};

enum class piece_status : std::uint8_t {
  passed,        // every known hash matched; all blocks are written (and synced per sync_mode)
  failed,        // a hash did not match: the peers sent bad data; the piece's state is reset
  error,         // could not be verified (I/O error, data discarded): not the peers' fault; reset
  hash_unknown,  // v2-only piece whose hash is not known yet (piece layer missing): the blocks are
                 // written and `v2` holds the computed hash to check against the layer later
};

struct piece_result {
  std::uint32_t piece = 0;
  piece_status status = piece_status::error;
  // False when part of the piece belongs to files of priority 0: those bytes were verified in
  // memory but not stored, so the piece cannot be served or rechecked from disk.
  bool fully_stored = true;
  std::optional<sha1_hash> v1;    // computed SHA-1 (v1 and hybrid torrents)
  std::optional<sha256_hash> v2;  // computed BEP 52 piece hash (v2 and hybrid torrents)
  std::optional<ccbt::error> err; // status error
};

struct disk_stats {
  std::uint64_t bytes_written = 0;      // payload bytes pwritten
  std::uint64_t write_ops = 0;          // pwritev calls
  std::uint64_t bytes_read = 0;         // bytes served by async_read (memory + disk)
  std::uint64_t read_ops = 0;           // pread calls (async_read, read-backs, recheck)
  std::uint64_t mapped_reads = 0;       // async_read_view answered from file mappings (no copy)
  std::uint64_t read_backs = 0;         // blocks read back from disk to finish a piece's hash
  std::uint64_t pieces_passed = 0;
  std::uint64_t pieces_failed = 0;      // hash mismatches
  std::uint64_t hash_ns = 0;            // time spent hashing (all threads)
  std::uint64_t lane_pieces = 0;        // pieces whose SHA-1 was computed with others (sha1_lanes),
                                        // rechecks included
  std::uint64_t recheck_bytes = 0;      // bytes hashed by rechecks
  std::size_t write_buffer_bytes = 0;   // received blocks held in memory now
  std::size_t write_buffer_peak = 0;
  std::uint64_t buffer_full_events = 0; // times writable() turned false
  std::size_t queued_jobs = 0;          // jobs waiting for a worker
  std::size_t open_files = 0;           // file pool handles
  std::size_t buffers_in_use = 0;       // bytes of disk_buffers handed out (buffer + caller)
  bool writable = true;
};

// Progress of a recheck: pieces checked so far, and the total.
using recheck_progress = std::function<void(std::uint32_t done, std::uint32_t total)>;

class disk_io {
 public:
  using executor = std::function<void(std::function<void()>)>;

  disk_io(const disk_settings& settings, executor post);
  // Runs the queued work to the end (buffered blocks are written), cancels rechecks, joins the
  // workers. Handlers may still be posted until it returns.
  ~disk_io();
  disk_io(const disk_io&) = delete;
  disk_io& operator=(const disk_io&) = delete;

  // ---- storages ----------------------------------------------------------------------------
  [[nodiscard]] storage_index add_storage(storage_params params);
  // Writes what is buffered, waits for the storage's operations, closes its files, then posts
  // `done`. Operations issued afterwards fail with errc::storage_removed / unknown_storage.
  void remove_storage(storage_index s, std::function<void()> done);
  void set_file_priorities(storage_index s, std::vector<std::uint8_t> priorities);
  // Replaces the metainfo (same layout), e.g. once a v2 torrent's piece layers are known.
  void set_torrent_info(storage_index s, std::shared_ptr<const metainfo::torrent_info> info);

  // ---- blocks ------------------------------------------------------------------------------
  // A buffer to receive a block into (pooled).
  [[nodiscard]] disk_buffer allocate_buffer(std::size_t size = 16384);
  // Queues block `offset / 16 KiB` of `piece` (offset a multiple of 16 KiB, size the whole block).
  // A block already received for the piece is dropped (endgame duplicates). Never blocks; errors
  // only for a bad storage, piece or block.
  [[nodiscard]] result<void> async_write(storage_index s, std::uint32_t piece, std::uint32_t offset,
                                         disk_buffer data);
  [[nodiscard]] result<void> async_write(storage_index s, std::uint32_t piece, std::uint32_t offset,
                                         std::span<const std::byte> data);  // copies
  // Reads [offset, offset + length) of a piece (buffered blocks included; pad bytes are zeros).
  void async_read(storage_index s, std::uint32_t piece, std::uint32_t offset, std::uint32_t length,
                  std::function<void(result<disk_buffer>)> handler);
  // The same bytes for sending (seeding): with read_mode::mmap, segments of the files' mappings
  // (populated on the worker, never copied; pad bytes from a shared zero page), else — pread mode, a
  // buffered block in the range, a file that cannot be mapped — one buffer read as async_read does.
  void async_read_view(storage_index s, std::uint32_t piece, std::uint32_t offset, std::uint32_t length,
                       std::function<void(result<read_view>)> handler);
  // Verifies a piece from the hashes accumulated as its blocks arrived, reading back whatever is
  // not in memory (a piece with no buffered blocks is checked entirely from disk). Call once all
  // of its blocks were passed to async_write. Posts the verdict (see piece_status).
  void async_check_piece(storage_index s, std::uint32_t piece, std::function<void(piece_result)> handler);
  // Forgets a piece's buffered blocks and hash state (e.g. the download of it was abandoned).
  void async_clear_piece(storage_index s, std::uint32_t piece);

  // ---- files -------------------------------------------------------------------------------
  // Creates the wanted empty files and, with sparse/full preallocation, every wanted file.
  void async_prepare(storage_index s, std::function<void(result<void>)> handler);
  // Posts `handler` once nothing of the storage is buffered (everything queued so far written).
  void async_flush(storage_index s, std::function<void()> handler);
  // Flushes, then hashes every piece from disk on recheck_threads threads. The result has one
  // entry per piece: true if its data on disk matches every known hash. Missing or short files
  // make their pieces false; other I/O errors fail the recheck.
  void async_recheck(storage_index s, recheck_progress progress,
                     std::function<void(result<std::vector<bool>>)> handler);
  // Stops a running recheck of the storage; its handler gets errc::cancelled.
  void cancel_recheck(storage_index s);

  // ---- other work off the network thread ---------------------------------------------------
  // Runs `job` on a worker, queued with the storage's other work (behind reads), then posts
  // `done(true)`; posts `done(false)` without running it when the storage is unknown or being removed.
  void async_compute(storage_index s, std::function<void()> job, std::function<void(bool)> done);

  // ---- back-pressure and stats ---------------------------------------------------------------
  // False once the write-back buffer reached write_buffer_bytes, until it drains to the low
  // watermark; then the writable handler is posted.
  [[nodiscard]] bool writable() const noexcept;
  void set_writable_handler(std::function<void()> handler);
  [[nodiscard]] disk_stats stats() const;
  [[nodiscard]] const disk_settings& settings() const noexcept;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace ccbt::storage
