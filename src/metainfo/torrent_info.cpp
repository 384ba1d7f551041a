// torrent_info accessors, the piece <-> file layout, and the metainfo error category.
#include <ccbt/metainfo.hpp>

#include <algorithm>

#include "metainfo/merkle.hpp"

namespace ccbt::metainfo {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "metainfo"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::not_a_dictionary: return "the torrent is not a bencoded dictionary";
      case errc::missing_info: return "missing 'info' dictionary";
      case errc::invalid_info: return "'info' is not a dictionary";
      case errc::info_too_large: return "info dictionary too large";
      case errc::missing_piece_length: return "missing 'piece length'";
      case errc::invalid_piece_length: return "invalid 'piece length'";
      case errc::missing_pieces: return "missing 'pieces'";
      case errc::invalid_pieces: return "'pieces' is not a multiple of 20 bytes";
      case errc::pieces_size_mismatch: return "number of piece hashes does not match the total size";
      case errc::too_many_pieces: return "too many pieces";
      case errc::missing_name: return "missing 'name'";
      case errc::invalid_name: return "invalid 'name'";
      case errc::missing_length: return "missing file 'length'";
      case errc::invalid_length: return "invalid file length (negative or not an integer)";
      case errc::size_overflow: return "file sizes overflow";
      case errc::invalid_files: return "'files' is not a non-empty list";
      case errc::invalid_file_entry: return "file entry is not a dictionary";
      case errc::missing_path: return "file entry without 'path'";
      case errc::invalid_path: return "invalid file 'path'";
      case errc::path_too_deep: return "path has too many components";
      case errc::too_many_files: return "too many files";
      case errc::no_files: return "the torrent holds no data";
      case errc::invalid_meta_version: return "invalid or unsupported 'meta version'";
      case errc::missing_file_tree: return "v2 torrent without 'file tree'";
      case errc::invalid_file_tree: return "invalid 'file tree' node";
      case errc::nesting_too_deep: return "file tree nested too deep";
      case errc::missing_pieces_root: return "missing 'pieces root'";
      case errc::invalid_pieces_root: return "invalid 'pieces root'";
      case errc::missing_piece_layers: return "missing 'piece layers'";
      case errc::invalid_piece_layers: return "invalid 'piece layers'";
      case errc::missing_piece_layer: return "no piece layer for a file's pieces root";
      case errc::piece_layer_size_mismatch: return "piece layer has the wrong number of hashes";
      case errc::piece_layer_mismatch: return "piece layer does not hash to the file's pieces root";
      case errc::hybrid_mismatch: return "v1 and v2 parts of a hybrid torrent describe different files";
      case errc::hybrid_misaligned: return "v1 file layout of a hybrid torrent is not piece-aligned";
      case errc::invalid_pad_file: return "invalid pad file";
      case errc::invalid_symlink: return "symlink without a valid 'symlink path'";
      case errc::input_too_large: return "torrent file too large";
      case errc::invalid_file_index: return "no such file, or the file needs no piece layer";
    }
    return "unknown metainfo error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

std::string_view torrent_info::info_bytes() const noexcept {
  if (!buffer_) return {};
  return std::string_view(*buffer_).substr(info_offset_, info_size_);
}

std::uint32_t torrent_info::piece_size(std::uint32_t piece) const noexcept {
  if (piece >= num_pieces_) return 0;
  if (piece + 1 < num_pieces_) return piece_length_;
  return static_cast<std::uint32_t>(total_size_ - std::uint64_t{piece} * piece_length_);
}

sha1_hash torrent_info::piece_hash_v1(std::uint32_t piece) const noexcept {
  sha1_hash h;
  if (!is_v1() || piece >= num_pieces_) return h;
  const char* p = buffer_->data() + pieces_offset_ + std::size_t{piece} * sha1_hash::size;
  std::copy(p, p + sha1_hash::size, reinterpret_cast<char*>(h.bytes.data()));
  return h;
}

