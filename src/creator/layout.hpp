// The file list of a torrent being created: what scan() finds on disk and how make_layout() orders
// it and inserts pad files, following libtorrent 2.0's add_files() + file_storage::canonicalize().
//
// scan() reads directories (and lstat/stat) but never file contents. make_layout() is pure.
// Invariants of a layout: files are in torrent order; offsets are contiguous from 0 (pads included);
// in a v2/hybrid multi-file layout every non-empty file starts on a piece boundary; total_size is
// the end of the last file; content_size excludes pad files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <ccbt/create_torrent.hpp>
#include <ccbt/error.hpp>

namespace ccbt::creator {

struct input_file {
  std::vector<std::string> path;  // components below the torrent name; empty for a single-file torrent
  std::uint64_t size = 0;
  bool executable = false;        // S_IXUSR of lstat() (libtorrent's attr "x")
  std::filesystem::path disk_path;
};

struct scanned_tree {
  std::string name;
  bool multi_file = false;  // true for any folder, even with one file (libtorrent's rule)
  std::vector<input_file> files;  // in directory-listing order, depth first
};

// Walks `root` the way libtorrent's add_files() does: directory entries in readdir order, symlinks
// followed (dangling ones skipped), "." and ".." skipped, hidden files kept. Only regular files are
// taken (fifos, sockets and devices are skipped). A directory symlink pointing to one of its own
// ancestors is an error (errc::symlink_loop).
[[nodiscard]] result<scanned_tree> scan(const std::filesystem::path& root);

struct layout_file {
  std::vector<std::string> path;  // below the name; a pad file is {".pad", "<size>"}
  std::uint64_t size = 0;
  std::uint64_t offset = 0;       // in the torrent's byte space
  bool pad = false;
  bool executable = false;
  std::filesystem::path disk_path;  // empty for pad files
};

struct layout {
  std::string name;
  bool multi_file = false;
  torrent_kind kind = torrent_kind::hybrid;
  std::uint64_t piece_length = 0;
  std::vector<layout_file> files;
  std::uint64_t content_size = 0;  // sum of the real files' sizes
  std::uint64_t total_size = 0;    // the torrent's byte space, pad files included

  [[nodiscard]] bool has_v1() const noexcept { return kind != torrent_kind::v2; }
  [[nodiscard]] bool has_v2() const noexcept { return kind != torrent_kind::v1; }
  [[nodiscard]] std::uint64_t num_pieces() const noexcept {
    return (total_size + piece_length - 1) / piece_length;
  }
};

// At most this many pieces: libtorrent refuses to load torrents with more (load_torrent_limits).
inline constexpr std::uint64_t max_pieces = std::uint64_t{1} << 21;

// Checks a piece length for a kind (0 is never valid here; resolve "auto" first).
[[nodiscard]] bool valid_piece_length(torrent_kind kind, std::uint64_t piece_length) noexcept;

// Orders the files (v2/hybrid: sorted by path, component by component, bytewise; v1: scan order),
// inserts pad files (v2/hybrid multi-file: after every non-empty file that does not end on a piece
// boundary, the last one included) and computes offsets. piece_length 0 = auto_piece_length().
[[nodiscard]] result<layout> make_layout(scanned_tree tree, torrent_kind kind, std::uint64_t piece_length);

// libtorrent's path_compare(): component-wise, each component compared as bytes.
[[nodiscard]] bool path_less(const std::vector<std::string>& a, const std::vector<std::string>& b) noexcept;

}  // namespace ccbt::creator
