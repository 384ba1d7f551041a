// BEP 52 merkle trees: SHA-256 over 16 KiB blocks, padded with zero leaves to a power of two.
//
// A file's "pieces root" is the root over its blocks (padded to the next power of two of the block
// count). Its piece layer is the tree level whose nodes each cover one piece; above the piece layer
// the tree is padded with the hash of an all-zero piece subtree (pad_hash(piece height)).
// Pure functions, no allocation beyond the returned vectors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <ccbt/hash.hpp>

namespace ccbt::metainfo::merkle {

inline constexpr std::size_t block_size = 16384;

// Smallest power of two >= n (1 for n == 0).
[[nodiscard]] std::uint64_t next_pow2(std::uint64_t n) noexcept;
// log2 of a power of two.
[[nodiscard]] unsigned log2_exact(std::uint64_t pow2) noexcept;

// Root of a subtree of 2^height all-zero leaves (height 0: the zero leaf itself).
[[nodiscard]] sha256_hash pad_hash(unsigned height);

// Number of 16 KiB blocks of a file (the last may be short).
[[nodiscard]] constexpr std::uint64_t block_count(std::uint64_t file_size) noexcept {
  return (file_size + block_size - 1) / block_size;
}

// Reduces `nodes` (one tree level; missing nodes beyond the end are pad_hash(level_height)) by
// `levels` levels. Returns ceil(n / 2^levels) nodes.
[[nodiscard]] std::vector<sha256_hash> reduce(std::span<const sha256_hash> nodes, unsigned level_height,
                                              unsigned levels);

// Root over `nodes` at height `level_height`, padded to `width` nodes (a power of two >= size).
[[nodiscard]] sha256_hash root(std::span<const sha256_hash> nodes, unsigned level_height, std::uint64_t width);

// The pieces root of a file from its block hashes (leaves).
[[nodiscard]] sha256_hash file_root(std::span<const sha256_hash> leaves);

// The piece layer of a file from its block hashes: one hash per piece (piece_length a power of two
// >= 16 KiB). Only meaningful for files larger than one piece.
[[nodiscard]] std::vector<sha256_hash> piece_layer(std::span<const sha256_hash> leaves, std::uint64_t piece_length);

// The pieces root computed from a piece layer (for validating a torrent's "piece layers").
[[nodiscard]] sha256_hash root_from_piece_layer(std::span<const sha256_hash> layer, std::uint64_t piece_length);

}  // namespace ccbt::metainfo::merkle
