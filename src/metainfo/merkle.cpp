#include "metainfo/merkle.hpp"

#include <array>
#include <bit>
#include <cassert>

#include "crypto/sha.hpp"

namespace ccbt::metainfo::merkle {

std::uint64_t next_pow2(std::uint64_t n) noexcept { return n <= 1 ? 1 : std::bit_ceil(n); }

unsigned log2_exact(std::uint64_t pow2) noexcept {
  assert(std::has_single_bit(pow2));
  return static_cast<unsigned>(std::countr_zero(pow2));
}

sha256_hash pad_hash(unsigned height) {
  static const std::array<sha256_hash, 64> table = [] {
    std::array<sha256_hash, 64> t{};
    for (std::size_t i = 1; i < t.size(); ++i) t[i] = crypto::sha256_pair(t[i - 1], t[i - 1]);
    return t;
  }();
  assert(height < table.size());
  return table[height];
}

std::vector<sha256_hash> reduce(std::span<const sha256_hash> nodes, unsigned level_height, unsigned levels) {
  std::vector<sha256_hash> cur(nodes.begin(), nodes.end());
  for (unsigned l = 0; l < levels; ++l) {
    const sha256_hash pad = pad_hash(level_height + l);
    std::vector<sha256_hash> next((cur.size() + 1) / 2);
    for (std::size_t i = 0; i < next.size(); ++i) {
      const auto& left = cur[2 * i];
      const auto& right = 2 * i + 1 < cur.size() ? cur[2 * i + 1] : pad;
      next[i] = crypto::sha256_pair(left, right);
    }
    if (next.empty()) next.push_back(pad_hash(level_height + l + 1));
    cur = std::move(next);
  }
  return cur;
}

sha256_hash root(std::span<const sha256_hash> nodes, unsigned level_height, std::uint64_t width) {
  assert(std::has_single_bit(width) && width >= nodes.size());
  if (nodes.empty()) return pad_hash(level_height + log2_exact(width));
  return reduce(nodes, level_height, log2_exact(width)).front();
}

sha256_hash file_root(std::span<const sha256_hash> leaves) {
  return root(leaves, 0, next_pow2(leaves.size()));
}

std::vector<sha256_hash> piece_layer(std::span<const sha256_hash> leaves, std::uint64_t piece_length) {
  return reduce(leaves, 0, log2_exact(piece_length / block_size));
}

sha256_hash root_from_piece_layer(std::span<const sha256_hash> layer, std::uint64_t piece_length) {
  const unsigned h = log2_exact(piece_length / block_size);
  return root(layer, h, next_pow2(layer.size()));
}

}  // namespace ccbt::metainfo::merkle
