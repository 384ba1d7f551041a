// hash_files(): reads a layout's files once and computes its v1 piece hashes and/or v2 merkle
// roots and piece layers, on worker threads.
//
// The torrent's byte space is cut into batches of whole pieces (several MiB each); each worker
// takes the next batch from an atomic counter and reads it front to back with pread() into one
// reused buffer, so every thread reads long contiguous ranges. For hybrid torrents each 16 KiB
// block is fed to SHA-1 and SHA-256 while it is still in the CPU cache. Pad files are zeros and
// are never read. A file whose size differs from the scan (at open, at a short read, or at close)
// is an error, as is a read error; the first error stops all workers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include <ccbt/error.hpp>
#include <ccbt/hash.hpp>

#include "creator/layout.hpp"

namespace ccbt::creator {

struct torrent_hashes {
  std::vector<sha1_hash> pieces;                 // v1: one per piece of the byte space
  std::vector<sha256_hash> roots;                // v2: per layout file; zero for pad and empty files
  std::vector<std::vector<sha256_hash>> layers;  // v2: per layout file; only files of >= 2 pieces
};

struct hash_options {
  unsigned threads = 0;                  // 0 = hardware concurrency
  std::size_t read_size = 1 << 20;       // bytes per pread (rounded to 16 KiB)
  std::function<void(std::uint64_t, std::uint64_t)> progress;  // (file bytes done, content_size)
  const std::atomic<bool>* cancel = nullptr;
};

[[nodiscard]] result<torrent_hashes> hash_files(const layout& l, const hash_options& opts);

}  // namespace ccbt::creator
