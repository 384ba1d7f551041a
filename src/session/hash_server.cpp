#include "session/hash_server.hpp"

#include <bit>

#include "metainfo/merkle.hpp"

namespace ccbt::session_detail {

namespace merkle = metainfo::merkle;

hash_server::hash_server(std::shared_ptr<const metainfo::torrent_info> info) : info_(std::move(info)) {
  if (!info_ || !info_->is_v2()) return;
  for (std::size_t i = 0; i < info_->num_files(); ++i) {
    const auto& f = info_->files()[i];
    if (f.pieces_root && !info_->piece_layer(i).empty()) by_root_.emplace(*f.pieces_root, i);
  }
}

std::optional<std::size_t> hash_server::file_of(const wire::hash_range& r) const {
  const auto it = by_root_.find(r.pieces_root);
  if (it == by_root_.end()) return std::nullopt;
  return it->second;
}

merkle::layer_tree hash_server::make_tree(const metainfo::torrent_info& info, std::size_t file) {
  const auto layer = info.piece_layer(file);
  const unsigned piece_height = merkle::log2_exact(info.piece_length() / merkle::block_size);
  const unsigned tree_height = merkle::log2_exact(merkle::next_pow2(merkle::block_count(info.files()[file].size)));
  return merkle::layer_tree(layer, piece_height, tree_height);
}

void hash_server::add_tree(std::size_t file, merkle::layer_tree tree) { trees_.insert_or_assign(file, std::move(tree)); }

std::optional<std::vector<sha256_hash>> hash_server::answer(const wire::hash_range& r) const {
  const auto file = file_of(r);
  if (!file) return std::nullopt;
  const auto tree = trees_.find(*file);
  if (tree == trees_.end()) return std::nullopt;
  return tree->second.answer({r.base_layer, r.index, r.length, r.proof_layers});
}

}  // namespace ccbt::session_detail
