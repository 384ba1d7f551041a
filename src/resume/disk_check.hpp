// Checking recorded file state against the disk on restart.
//
// On load the session stats every file of a torrent, passes the result here with the records
// the store returned, and rechecks only the verified pieces that touch a file whose size or mtime
// differs from what was recorded; the pieces of unchanged files are trusted without reading them.
// (See resume.md for why a crash leaves the files that were being written "changed".)
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include <ccbt/error.hpp>

#include "resume/bitfield.hpp"
#include "resume/types.hpp"

namespace ccbt::resume {

enum class file_verdict : std::uint8_t {
  unchanged,      // same size and mtime as recorded (or absent both times)
  size_changed,   // exists, size differs
  mtime_changed,  // exists, same size, mtime differs
  missing,        // recorded as present, now absent
  appeared,       // present, but nothing was recorded for it (never recorded or absent then)
};

struct file_change {
  std::uint32_t index = 0;
  file_verdict verdict = file_verdict::unchanged;
  friend bool operator==(const file_change&, const file_change&) = default;
};

// One verdict per entry of `on_disk` that is not unchanged, in on_disk's order. Records without
// a matching on_disk entry are ignored (the caller's file list is the authority).
[[nodiscard]] std::vector<file_change> validate_against_disk(std::span<const file_record> recorded,
                                                             std::span<const disk_file> on_disk);

// stat() of one file: nullopt if it does not exist; errc::io_error for any other failure
// (permission denied, a path component that is a file, ...).
[[nodiscard]] result<std::optional<file_stat>> stat_file(const std::filesystem::path& path);

// A file's place in the torrent's byte space (v2/hybrid: the padded, piece-aligned layout).
struct byte_range {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// The pieces set in `verified` that overlap any of `changed` (ascending, no duplicates): the ones
// to hash again. Empty ranges touch nothing. piece_length > 0 is required.
[[nodiscard]] std::vector<std::uint32_t> pieces_to_recheck(const bitfield& verified,
                                                           std::span<const byte_range> changed,
                                                           std::uint64_t piece_length);

}  // namespace ccbt::resume
