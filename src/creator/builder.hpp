// build_torrent(): the pure part of torrent creation — a layout, its hashes and the options become
// the bencoded .torrent, with exactly the keys libtorrent 2.0's create_torrent::generate() writes.
//
// No I/O. The info dict holds: name, piece length, private, source, and per kind: v1 "length"/"attr"
// (single file) or "files" (pad files included, attr "p"/"x"), "pieces"; v2 "file tree" (no pad
// files; empty files without "pieces root"), "meta version". Outside it: announce, announce-list
// (only with more than one URL), comment, created by, creation date, url-list (a string for one
// URL), piece layers (v2: files of two pieces or more; the key is always present).
#pragma once

#include <string>

#include <ccbt/bencode.hpp>
#include <ccbt/create_torrent.hpp>
#include <ccbt/hash.hpp>

#include "creator/hasher.hpp"
#include "creator/layout.hpp"

namespace ccbt::creator {

struct built_torrent {
  std::string data;       // the .torrent
  std::string info_dict;  // bencoded info dict
  info_hash hashes;
};

// Preconditions: `hashes` came from hash_files(l, ...) (sizes match the layout).
[[nodiscard]] result<built_torrent> build_torrent(const layout& l, const torrent_hashes& hashes,
                                                  const create_options& opts);

// The info dict alone (exported for tests).
[[nodiscard]] bencode::value build_info(const layout& l, const torrent_hashes& hashes, const create_options& opts);

// Validates the metadata options (trackers, web seeds, threads) before any hashing.
[[nodiscard]] result<void> check_options(const create_options& opts);

}  // namespace ccbt::creator
