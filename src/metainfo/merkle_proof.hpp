// BEP 52 hash requests against one file's merkle tree: which requests are valid, the answer (the
// requested nodes of one layer plus the uncle hashes that prove them up to the pieces root), and the
// check of such an answer.
//
// Heights count from the 16 KiB block layer (0). A file of B blocks has a tree of height
// D = log2(next_pow2(B)); layer h has 2^(D-h) nodes, the ones past the file's data being
// pad_hash(h). A request (base, index, length, proof_layers) is valid when base < D, length is a
// power of two, index a multiple of length, index + length <= 2^(D-base) and proof_layers < D - base
// (as libtorrent's validate_hash_request, plus the alignment BEP 52 requires). The answer is the
// `length` nodes of layer `base` from `index`, then, bottom-up, the sibling of the range's ancestor at
// each height base+k for log2(length) <= k <= proof_layers (the lower ancestors are computable from
// the range itself) — the layout libtorrent sends and expects.
// Pure; work per answer is bounded by length + proof_layers node lookups.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <ccbt/hash.hpp>

namespace ccbt::metainfo::merkle {

// Requests are capped at this many base-layer hashes (libtorrent asks for at most 512 piece hashes).
inline constexpr std::uint32_t max_request_hashes = 512;

struct proof_request {
  std::uint32_t base = 0;          // height of the requested layer
  std::uint32_t index = 0;         // first node in that layer
  std::uint32_t length = 0;        // number of nodes
  std::uint32_t proof_layers = 0;  // layers above `base` the proof reaches
};

// Why `r` is not a valid request for a tree of height `tree_height`; nullopt when it is.
[[nodiscard]] std::optional<std::string> check_request(const proof_request& r, unsigned tree_height);

// Number of uncle hashes in the answer to a valid request.
[[nodiscard]] std::uint32_t uncle_count(const proof_request& r) noexcept;

// The layers of a file's tree from some layer (the piece layer) up to the root, computed once.
class layer_tree {
 public:
  // `layer`: the nodes at height `height`, unpadded; `tree_height`: the file's D (>= height, and
  // 2^(D-height) >= layer.size()).
  layer_tree(std::span<const sha256_hash> layer, unsigned height, unsigned tree_height);

  [[nodiscard]] unsigned base_height() const noexcept { return height_; }
  [[nodiscard]] unsigned tree_height() const noexcept { return tree_height_; }
  [[nodiscard]] const sha256_hash& root() const noexcept { return levels_.back().front(); }
  // Node `index` of layer `height` (pad_hash(height) past the data). Precondition:
  // base_height() <= height <= tree_height(), index < 2^(tree_height - height).
  [[nodiscard]] sha256_hash node(unsigned height, std::uint64_t index) const;

  // The answer to `r`: nullopt when `r` is invalid (check_request) or asks for a layer below
  // base_height(); else length + uncle_count(r) hashes.
  [[nodiscard]] std::optional<std::vector<sha256_hash>> answer(const proof_request& r) const;

 private:
  unsigned height_;
  unsigned tree_height_;
  std::vector<std::vector<sha256_hash>> levels_;  // levels_[i]: height height_ + i, unpadded
};

// True when `hashes` (length base nodes, then uncle_count(r) uncles) prove against `root` for a tree
// of height `tree_height`. Invalid requests or a wrong hash count give false.
[[nodiscard]] bool verify_answer(const sha256_hash& root, unsigned tree_height, const proof_request& r,
                                 std::span<const sha256_hash> hashes);

}  // namespace ccbt::metainfo::merkle
