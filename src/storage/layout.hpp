// Piece-space geometry for the storage layer: which file bytes a range of the torrent's linear
// piece space covers (pad files flagged, empty files skipped), and the shape of each piece for
// v1 and v2 hashing.
//
// Invariants relied on (torrent_info guarantees them): files() are in piece-space order, each
// file's offset is the sum of the sizes before it; in v2/hybrid torrents every non-empty, non-pad
// file starts on a piece boundary, so a piece holds the bytes of at most one real file (then pad).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <ccbt/hash.hpp>
#include <ccbt/metainfo.hpp>

namespace ccbt::storage {

inline constexpr std::uint32_t block_size = 16384;

struct range_slice {
  std::size_t file_index = 0;
  std::uint64_t file_offset = 0;
  std::uint64_t length = 0;
  std::uint64_t range_offset = 0;  // where the slice starts within the range walked
  bool pad = false;                // a pad file: never stored, reads as zeros
};

// Calls f(range_slice) for every file (pad files included, empty files skipped) that covers part of
// [start, start + length) of the piece space, in order. Ranges past the end are clipped.
template <class F>
void for_each_slice(const std::vector<metainfo::file_entry>& files, std::uint64_t start,
                    std::uint64_t length, F&& f) {
  auto it = std::partition_point(files.begin(), files.end(), [&](const metainfo::file_entry& e) {
    return e.offset + e.size <= start;
  });
  const std::uint64_t end = start + length;
  for (; it != files.end() && it->offset < end; ++it) {
    if (it->size == 0) continue;
    const std::uint64_t b = std::max(start, it->offset);
    const std::uint64_t e = std::min(end, it->offset + it->size);
    if (b >= e) continue;
    f(range_slice{static_cast<std::size_t>(it - files.begin()), b - it->offset, e - b, b - start,
                  it->pad()});
  }
}

// The shape of one piece.
struct piece_geometry {
  std::uint64_t start = 0;     // offset of the piece in piece space
  std::uint32_t size = 0;      // piece_size(piece)
  std::uint32_t blocks = 0;    // ceil(size / block_size)
  // v2 (zero for v1-only torrents): bytes of the piece that belong to its file (the rest is pad),
  // the number of leaf hashes they make, and the merkle width the piece hash is computed over.
  std::uint32_t v2_bytes = 0;
  std::uint32_t v2_leaves = 0;
  std::uint64_t v2_width = 0;
};

[[nodiscard]] piece_geometry geometry(const metainfo::torrent_info& ti, std::uint32_t piece);

// The BEP 52 hash of a piece from its leaf hashes (SHA-256 of each 16 KiB block of file data):
// a merkle root over g.v2_width leaves, missing leaves being zero. Comparable with
// torrent_info::piece_hash_v2(piece).
[[nodiscard]] sha256_hash v2_piece_root(std::span<const sha256_hash> leaves, const piece_geometry& g);

}  // namespace ccbt::storage
