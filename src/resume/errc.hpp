// Error codes of the resume store (ccbt::resume): opening, migrating, reading and writing the
// SQLite database that holds fast-resume and session state.
//
// Every value has a human message (category "resume"); ccbt::error::context carries the file or
// record and SQLite's own words, e.g. "resume: file is not an SQLite database (/x/resume.db: file
// is not a database)".
#pragma once

#include <system_error>

namespace ccbt::resume {

enum class errc {
  open_failed = 1,     // the file cannot be opened or created (permissions, missing directory)
  not_a_database,      // the file exists but is not an SQLite database
  foreign_database,    // an SQLite database that is not a ccbt resume store
  corrupt,             // SQLite reports the database as malformed
  schema_too_new,      // written by a newer ccbt: its schema version is above what we know
  migration_failed,    // an upgrade step failed; the database is left at its old version
  io_error,            // a read or write failed (disk full, I/O error, read-only file system)
  busy,                // another process holds the database lock past the busy timeout
  unknown_torrent,     // no torrent with that id in the store
  duplicate_torrent,   // a torrent with the same v1 or v2 info-hash is already stored
  invalid_argument,    // a piece index out of range, no info-hash, a bitfield of the wrong size
  corrupt_record,      // a row holds values no ccbt writes (bad state, bitfield length mismatch)
  schema_mismatch,     // a table or column the schema version promises is missing
  closed,              // the store was closed
};

[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

}  // namespace ccbt::resume

template <>
struct std::is_error_code_enum<ccbt::resume::errc> : std::true_type {};
