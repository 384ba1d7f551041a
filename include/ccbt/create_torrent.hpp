// Torrent creation: a file or folder on disk -> a v1, v2 (BEP 52) or hybrid .torrent.
//
// For the same input and options the info dict is byte-for-byte the one libtorrent 2.0's
// create_torrent produces (file order, pad files, attributes, automatic piece size), so the
// info-hashes are equal; docs/design/creator.md lists the rules. Hashing reads every file once,
// on `threads` worker threads (v1 SHA-1 and v2 SHA-256 in the same pass for hybrid torrents).
//
// Invariants: create() either returns a complete torrent or an error whose context names the file
// (unreadable file, file that changed size while it was hashed, empty input, cancelled); it never
// writes anything to disk. The progress callback runs on the calling thread, never concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include <ccbt/error.hpp>
#include <ccbt/hash.hpp>

namespace ccbt::creator {

enum class errc {
  not_found = 1,         // the input path does not exist
  unsupported_file,      // the input is neither a regular file nor a directory
  no_data,               // nothing to hash: no file, or only empty files
  invalid_piece_length,  // piece length not allowed for this torrent kind
  invalid_option,        // a malformed option (empty tracker URL, too many threads, ...)
  read_failed,           // a file or directory could not be opened or read
  file_changed,          // a file's size changed between the scan and its hashing
  symlink_loop,          // a directory symlink leads back to one of its ancestors
  too_large,             // more pieces or bytes than a torrent can describe
  cancelled,             // the cancel flag was raised
};

[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

enum class torrent_kind { v1, v2, hybrid };

struct create_options {
  torrent_kind kind = torrent_kind::hybrid;
  // 0 = automatic (libtorrent's rule: 16 KiB doubling with the total size, at most 16 MiB).
  // v2/hybrid: a power of two >= 16 KiB. v1: a multiple of 16 KiB or a power of two.
  std::uint64_t piece_length = 0;
  // Tracker tiers in order: trackers[0] is tier 0. Duplicate URLs are dropped (first one wins).
  std::vector<std::vector<std::string>> trackers;
  std::vector<std::string> web_seeds;  // BEP 19 url-list
  bool is_private = false;             // BEP 27 (inside the info dict)
  std::string comment;
  std::string source;                  // info dict "source" (changes the info-hash), empty = none
  std::string created_by = "ccbt/0.1.0";
  std::optional<std::int64_t> creation_date;  // seconds since the epoch; nullopt = no key
  unsigned threads = 0;                       // hashing threads; 0 = hardware concurrency
  // Called on the calling thread about every 100 ms and once at the end with done == total.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  const std::atomic<bool>* cancel = nullptr;  // raised -> errc::cancelled as soon as possible
};

struct created_torrent {
  std::string data;       // the complete bencoded .torrent
  std::string info_dict;  // the bencoded info dict exactly as it appears inside `data`
  info_hash hashes;       // v1 and/or v2, depending on the kind
  std::string name;
  torrent_kind kind = torrent_kind::hybrid;
  std::uint64_t piece_length = 0;
  std::uint64_t num_pieces = 0;  // pieces over the whole torrent (pad files included)
  std::uint64_t total_size = 0;  // bytes of file data (pad files excluded)
  std::size_t num_files = 0;     // files in the torrent (pad files excluded, empty files included)
};

// Scans `root` (a file or a folder), hashes it and builds the torrent.
[[nodiscard]] result<created_torrent> create(const std::filesystem::path& root, const create_options& opts);

// The same, returning only the .torrent bytes.
[[nodiscard]] result<std::string> create_torrent(const std::filesystem::path& root, const create_options& opts);

// libtorrent's automatic piece length for `total_size` bytes of file data.
[[nodiscard]] std::uint64_t auto_piece_length(std::uint64_t total_size) noexcept;

}  // namespace ccbt::creator

template <>
struct std::is_error_code_enum<ccbt::creator::errc> : std::true_type {};
