#include "resume/schema.hpp"

#include <string>

namespace ccbt::resume::schema {
namespace {

// Version 1: torrents with their metainfo, settings, files and verified pieces; session settings.
constexpr const char* v1_sql = R"sql(
PRAGMA application_id = 1667457652;
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE torrents (
  id             INTEGER PRIMARY KEY,
  info_hash_v1   BLOB UNIQUE CHECK (info_hash_v1 IS NULL OR length(info_hash_v1) = 20),
  info_hash_v2   BLOB UNIQUE CHECK (info_hash_v2 IS NULL OR length(info_hash_v2) = 32),
  name           TEXT NOT NULL DEFAULT '',
  save_path      TEXT NOT NULL,
  metainfo       BLOB,
  magnet_uri     TEXT,
  piece_count    INTEGER NOT NULL DEFAULT 0 CHECK (piece_count >= 0),
  state          TEXT NOT NULL,
  queue_position INTEGER NOT NULL DEFAULT 0,
  added_at       INTEGER NOT NULL,
  CHECK (info_hash_v1 IS NOT NULL OR info_hash_v2 IS NOT NULL)
);
CREATE TABLE torrent_settings (
  torrent_id INTEGER NOT NULL REFERENCES torrents(id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (torrent_id, key)
) WITHOUT ROWID;
CREATE TABLE files (
  torrent_id INTEGER NOT NULL REFERENCES torrents(id) ON DELETE CASCADE,
  file_index INTEGER NOT NULL CHECK (file_index >= 0),
  size       INTEGER,
  mtime_ns   INTEGER,
  priority   INTEGER NOT NULL DEFAULT 4,
  PRIMARY KEY (torrent_id, file_index)
) WITHOUT ROWID;
CREATE TABLE piece_bitfields (
  torrent_id INTEGER PRIMARY KEY REFERENCES torrents(id) ON DELETE CASCADE,
  bits       BLOB NOT NULL
);
CREATE TABLE verified_pieces (
  torrent_id INTEGER NOT NULL REFERENCES torrents(id) ON DELETE CASCADE,
  piece      INTEGER NOT NULL CHECK (piece >= 0),
  PRIMARY KEY (torrent_id, piece)
) WITHOUT ROWID;
CREATE TABLE session_settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('schema_version', '0');
INSERT INTO meta (key, value) VALUES ('created_at', CAST(strftime('%s', 'now') AS TEXT));
)sql";

const migration steps_of_this_build[] = {
    {"v1: torrents, settings, files, piece bitfields and journal, session settings",
     [](sql::database& db) { return db.exec(v1_sql, "creating schema v1"); }},
};

result<std::int64_t> parse_version(std::string_view text) {
  std::int64_t v = 0;
  if (text.empty() || text.size() > 9) return make_error(errc::corrupt_record, "meta.schema_version");
  for (char c : text) {
    if (c < '0' || c > '9') return make_error(errc::corrupt_record, "meta.schema_version");
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::span<const migration> migrations() { return steps_of_this_build; }

std::int64_t current_version() { return static_cast<std::int64_t>(migrations().size()); }

result<std::int64_t> read_version(sql::database& db) {
  // The first read of the header: a file that is not SQLite fails here with not_a_database.
  auto app = db.query_int("PRAGMA application_id", "reading the database header");
  if (!app) return tl::unexpected(std::move(app.error()));
  auto objects = db.query_int("SELECT count(*) FROM sqlite_schema", "reading the schema");
  if (!objects) return tl::unexpected(std::move(objects.error()));

  if (*app == 0 && *objects == 0) return 0;  // empty: a new store
  if (*app != application_id) {
    return make_error(errc::foreign_database,
                      db.path() + ": application_id " + std::to_string(*app) + ", " +
                          std::to_string(*objects) + " schema objects");
  }
  auto text = db.query_text("SELECT value FROM meta WHERE key = 'schema_version'",
                            "reading meta.schema_version");
  if (!text) {
    return tl::unexpected(std::move(text.error()));
  }
  return parse_version(*text);
}

result<std::int64_t> upgrade(sql::database& db, std::span<const migration> steps) {
  const auto target = static_cast<std::int64_t>(steps.size());
  auto found = read_version(db);
  if (!found) return found;
  if (*found > target) {
    return make_error(errc::schema_too_new,
                      db.path() + ": schema version " + std::to_string(*found) +
                          ", this ccbt reads versions up to " + std::to_string(target));
  }
  for (;;) {
    auto tx = sql::transaction::begin(db, "starting a schema upgrade");
    if (!tx) return tl::unexpected(std::move(tx.error()));
    // Read again inside the write lock: another process may have upgraded meanwhile.
    auto now = read_version(db);
    if (!now) return now;
    if (*now > target) {
      return make_error(errc::schema_too_new,
                        db.path() + ": schema version " + std::to_string(*now) +
                            ", this ccbt reads versions up to " + std::to_string(target));
    }
    if (*now == target) break;  // the transaction rolls back: nothing to write
    const auto& step = steps[static_cast<std::size_t>(*now)];
    const std::string what = "upgrading schema version " + std::to_string(*now) + " to " +
                             std::to_string(*now + 1) + " (" + std::string(step.description) + ")";
    if (auto r = step.apply(db); !r) {
      auto e = std::move(r.error());
      e.context = what + ": " + e.context;
      if (e.code != errc::io_error && e.code != errc::busy) e.code = errc::migration_failed;
      return tl::unexpected(std::move(e));
    }
    auto fk = db.query_text("PRAGMA foreign_key_check", what);
    if (!fk) return tl::unexpected(std::move(fk.error()));
    if (!fk->empty()) return make_error(errc::migration_failed, what + ": foreign key violations in " + *fk);
    auto bump = sql::statement::prepare(
        db, "UPDATE meta SET value = ?1 WHERE key = 'schema_version'", what);
    if (!bump) return tl::unexpected(std::move(bump.error()));
    bump->bind_text(1, std::to_string(*now + 1));
    if (auto r = bump->run(); !r) return tl::unexpected(std::move(r.error()));
    if (db.changes() != 1) return make_error(errc::migration_failed, what + ": no meta row");
    if (auto r = tx->commit(); !r) return tl::unexpected(std::move(r.error()));
  }
  return found;
}

}  // namespace ccbt::resume::schema
