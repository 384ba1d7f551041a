// ccbt::storage errors: the module's errc enum and its std::error_category.
//
// I/O failures carry the OS errno in std::system_category() instead (context: the operation and the
// file's path relative to the download directory); these values are the storage layer's own.
#pragma once

#include <string>
#include <system_error>

#include <ccbt/error.hpp>

namespace ccbt::storage {

enum class errc {
  unknown_storage = 1,  // no storage with that index (never added, or removed)
  storage_removed,      // the storage is being removed; the operation was dropped
  invalid_piece,        // piece index out of range
  invalid_block,        // a write that is not one whole 16 KiB block (the piece's last may be short)
  invalid_read,         // a read outside the piece, empty, or larger than max_read_bytes
  unsafe_path,          // a file path that would leave the download directory
  symlink_in_path,      // a path component inside the download directory is a symbolic link
  data_unavailable,     // bytes needed for hashing were discarded (unwanted file) or never stored
  file_too_short,       // a file on disk is shorter than the range read from it
  cancelled,            // the operation was cancelled (recheck, cleared piece)
};

[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

// An OS error (errno) as a ccbt::error whose context names the operation and file.
[[nodiscard]] inline ccbt::error sys_error(int err, std::string context) {
  return ccbt::error{std::error_code(err, std::system_category()), std::nullopt, std::move(context)};
}
[[nodiscard]] inline ccbt::error storage_error(errc e, std::string context = {}) {
  return ccbt::error{make_error_code(e), std::nullopt, std::move(context)};
}

}  // namespace ccbt::storage

template <>
struct std::is_error_code_enum<ccbt::storage::errc> : std::true_type {};
