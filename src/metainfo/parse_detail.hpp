// Internals of the metainfo parser: file lists extracted from the v1 "files"/"length" keys and
// from the v2 "file tree", before they are combined into a torrent_info's layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ccbt/bencode.hpp>
#include <ccbt/error.hpp>
#include <ccbt/hash.hpp>
#include <ccbt/metainfo.hpp>

namespace ccbt::metainfo::detail {

// Sizes beyond this (the sum of all files, pad files included) are rejected as overflowing.
inline constexpr std::uint64_t k_max_total_size = std::uint64_t{1} << 60;
// libtorrent's limit (INT_MAX / 2); more than any real torrent uses.
inline constexpr std::int64_t k_max_piece_length = 0x3fffffff;
inline constexpr std::int64_t k_min_v2_piece_length = 16384;

struct raw_file {
  std::vector<std::string> path;     // sanitised components, the root directory included
  std::uint64_t size = 0;
  std::uint8_t flags = 0;            // file_flags
  std::vector<std::string> symlink;  // sanitised target components (relative to the root dir)
  std::optional<sha256_hash> root;   // v2 pieces root (non-empty, non-symlink files)
  std::optional<std::int64_t> mtime;
  std::string context;               // where it was declared, for error messages
  std::size_t input_offset = 0;
};

struct file_list {
  std::vector<raw_file> files;
  bool multi_file = false;
  std::uint64_t total_size = 0;      // sum of sizes (pad files included)
};

// v1: "files" (multi-file) or "length" (single file) of the info dict. `name` is the sanitised
// torrent name (never empty for a multi-file torrent).
[[nodiscard]] result<file_list> extract_v1_files(bencode::node info, const std::string& name,
                                                 const parse_options& opts);

// v2: the "file tree" (pad files are not part of it). `has_files_list`: the info dict also has a
// v1 "files" list, which makes even a one-file tree a multi-file torrent (as libtorrent does).
[[nodiscard]] result<file_list> extract_v2_files(bencode::node tree, const std::string& name,
                                                 bool has_files_list, const parse_options& opts);

}  // namespace ccbt::metainfo::detail
