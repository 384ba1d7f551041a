// The resume database's schema and its migrations.
//
// A resume database is an SQLite file whose header carries application_id 'ccbt' and whose
// `meta` table holds `schema_version`. migrations()[i] takes version i to version i + 1 (version 0
// is an empty file), so a fresh file and an old file go through the same code path. Each step runs
// in its own IMMEDIATE transaction that also bumps schema_version: a failed or interrupted step
// leaves the database at the previous version, intact. A database whose version is newer than this
// build knows is refused (errc::schema_too_new), never modified; an SQLite file that is not ours
// (another application_id, or tables but no ccbt header) is refused (errc::foreign_database)
// before anything is written to it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include <ccbt/error.hpp>

#include "resume/sqlite.hpp"

namespace ccbt::resume::schema {

inline constexpr std::int64_t application_id = 0x63636274;  // "ccbt"

struct migration {
  std::string_view description;
  std::function<result<void>(sql::database&)> apply;  // runs inside the step's transaction
};

// The steps of this build; current_version() == migrations().size().
[[nodiscard]] std::span<const migration> migrations();
[[nodiscard]] std::int64_t current_version();

// The database's schema version: 0 for an empty file. Fails with foreign_database,
// not_a_database or corrupt without writing anything.
[[nodiscard]] result<std::int64_t> read_version(sql::database& db);

// Brings `db` to version steps.size() (see the top of this file). Returns the version found
// before upgrading.
[[nodiscard]] result<std::int64_t> upgrade(sql::database& db,
                                           std::span<const migration> steps = migrations());

}  // namespace ccbt::resume::schema
