// ccbt::metainfo — .torrent files and info dictionaries (BEP 3, 12, 19, 27, 47, 52).
//
// torrent_info::parse() validates a whole .torrent (v1, v2 or hybrid) and produces a self-contained
// value: it owns a copy of the input bytes, so info_bytes() and the v1 piece hashes stay valid for
// the life of the object (copies share the buffer).
//
// Invariants of every torrent_info that parse()/from_info_dict() returns:
//  - files() is the layout in the torrent's linear piece space, in order, pad files included.
//    Each file's offset is the sum of the sizes before it; total_size() is the sum of all sizes.
//    For v2 and hybrid torrents every non-pad, non-empty file starts on a piece boundary.
//    For v2-only torrents the pad files are synthesised exactly as libtorrent 2.0 does: one pad
//    file after every non-empty file whose size is not a multiple of the piece length (the last file
//    included), path "<name>/.pad/<size>". For v1 and hybrid torrents the pad files are the ones the
//    v1 "files" list declares (BEP 47 attr 'p').
//  - Every path() is relative, uses '/' as separator, has no empty, "." or ".." component and no
//    control character; for multi-file torrents its first component is the (sanitised) torrent
//    name. No two non-pad files share a path and no file path is a directory of another (duplicates
//    are renamed "name.1.ext"). So joining a path to a download directory never leaves it.
//  - num_pieces() == ceil(total_size() / piece_length()); every v1 piece has a hash; every v2 piece
//    has an expected hash once the piece layers are known (always, for parse()).
//
// Pure: no files, sockets or threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <ccbt/error.hpp>
#include <ccbt/hash.hpp>

