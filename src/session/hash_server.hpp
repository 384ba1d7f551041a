// hash_server — answers BEP 52 hash requests for one torrent's metadata (L3 helper, no I/O).
//
// A request names a file by its pieces root. We hold each file's piece layer (from the .torrent, or
// fetched from peers), so any layer at or above it can be answered, with the uncle hashes up to the
// root (metainfo/merkle_proof.hpp); block-layer hashes (below the piece layer) would need the data
// and are rejected, as is anything invalid. The tree above a file's piece layer is computed once per
// file (make_tree, N SHA-256 pairs for N pieces: the session runs it on a disk worker and hands the
// result to add_tree), so each answer costs at most max_request_hashes + tree height lookups. Bound
// to one torrent_info: a new one (metadata replaced) needs a new hash_server.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <ccbt/hash.hpp>
#include <ccbt/metainfo.hpp>

#include "metainfo/merkle_proof.hpp"
#include "wire/messages.hpp"

namespace ccbt::session_detail {

class hash_server {
 public:
  explicit hash_server(std::shared_ptr<const metainfo::torrent_info> info);

  [[nodiscard]] const metainfo::torrent_info* info() const noexcept { return info_.get(); }
  // The file whose pieces root `r` names (one with a piece layer), or nullopt: reject.
  [[nodiscard]] std::optional<std::size_t> file_of(const wire::hash_range& r) const;
  [[nodiscard]] bool has_tree(std::size_t file) const { return trees_.contains(file); }
  // The tree of `file` (file_of gave it): pure computation on the torrent_info, any thread.
  [[nodiscard]] static metainfo::merkle::layer_tree make_tree(const metainfo::torrent_info& info, std::size_t file);
  void add_tree(std::size_t file, metainfo::merkle::layer_tree tree);
  // The hashes for `r` (base-layer nodes, then uncles), or nullopt when it must be rejected.
  // Precondition: has_tree(*file_of(r)) — a file without its tree is rejected.
  [[nodiscard]] std::optional<std::vector<sha256_hash>> answer(const wire::hash_range& r) const;

 private:
  std::shared_ptr<const metainfo::torrent_info> info_;
  std::map<sha256_hash, std::size_t> by_root_;  // pieces root -> file index (files with a piece layer)
  std::map<std::size_t, metainfo::merkle::layer_tree> trees_;
};

}  // namespace ccbt::session_detail
