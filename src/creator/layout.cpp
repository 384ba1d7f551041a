// make_layout(): file order, pad files and piece length, as libtorrent 2.0's create_torrent
// constructor and file_storage::canonicalize() decide them.
#include <algorithm>
#include <array>
#include <bit>
#include <limits>

#include "creator/layout.hpp"

namespace ccbt::creator {

std::uint64_t auto_piece_length(std::uint64_t total_size) noexcept {
  // libtorrent's table: the largest total size for each piece length 16 KiB << i
  // (from target_list_size = 2 * sqrt(total_size) hashes of 20 bytes); past the end, 16 MiB.
  static constexpr std::array<std::uint64_t, 10> table{
      2684355ULL,     10737418ULL,     42949673ULL,      171798692ULL,     687194767ULL,
      2748779069ULL,  10995116278ULL,  43980465111ULL,   175921860444ULL,  703687441777ULL};
  unsigned i = 0;
  for (auto s : table) {
    if (s >= total_size) break;
    ++i;
  }
  return std::uint64_t{16384} << i;
}

bool valid_piece_length(torrent_kind kind, std::uint64_t pl) noexcept {
  constexpr std::uint64_t max_piece = std::uint64_t{1} << 30;  // 1 GiB; beyond that no client copes
  if (pl == 0 || pl > max_piece) return false;
  if (kind == torrent_kind::v1) return pl % 16384 == 0 || std::has_single_bit(pl);
  return pl >= 16384 && std::has_single_bit(pl);
}

bool path_less(const std::vector<std::string>& a, const std::vector<std::string>& b) noexcept {
  // std::string comparison is bytewise on unsigned chars, like libtorrent's string_view compare.
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

result<layout> make_layout(scanned_tree tree, torrent_kind kind, std::uint64_t piece_length) {
  layout out;
  out.name = std::move(tree.name);
  out.multi_file = tree.multi_file;
  out.kind = kind;

  std::uint64_t content = 0;
  for (const auto& f : tree.files) {
    if (f.size > std::numeric_limits<std::uint64_t>::max() / 4 - content)
      return make_error(errc::too_large, f.disk_path.string());
    content += f.size;
  }
  if (tree.files.empty()) return make_error(errc::no_data, out.name + ": no files");
  if (content == 0) return make_error(errc::no_data, out.name + ": all files are empty");
  out.content_size = content;

  if (piece_length == 0) piece_length = auto_piece_length(content);
  if (!valid_piece_length(kind, piece_length))
    return make_error(errc::invalid_piece_length,
                      std::to_string(piece_length) +
                          (kind == torrent_kind::v1 ? " bytes; v1 needs a multiple of 16 KiB or a power of two, at most 1 GiB"
                                                    : " bytes; v2 and hybrid need a power of two from 16 KiB to 1 GiB"));
  out.piece_length = piece_length;

  const bool v2 = kind != torrent_kind::v1;
  if (v2) {
    std::stable_sort(tree.files.begin(), tree.files.end(),
                     [](const input_file& a, const input_file& b) { return path_less(a.path, b.path); });
  }
  // canonicalize(): a pad file after every non-empty file that does not end on a piece boundary,
  // the last one included, but never in a torrent of a single file (num_files() > 1 counts files
  // before padding, so a folder holding one file gets no pad either).
  const bool pad = v2 && tree.files.size() > 1;
  out.files.reserve(pad ? tree.files.size() * 2 : tree.files.size());
  std::uint64_t off = 0;
  for (auto& f : tree.files) {
    layout_file lf;
    lf.path = std::move(f.path);
    lf.size = f.size;
    lf.offset = off;
    lf.executable = f.executable;
    lf.disk_path = std::move(f.disk_path);
    off += lf.size;
    const bool nonempty = lf.size > 0;
    out.files.push_back(std::move(lf));
    if (pad && nonempty && off % piece_length != 0) {
      const std::uint64_t pad_size = piece_length - off % piece_length;
      layout_file p;
      p.path = {".pad", std::to_string(pad_size)};
      p.size = pad_size;
      p.offset = off;
      p.pad = true;
      off += pad_size;
      out.files.push_back(std::move(p));
    }
  }
  out.total_size = off;
  if (out.num_pieces() > max_pieces) {
    std::uint64_t suggest = 16384;
    while ((content + suggest - 1) / suggest > max_pieces / 2) suggest *= 2;
    return make_error(errc::too_large, std::to_string(out.num_pieces()) + " pieces (at most " +
                                           std::to_string(max_pieces) + "); use a piece size of at least " +
                                           std::to_string(suggest) + " bytes");
  }
  return out;
}

}  // namespace ccbt::creator