namespace ccbt::metainfo {

enum class errc {
  // structure
  not_a_dictionary = 1,     // the .torrent is not a bencoded dictionary
  missing_info,             // no "info" key
  invalid_info,             // "info" is not a dictionary
  info_too_large,           // the info dictionary exceeds parse_options::max_info_size
  // pieces
  missing_piece_length,     // no "piece length"
  invalid_piece_length,     // <= 0, too large, or (v2) not a power of two >= 16 KiB
  missing_pieces,           // v1: no "pieces" string
  invalid_pieces,           // "pieces" length not a multiple of 20
  pieces_size_mismatch,     // number of v1 hashes != ceil(total size / piece length)
  too_many_pieces,          // more pieces than parse_options::max_pieces
  // names, sizes, paths (v1)
  missing_name,             // no "name" string
  invalid_name,             // "name" is empty or sanitises to nothing
  missing_length,           // single-file torrent without "length", or file entry without "length"
  invalid_length,           // a length that is negative or not an integer
  size_overflow,            // total size overflows 2^63 (or the piece space is too large)
  invalid_files,            // "files" is not a non-empty list
  invalid_file_entry,       // an element of "files" is not a dictionary
  missing_path,             // a file entry has no "path"
  invalid_path,             // "path" is not a list of strings, or is empty
  path_too_deep,            // a path with more components than parse_options::max_path_depth
  too_many_files,           // more files than parse_options::max_files
  no_files,                 // the torrent holds no data (total size 0)
  // v2
  invalid_meta_version,     // "meta version" present but not 2
  missing_file_tree,        // v2 torrent without a "file tree" dictionary
  invalid_file_tree,        // a file tree node that is not a dictionary, empty, or both file and dir
  nesting_too_deep,         // file tree deeper than parse_options::max_path_depth
  missing_pieces_root,      // a non-empty v2 file without "pieces root"
  invalid_pieces_root,      // "pieces root" is not a 32-byte string
  missing_piece_layers,     // a v2 torrent with files larger than one piece but no "piece layers"
  invalid_piece_layers,     // "piece layers" not a dictionary of strings, or a layer not k*32 bytes
  missing_piece_layer,      // no layer for the pieces root of a file larger than one piece
  piece_layer_size_mismatch,// a layer with the wrong number of hashes for its file
  piece_layer_mismatch,     // a layer whose merkle root is not the file's pieces root
  // hybrid
  hybrid_mismatch,          // the v1 file list and the v2 file tree do not describe the same files
  hybrid_misaligned,        // hybrid v1 layout does not put each file on a piece boundary
  // BEP 47
  invalid_pad_file,         // a pad file that cannot be a pad (not a v1 multi-file entry, symlink, ...)
  invalid_symlink,          // attr 'l' without a valid "symlink path"
  // misc
  input_too_large,          // the .torrent exceeds parse_options::max_input_size
  invalid_file_index,       // set_piece_layer(): no such file, or a file that needs no piece layer
};

[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

// Limits applied while parsing untrusted input. The defaults accept every real torrent seen in the
// wild (and match libtorrent's load_torrent_limits where it has one).
struct parse_options {
  std::size_t max_input_size = std::size_t{64} << 20;  // whole .torrent, bytes
  std::size_t max_info_size = std::size_t{32} << 20;   // the info dictionary, bytes
  std::uint32_t max_pieces = 0x200000;                 // 2 Mi pieces
  std::size_t max_files = 1'000'000;
  std::size_t max_path_depth = 64;                     // path components / file tree depth
  std::size_t max_decode_tokens = 4'000'000;
  std::size_t max_decode_depth = 100;
  // parse(): a v2 torrent must carry valid "piece layers" for every file larger than one piece.
  // from_info_dict() never has them (BEP 9 metadata); use set_piece_layer() when they arrive.
  bool require_piece_layers = true;
};

// Per-file flags (BEP 47 attributes 'p', 'x', 'h', 'l').
enum file_flags : std::uint8_t {
  flag_pad = 1,
  flag_executable = 2,
  flag_hidden = 4,
  flag_symlink = 8,
};

struct file_entry {
  std::vector<std::string> path_components;  // sanitised, first is the torrent name if multi-file
  std::string path;                           // path_components joined with '/'
  std::uint64_t size = 0;
  std::uint64_t offset = 0;                   // in the torrent's linear piece space
  std::uint8_t flags = 0;                     // file_flags
  std::string symlink_target;                 // symlinks: sanitised, '/'-joined, in the same space
                                              // as `path` (relative to the download directory); a
                                              // target that is no file or directory of the torrent
                                              // is replaced by the link's own path (as libtorrent)
  std::optional<sha256_hash> pieces_root;     // v2 files with size > 0
  std::optional<std::int64_t> mtime;          // BEP 47 "mtime", seconds since the epoch
  std::uint32_t first_piece = 0;              // piece holding the first byte (offset / piece length)
  std::uint32_t end_piece = 0;                // one past the piece holding the last byte;
                                              // == first_piece for an empty file

  [[nodiscard]] bool pad() const noexcept { return (flags & flag_pad) != 0; }
  [[nodiscard]] bool executable() const noexcept { return (flags & flag_executable) != 0; }
  [[nodiscard]] bool hidden() const noexcept { return (flags & flag_hidden) != 0; }
  [[nodiscard]] bool symlink() const noexcept { return (flags & flag_symlink) != 0; }
};

// A byte range of one (non-pad) file.
struct file_slice {
  std::size_t file_index = 0;
  std::uint64_t file_offset = 0;
  std::uint64_t length = 0;

  friend bool operator==(const file_slice&, const file_slice&) = default;
};

// A byte range in piece space.
struct piece_range {
  std::uint32_t piece = 0;
  std::uint32_t offset = 0;   // within the piece
  std::uint64_t length = 0;

  friend bool operator==(const piece_range&, const piece_range&) = default;
};

class torrent_info {
 public:
  // A whole .torrent file (announce, announce-list, url-list, piece layers, ... and info).
  [[nodiscard]] static result<torrent_info> parse(std::string_view torrent_file,
                                                  const parse_options& opts = {});
  // A bare info dictionary (BEP 9 metadata). Trackers and web seeds are empty; v2 piece layers are
  // unknown until set_piece_layer() supplies them.
  [[nodiscard]] static result<torrent_info> from_info_dict(std::string_view info_bytes,
                                                           const parse_options& opts = {});

  // ---- identity -----------------------------------------------------------------------------
  [[nodiscard]] const info_hash& hashes() const noexcept { return hashes_; }
  [[nodiscard]] std::string_view info_bytes() const noexcept;  // raw bytes of the info dict
  [[nodiscard]] const std::string& name() const noexcept { return name_; }  // sanitised
  [[nodiscard]] bool is_v1() const noexcept { return hashes_.has_v1(); }
  [[nodiscard]] bool is_v2() const noexcept { return hashes_.has_v2(); }
  [[nodiscard]] bool is_hybrid() const noexcept { return hashes_.is_hybrid(); }
  [[nodiscard]] bool is_private() const noexcept { return private_; }
  // True when the info dict uses a "files" list or a multi-entry/directory "file tree": paths then
  // start with name()/.
  [[nodiscard]] bool is_multi_file() const noexcept { return multi_file_; }

  // ---- pieces -------------------------------------------------------------------------------
  [[nodiscard]] std::uint32_t piece_length() const noexcept { return piece_length_; }
  [[nodiscard]] std::uint32_t num_pieces() const noexcept { return num_pieces_; }
  // Size of piece i (the last may be short); 0 for i >= num_pieces().
  [[nodiscard]] std::uint32_t piece_size(std::uint32_t piece) const noexcept;
  // Total size of the piece space (pad files included) and of the real content (pad files excluded).
  [[nodiscard]] std::uint64_t total_size() const noexcept { return total_size_; }
  [[nodiscard]] std::uint64_t payload_size() const noexcept { return payload_size_; }

  // SHA-1 of v1 piece i. Precondition: is_v1() and piece < num_pieces().
  [[nodiscard]] sha1_hash piece_hash_v1(std::uint32_t piece) const noexcept;
  // The expected BEP 52 hash of piece i, if known: for a file larger than one piece, the entry of
  // its piece layer (a merkle root over piece_length/16 KiB leaves, short last piece padded with
  // zero leaves); for a file of at most one piece, the file's pieces root (a merkle root over
  // next_pow2(block count) leaves). nullopt for !is_v2(), a piece of pad only, or an unknown layer.
  [[nodiscard]] std::optional<sha256_hash> piece_hash_v2(std::uint32_t piece) const noexcept;
  // The piece layer of a file (empty if the file fits in one piece, is empty/pad, or is unknown).
  [[nodiscard]] std::span<const sha256_hash> piece_layer(std::size_t file_index) const noexcept;
  // True when every v2 file larger than one piece has its piece layer (always after parse()).
  [[nodiscard]] bool has_all_piece_layers() const noexcept;
  // Supplies a file's piece layer (from peers, BEP 52 hash messages); validated like parse() does.
  [[nodiscard]] result<void> set_piece_layer(std::size_t file_index, std::span<const sha256_hash> layer);

  // ---- files and layout ---------------------------------------------------------------------
  [[nodiscard]] const std::vector<file_entry>& files() const noexcept { return files_; }
  [[nodiscard]] std::size_t num_files() const noexcept { return files_.size(); }
  // The non-pad file byte ranges that piece `piece` bytes [offset, offset+length) cover, in order.
  // Ranges are clamped to the piece; empty files never appear. Empty result for a bad piece index.
  [[nodiscard]] std::vector<file_slice> map_block(std::uint32_t piece, std::uint32_t offset,
                                                  std::uint64_t length) const;
  // Where a file's byte `offset` lies in piece space (length clamped to the file). nullopt if the
  // file index or offset is out of range.
  [[nodiscard]] std::optional<piece_range> map_file(std::size_t file_index, std::uint64_t offset,
                                                    std::uint64_t length) const noexcept;
  // Index of the file holding byte `offset` of piece space (pad files included); nullopt past the end.
  [[nodiscard]] std::optional<std::size_t> file_at_offset(std::uint64_t offset) const noexcept;

  // ---- the rest of the .torrent ---------------------------------------------------------------
  [[nodiscard]] const std::vector<std::vector<std::string>>& trackers() const noexcept { return trackers_; }
  [[nodiscard]] const std::vector<std::string>& web_seeds() const noexcept { return web_seeds_; }
  [[nodiscard]] const std::optional<std::int64_t>& creation_date() const noexcept { return creation_date_; }
  [[nodiscard]] const std::string& comment() const noexcept { return comment_; }
  [[nodiscard]] const std::string& created_by() const noexcept { return created_by_; }
  [[nodiscard]] const std::string& source() const noexcept { return source_; }  // info.source

 private:
  friend struct torrent_info_builder;  // src/metainfo: the parser fills the fields

  std::shared_ptr<const std::string> buffer_;  // the bytes parsed (whole .torrent or info dict)
  std::size_t info_offset_ = 0;                // info dict within buffer_
  std::size_t info_size_ = 0;
  std::size_t pieces_offset_ = 0;              // v1 "pieces" payload within buffer_

  info_hash hashes_;
  std::string name_;
  bool private_ = false;
  bool multi_file_ = false;
  std::uint32_t piece_length_ = 0;
  std::uint32_t num_pieces_ = 0;
  std::uint64_t total_size_ = 0;
  std::uint64_t payload_size_ = 0;
  std::vector<file_entry> files_;
  std::vector<std::vector<sha256_hash>> piece_layers_;  // per file index (v2), empty if none/unknown

  std::vector<std::vector<std::string>> trackers_;
  std::vector<std::string> web_seeds_;
  std::optional<std::int64_t> creation_date_;
  std::string comment_;
  std::string created_by_;
  std::string source_;
};

// True when `relative_path` ('/'-separated) is safe to join to a download directory: non-empty,
// relative, no empty/"."/".." component, no backslash, no control character.
[[nodiscard]] bool path_is_safe(std::string_view relative_path) noexcept;

}  // namespace ccbt::metainfo

template <>
struct std::is_error_code_enum<ccbt::metainfo::errc> : std::true_type {};
