// Settings of the storage layer (disk I/O pool, write-back buffer, file pool, hashing).
//
// Plain values; the session maps its configuration keys onto this struct. Every field has a
// default that suits a desktop machine; zero for a thread count means "pick for this machine".
#pragma once

#include <cstddef>
#include <cstdint>

namespace ccbt::storage {

// How a wanted file is allocated when it is first opened for writing (and by async_prepare).
enum class preallocation : std::uint8_t {
  none,    // the file grows as blocks are written (holes where later blocks go)
  sparse,  // ftruncate to the final size: st_size is final, no blocks allocated (default)
  full,    // fallocate the whole file (falls back to ftruncate where unsupported)
};

// When written data is forced to stable storage.
enum class sync_mode : std::uint8_t {
  none,   // pwrite only: data is in the page cache, which survives a kill -9 of the process
          // (not a power loss); a piece is reported passed after its blocks were pwritten
  piece,  // additionally fdatasync every file a piece touches before reporting it passed
};

// How async_read_view (seeding) gets file bytes.
enum class read_mode : std::uint8_t {
  mmap,   // the files are memory-mapped; the bytes go from the page cache to the socket (one copy,
          // in the kernel's sendmsg), pread where a file cannot be mapped (not on 32-bit)
  pread,  // pread into a pooled buffer, then sendmsg from it (two copies; as fast here: default,
          // see docs/design/storage.md)
};

struct disk_settings {
  // Worker threads executing writes, reads and incremental hashing (0: 2..4 by core count).
  unsigned disk_threads = 0;
  // Threads of a full recheck (0: every core).
  unsigned recheck_threads = 0;
  // Open file descriptors kept by the file pool (least recently used closed first). A handle in use
  // by a worker is never closed under it, so the count can exceed this by at most the number of
  // files that in-flight operations hold (one or two per worker).
  std::size_t max_open_files = 256;
  // Write-back buffer: bytes of received blocks not yet written. At or above this, writable() turns
  // false (the session stops reading peers); it turns true again at or below the low watermark
  // (clamped to at most write_buffer_bytes - 16 KiB; the buffer holds at least two blocks).
  std::size_t write_buffer_bytes = std::size_t{16} << 20;
  std::size_t write_buffer_low_watermark = std::size_t{8} << 20;
  // A run of adjacent hashed blocks this long is written in one pwritev without waiting for the
  // whole piece. Above the low watermark every buffered block is flushed, oldest piece first.
  std::size_t write_coalesce_bytes = std::size_t{1} << 20;
  // Blocks are hashed in batches: a piece's job is queued once this many bytes of blocks are ready
  // to hash (contiguous from the SHA-1 cursor for v1; arrived for v2), or at its verdict, a flush or
  // under pressure — one worker wake-up per batch instead of one per 16 KiB block. 0: every block.
  std::size_t hash_batch_bytes = std::size_t{256} << 10;
  // Multi-buffer SHA-1 (crypto::sha1_lanes, CPUs with AVX-512): the pieces of a v1-only torrent
  // are hashed when complete, up to this many together in one pass (~2x less CPU than one at a
  // time with SHA-NI). A complete piece waits at most hash_lane_wait_ms for others (its verdict is
  // that much later); the pieces waiting stay within 3/4 of the low watermark. 0 or 1: one piece
  // at a time, as its blocks arrive.
  unsigned hash_lanes = 16;
  unsigned hash_lane_wait_ms = 20;
  // Lanes with sha1_lanes' portable kernel, on any CPU (for tests: it is no faster than hashing
  // one piece at a time, so without this lanes are on only where the AVX-512 kernel runs).
  bool hash_lanes_portable = false;
  // Largest async_read (peers request 16 KiB; some up to 128 KiB).
  std::size_t max_read_bytes = std::size_t{1} << 20;
  // Bytes of free 16 KiB buffers the buffer pool keeps for reuse.
  std::size_t buffer_pool_cache_bytes = std::size_t{8} << 20;
  preallocation prealloc = preallocation::sparse;
  read_mode reads = read_mode::pread;
  sync_mode sync = sync_mode::none;
  // Bytes a recheck thread reads per request (whole pieces; at least one piece).
  std::size_t recheck_read_bytes = std::size_t{4} << 20;
};

}  // namespace ccbt::storage
