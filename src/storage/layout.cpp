#include "storage/layout.hpp"

#include "metainfo/merkle.hpp"

namespace ccbt::storage {

piece_geometry geometry(const metainfo::torrent_info& ti, std::uint32_t piece) {
  piece_geometry g;
  g.start = std::uint64_t{piece} * ti.piece_length();
  g.size = ti.piece_size(piece);
  g.blocks = (g.size + block_size - 1) / block_size;
  if (!ti.is_v2()) return g;
  const auto& files = ti.files();
  for_each_slice(files, g.start, g.size, [&](const range_slice& s) {
    if (s.pad || g.v2_bytes != 0) return;  // the piece's one real file comes first
    g.v2_bytes = static_cast<std::uint32_t>(s.length);
    const std::uint64_t file_size = files[s.file_index].size;
    g.v2_width = file_size > ti.piece_length()
                     ? ti.piece_length() / block_size
                     : metainfo::merkle::next_pow2(metainfo::merkle::block_count(file_size));
  });
  g.v2_leaves = (g.v2_bytes + block_size - 1) / block_size;
  return g;
}

sha256_hash v2_piece_root(std::span<const sha256_hash> leaves, const piece_geometry& g) {
  return metainfo::merkle::root(leaves, 0, g.v2_width);
}

}  // namespace ccbt::storage
