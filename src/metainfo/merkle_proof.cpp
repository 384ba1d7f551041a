#include "metainfo/merkle_proof.hpp"

#include <bit>
#include <cassert>

#include "crypto/sha.hpp"
#include "metainfo/merkle.hpp"

namespace ccbt::metainfo::merkle {

std::optional<std::string> check_request(const proof_request& r, unsigned tree_height) {
  if (tree_height == 0 || r.base >= tree_height)
    return "base layer " + std::to_string(r.base) + " is not below the root (tree height " +
           std::to_string(tree_height) + ")";
  if (r.length == 0 || !std::has_single_bit(r.length))
    return "length " + std::to_string(r.length) + " is not a power of two";
  if (r.length > max_request_hashes)
    return "length " + std::to_string(r.length) + " is over " + std::to_string(max_request_hashes);
  if (r.index % r.length != 0)
    return "index " + std::to_string(r.index) + " is not a multiple of length " + std::to_string(r.length);
  const unsigned span = tree_height - r.base;  // layer `base` has 2^span nodes
  if (span < 32 && std::uint64_t{r.index} + r.length > (std::uint64_t{1} << span))
    return "nodes " + std::to_string(r.index) + "+" + std::to_string(r.length) + " are past the " +
           std::to_string(std::uint64_t{1} << span) + " of layer " + std::to_string(r.base);
  if (r.proof_layers >= span)
    return "proof layers " + std::to_string(r.proof_layers) + " reach the root (at most " +
           std::to_string(span - 1) + ")";
  return std::nullopt;
}

std::uint32_t uncle_count(const proof_request& r) noexcept {
  const unsigned k0 = static_cast<unsigned>(std::countr_zero(r.length));
  return r.proof_layers >= k0 ? r.proof_layers - k0 + 1 : 0;
}

layer_tree::layer_tree(std::span<const sha256_hash> layer, unsigned height, unsigned tree_height)
    : height_(height), tree_height_(tree_height) {
  assert(tree_height >= height && tree_height - height < 64);
  assert((std::uint64_t{1} << (tree_height - height)) >= layer.size());
  levels_.reserve(tree_height - height + 1);
  levels_.emplace_back(layer.begin(), layer.end());
  if (levels_.back().empty()) levels_.back().push_back(pad_hash(height));
  for (unsigned h = height; h < tree_height; ++h) levels_.push_back(reduce(levels_.back(), h, 1));
}

sha256_hash layer_tree::node(unsigned height, std::uint64_t index) const {
  assert(height >= height_ && height <= tree_height_);
  const auto& level = levels_[height - height_];
  return index < level.size() ? level[index] : pad_hash(height);
}

std::optional<std::vector<sha256_hash>> layer_tree::answer(const proof_request& r) const {
  if (check_request(r, tree_height_) || r.base < height_) return std::nullopt;
  std::vector<sha256_hash> out;
  out.reserve(r.length + uncle_count(r));
  for (std::uint32_t i = 0; i < r.length; ++i) out.push_back(node(r.base, std::uint64_t{r.index} + i));
  for (unsigned k = static_cast<unsigned>(std::countr_zero(r.length)); k <= r.proof_layers; ++k)
    out.push_back(node(r.base + k, (std::uint64_t{r.index} >> k) ^ 1));
  return out;
}

bool verify_answer(const sha256_hash& root, unsigned tree_height, const proof_request& r,
                   std::span<const sha256_hash> hashes) {
  if (check_request(r, tree_height) || hashes.size() != std::size_t{r.length} + uncle_count(r)) return false;
  // Fold the range to its ancestor at height base + log2(length), then climb with the uncles.
  std::vector<sha256_hash> cur(hashes.begin(), hashes.begin() + r.length);
  while (cur.size() > 1) {
    std::vector<sha256_hash> next(cur.size() / 2);
    for (std::size_t i = 0; i < next.size(); ++i) next[i] = crypto::sha256_pair(cur[2 * i], cur[2 * i + 1]);
    cur = std::move(next);
  }
  unsigned k = static_cast<unsigned>(std::countr_zero(r.length));
  std::uint64_t pos = std::uint64_t{r.index} >> k;
  sha256_hash node = cur.front();
  for (std::size_t u = r.length; u < hashes.size(); ++u, ++k, pos >>= 1)
    node = (pos & 1) ? crypto::sha256_pair(hashes[u], node) : crypto::sha256_pair(node, hashes[u]);
  // Above the proof, the rest of the way to the root cannot be checked without more hashes: the
  // proof must reach just below the root (k == tree height after the loop) to be anchored.
  if (r.base + k != tree_height) return false;
  return node == root;
}

}  // namespace ccbt::metainfo::merkle
