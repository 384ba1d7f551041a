// Value types of the resume store: what is persisted per torrent and per file.
//
// The store knows torrents only by info-hash and by the id it assigns; it never parses metainfo
// (the bytes are kept as an opaque blob that the session parses again on restart).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ccbt/hash.hpp>

#include "resume/bitfield.hpp"

namespace ccbt::resume {

// Row id of a torrent in the store; stable for as long as the torrent is stored.
enum class torrent_id : std::int64_t {};

// What the torrent was doing, so a restart puts it back. Stored as text ("paused", ...).
enum class torrent_state : std::uint8_t { paused, queued, downloading, seeding, checking };

[[nodiscard]] std::string_view to_string(torrent_state s) noexcept;
[[nodiscard]] std::optional<torrent_state> parse_state(std::string_view s) noexcept;

using settings_map = std::map<std::string, std::string, std::less<>>;

struct torrent_record {
  info_hash hash;                 // v1, v2 or both; at least one
  std::string name;
  std::string save_path;
  std::string metainfo;           // bencoded .torrent or info dict; empty while only a magnet is known
  std::string magnet_uri;         // how it was added when added by magnet, else empty
  std::uint32_t piece_count = 0;  // 0 until the metadata is known
  torrent_state state = torrent_state::queued;
  std::int64_t queue_position = 0;
  std::int64_t added_at = 0;      // unix seconds
  settings_map settings;          // per-torrent overrides (key -> value text, as config writes them)

  friend bool operator==(const torrent_record&, const torrent_record&) = default;
};

// A file's size and modification time as stat() saw them.
struct file_stat {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  // nanoseconds since the Unix epoch

  friend bool operator==(const file_stat&, const file_stat&) = default;
};

struct file_record {
  std::uint32_t index = 0;           // position in the torrent's file list
  std::int32_t priority = 4;         // 0 = skip, 1..7 (libtorrent's scale; 4 = normal)
  std::optional<file_stat> stat;     // as last recorded; nullopt: not recorded or did not exist

  friend bool operator==(const file_record&, const file_record&) = default;
};

// One file as found on disk now: stat nullopt when the file does not exist.
struct disk_file {
  std::uint32_t index = 0;
  std::optional<file_stat> stat;
};

// Everything stored about one torrent, as load() returns it.
struct torrent_resume {
  torrent_id id{};
  torrent_record record;
  bitfield verified;               // size() == record.piece_count
  std::vector<file_record> files;  // ascending index
};

struct snapshot {
  std::vector<torrent_resume> torrents;  // ascending id
  settings_map session_settings;
};

}  // namespace ccbt::resume
