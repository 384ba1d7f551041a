// The invariants every parsed torrent_info must satisfy (include/ccbt/metainfo.hpp), checked by the
// unit tests on every corpus torrent and by the fuzz target on every input that parses.
// Header-only and test-framework free: check_invariants() returns the first violation, or "".
#pragma once

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>

#include <ccbt/metainfo.hpp>

#include "crypto/sha.hpp"

namespace ccbt::metainfo::testing {

inline std::string lower_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// `max_mapped_pieces` bounds the map_block() sweep (the first and last pieces are checked).
inline std::string check_invariants(const torrent_info& ti, std::uint32_t max_mapped_pieces = 100000) {
  const auto& files = ti.files();
  const std::uint64_t plen = ti.piece_length();
  if (files.empty()) return "no files";
  if (plen == 0) return "piece length 0";
  if (ti.total_size() == 0) return "total size 0";
  if (ti.num_pieces() != (ti.total_size() + plen - 1) / plen) return "num_pieces != ceil(total / piece length)";
  if (!ti.is_v1() && !ti.is_v2()) return "no info-hash";
  if (ti.is_v1() && crypto::sha1_digest(ti.info_bytes()) != *ti.hashes().v1) return "v1 hash is not SHA-1(info)";
  if (ti.is_v2() && crypto::sha256_digest(ti.info_bytes()) != *ti.hashes().v2) return "v2 hash is not SHA-256(info)";
  if (!path_is_safe(ti.name()) || ti.name().find('/') != std::string::npos) return "unsafe name: " + ti.name();

  std::uint64_t offset = 0, payload = 0;
  std::set<std::string> paths, dirs;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    const std::string where = "file " + std::to_string(i) + " (" + f.path + "): ";
    if (f.offset != offset) return where + "offset is not the sum of the sizes before it";
    if (!path_is_safe(f.path)) return where + "unsafe path";
    std::string joined;
    for (const auto& c : f.path_components) joined += (joined.empty() ? "" : "/") + c;
    if (joined != f.path) return where + "path != joined components";
    if (ti.is_multi_file() && f.path_components.front() != ti.name()) return where + "not under the name directory";
    if (!ti.is_multi_file() && !f.pad() && f.path_components.size() != 1) return where + "single-file path with directories";
    if (f.first_piece != offset / plen) return where + "first_piece";
    const std::uint64_t end = f.size == 0 ? f.first_piece : (offset + f.size - 1) / plen + 1;
    if (f.end_piece != end) return where + "end_piece";
    if (f.symlink() && (f.size != 0 || !path_is_safe(f.symlink_target))) return where + "bad symlink";
    if (f.pad() && f.symlink()) return where + "pad symlink";
    if (!f.pad()) {
      payload += f.size;
      if (!paths.insert(lower_ascii(f.path)).second) return where + "duplicate path";
      std::string dir;
      for (std::size_t k = 0; k + 1 < f.path_components.size(); ++k) {
        dir += (k ? "/" : "") + f.path_components[k];
        dirs.insert(lower_ascii(dir));
      }
      if (ti.is_v2() && f.size > 0) {
        if (f.offset % plen != 0) return where + "v2 file not piece-aligned";
        if (!f.pieces_root) return where + "v2 file without pieces root";
        const auto r = ti.map_file(i, 0, 1);
        if (!r || r->piece != f.first_piece || r->offset != 0) return where + "map_file";
      }
    }
    offset += f.size;
  }
  for (const auto& p : paths)
    if (dirs.count(p) != 0) return "a file has the path of a directory: " + p;
  if (offset != ti.total_size()) return "sizes do not add up to total_size";
  if (payload != ti.payload_size()) return "payload_size";

  // map_block over whole pieces: the slices cover exactly the non-pad bytes of the piece, in order.
  const auto check_piece = [&](std::uint32_t p) -> std::string {
    const std::uint32_t size = ti.piece_size(p);
    if (size == 0 || size > plen) return "piece " + std::to_string(p) + " size";
    const std::uint64_t start = std::uint64_t{p} * plen;
    std::uint64_t pad_bytes = 0;
    for (const auto& f : files) {
      if (!f.pad()) continue;
      const std::uint64_t lo = std::max(start, f.offset), hi = std::min(start + size, f.offset + f.size);
      if (hi > lo) pad_bytes += hi - lo;
    }
    std::uint64_t covered = 0, last_abs = start;
    for (const auto& s : ti.map_block(p, 0, size)) {
      if (s.file_index >= files.size()) return "slice file index";
      const auto& f = files[s.file_index];
      if (f.pad() || s.length == 0 || s.file_offset + s.length > f.size) return "bad slice in piece " + std::to_string(p);
      if (f.offset + s.file_offset < last_abs) return "slices out of order in piece " + std::to_string(p);
      last_abs = f.offset + s.file_offset + s.length;
      covered += s.length;
    }
    if (covered + pad_bytes != size) return "map_block does not cover piece " + std::to_string(p);
    if (ti.is_v2() && ti.has_all_piece_layers() && !ti.piece_hash_v2(p)) return "no v2 hash for piece " + std::to_string(p);
    return {};
  };
  const std::uint32_t n = ti.num_pieces();
  for (std::uint32_t p = 0; p < n; ++p) {
    if (n > max_mapped_pieces && p == max_mapped_pieces / 2) p = n - max_mapped_pieces / 2;
    if (auto e = check_piece(p); !e.empty()) return e;
  }
  if (!ti.map_block(n, 0, 1).empty()) return "map_block past the end";
  return {};
}

}  // namespace ccbt::metainfo::testing