std::optional<std::size_t> torrent_info::file_at_offset(std::uint64_t offset) const noexcept {
  if (offset >= total_size_ || files_.empty()) return std::nullopt;
  // The last file starting at or before `offset`: empty files share their offset with the file
  // after them, so the one found always holds the byte.
  const auto it = std::upper_bound(files_.begin(), files_.end(), offset,
                                   [](std::uint64_t o, const file_entry& f) { return o < f.offset; });
  return static_cast<std::size_t>(it - files_.begin()) - 1;
}

std::optional<sha256_hash> torrent_info::piece_hash_v2(std::uint32_t piece) const noexcept {
  if (!is_v2() || piece >= num_pieces_) return std::nullopt;
  const auto index = file_at_offset(std::uint64_t{piece} * piece_length_);
  if (!index) return std::nullopt;
  const file_entry& f = files_[*index];
  if (f.pad() || !f.pieces_root) return std::nullopt;
  if (f.size <= piece_length_) return f.pieces_root;
  const auto& layer = piece_layers_[*index];
  const std::uint32_t k = piece - f.first_piece;
  if (k >= layer.size()) return std::nullopt;
  return layer[k];
}

std::span<const sha256_hash> torrent_info::piece_layer(std::size_t file_index) const noexcept {
  if (file_index >= piece_layers_.size()) return {};
  return piece_layers_[file_index];
}

bool torrent_info::has_all_piece_layers() const noexcept {
  if (!is_v2()) return true;
  for (std::size_t i = 0; i < files_.size(); ++i) {
    const auto& f = files_[i];
    if (f.pieces_root && f.size > piece_length_ && piece_layers_[i].empty()) return false;
  }
  return true;
}

result<void> torrent_info::set_piece_layer(std::size_t file_index, std::span<const sha256_hash> layer) {
  if (file_index >= files_.size()) return make_error(errc::invalid_file_index, std::to_string(file_index));
  const file_entry& f = files_[file_index];
  if (!f.pieces_root || f.size <= piece_length_) return make_error(errc::invalid_file_index, f.path);
  const std::uint64_t expected = (f.size + piece_length_ - 1) / piece_length_;
  if (layer.size() != expected)
    return make_error(errc::piece_layer_size_mismatch,
                      f.path + ": " + std::to_string(layer.size()) + " hashes, expected " + std::to_string(expected));
  if (merkle::root_from_piece_layer(layer, piece_length_) != *f.pieces_root)
    return make_error(errc::piece_layer_mismatch, f.path);
  piece_layers_[file_index].assign(layer.begin(), layer.end());
  return {};
}

std::vector<file_slice> torrent_info::map_block(std::uint32_t piece, std::uint32_t offset,
                                                std::uint64_t length) const {
  std::vector<file_slice> out;
  const std::uint32_t psize = piece_size(piece);
  if (offset >= psize || length == 0) return out;
  length = std::min<std::uint64_t>(length, psize - offset);
  const std::uint64_t start = std::uint64_t{piece} * piece_length_ + offset;
  auto index = file_at_offset(start);
  if (!index) return out;
  std::uint64_t pos = start;
  const std::uint64_t end = start + length;
  for (std::size_t i = *index; i < files_.size() && pos < end; ++i) {
    const file_entry& f = files_[i];
    const std::uint64_t f_end = f.offset + f.size;
    if (f_end <= pos) continue;  // empty file
    const std::uint64_t n = std::min(end, f_end) - pos;
    if (!f.pad()) out.push_back({i, pos - f.offset, n});
    pos += n;
  }
  return out;
}

std::optional<piece_range> torrent_info::map_file(std::size_t file_index, std::uint64_t offset,
                                                  std::uint64_t length) const noexcept {
  if (file_index >= files_.size()) return std::nullopt;
  const file_entry& f = files_[file_index];
  if (offset >= f.size) return std::nullopt;
  const std::uint64_t abs = f.offset + offset;
  piece_range r;
  r.piece = static_cast<std::uint32_t>(abs / piece_length_);
  r.offset = static_cast<std::uint32_t>(abs % piece_length_);
  r.length = std::min(length, f.size - offset);
  return r;
}

}  // namespace ccbt::metainfo
