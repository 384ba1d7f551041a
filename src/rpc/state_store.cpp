// The daemon's torrent list in SQLite. See state_store.hpp.
#include "rpc/state_store.hpp"

#include <algorithm>
#include <charconv>

#include <ccbt/daemon.hpp>

namespace ccbt::rpc {
namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS torrents (
  id TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  torrent BLOB NOT NULL,
  save_path TEXT NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  file_priorities BLOB NOT NULL DEFAULT x'',
  strategy TEXT NOT NULL DEFAULT '',
  peers TEXT NOT NULL DEFAULT '',
  added_at INTEGER NOT NULL DEFAULT 0,
  trackers_added TEXT NOT NULL DEFAULT '',
  trackers_removed TEXT NOT NULL DEFAULT '',
  stream TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

tl::unexpected<error> fail(const error& e) {
  return tl::unexpected<error>(error{make_error_code(errc::state_db_failed), std::nullopt, e.message()});
}

std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += '\n';
    out += s;
  }
  return out;
}

std::vector<std::string> split_lines(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto nl = s.find('\n');
    out.emplace_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

// (tier, url) pairs as lines "tier url".
std::string join_trackers(const std::vector<std::pair<int, std::string>>& v) {
  std::vector<std::string> lines;
  for (const auto& [tier, url] : v) lines.push_back(std::to_string(tier) + " " + url);
  return join_lines(lines);
}

std::vector<std::pair<int, std::string>> split_trackers(std::string_view s) {
  std::vector<std::pair<int, std::string>> out;
  for (const auto& line : split_lines(s)) {
    const auto sp = line.find(' ');
    int tier = 0;
    if (sp == std::string::npos || sp == 0 || sp > 4 ||
        std::from_chars(line.data(), line.data() + sp, tier).ptr != line.data() + sp)
      continue;
    out.emplace_back(tier, line.substr(sp + 1));
  }
  return out;
}

std::string_view as_bytes(const std::vector<std::uint8_t>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

// Columns added after the first schema: (name, definition). A daemon.db made before one of them
// gets it with ALTER TABLE on open (the older rows take the default).
struct added_column {
  const char* name;
  const char* sql;
};
constexpr added_column added_columns[] = {
    {"stream", "ALTER TABLE torrents ADD COLUMN stream TEXT NOT NULL DEFAULT ''"},
};

result<void> migrate(resume::sql::database& db) {
  auto st = resume::sql::statement::prepare(db, "PRAGMA table_info(torrents)", "reading the torrents table's columns");
  if (!st) return tl::unexpected(st.error());
  std::vector<std::string> have;
  while (true) {
    auto row = st->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    have.emplace_back(st->column_text(1));
  }
  for (const auto& c : added_columns)
    if (std::find(have.begin(), have.end(), c.name) == have.end())
      if (auto r = db.exec(c.sql, "adding a column to the torrents table"); !r) return r;
  return {};
}

}  // namespace

result<state_store> state_store::open(const std::filesystem::path& path) {
  auto db = resume::sql::database::open(path);
  if (!db) return fail(db.error());
  for (const char* sql : {"PRAGMA busy_timeout = 5000", "PRAGMA synchronous = NORMAL"})
    if (auto r = db->exec(sql, "configuring daemon.db"); !r) return fail(r.error());
  auto mode = db->query_text("PRAGMA journal_mode = WAL", "enabling WAL");
  if (!mode) return fail(mode.error());
  if (auto r = db->exec(schema, "creating the torrents table"); !r) return fail(r.error());
  if (auto r = migrate(*db); !r) return fail(r.error());
  return state_store(std::move(*db));
}

result<std::vector<stored_torrent>> state_store::load() {
  auto st = resume::sql::statement::prepare(
      db_, "SELECT id, position, torrent, save_path, paused, file_priorities, strategy, peers, added_at, "
           "trackers_added, trackers_removed, stream "
           "FROM torrents ORDER BY position",
      "reading torrents");
  if (!st) return fail(st.error());
  std::vector<stored_torrent> out;
  while (true) {
    auto row = st->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    stored_torrent t;
    t.id = std::string(st->column_text(0));
    t.position = st->column_int(1);
    t.torrent = std::string(st->column_blob(2));
    t.save_path = std::string(st->column_text(3));
    t.paused = st->column_int(4) != 0;
    const auto fp = st->column_blob(5);
    t.file_priorities.assign(fp.begin(), fp.end());
    t.strategy = std::string(st->column_text(6));
    t.peers = split_lines(st->column_text(7));
    t.added_at = st->column_int(8);
    t.trackers_added = split_trackers(st->column_text(9));
    t.trackers_removed = split_lines(st->column_text(10));
    t.stream = std::string(st->column_text(11));
    out.push_back(std::move(t));
  }
  return out;
}

result<std::int64_t> state_store::put(stored_torrent t) {
  if (t.position < 0) {
    auto max = db_.query_int("SELECT coalesce(max(position), -1) FROM torrents", "reading positions");
    if (!max) return fail(max.error());
    t.position = *max + 1;
  }
  auto st = resume::sql::statement::prepare(
      db_, "INSERT OR REPLACE INTO torrents (id, position, torrent, save_path, paused, file_priorities, strategy, "
           "peers, added_at, trackers_added, trackers_removed, stream) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
      "storing a torrent");
  if (!st) return fail(st.error());
  st->bind_text(1, t.id)
      .bind(2, t.position)
      .bind_blob(3, std::string_view(t.torrent))
      .bind_text(4, t.save_path)
      .bind(5, t.paused ? 1 : 0)
      .bind_blob(6, as_bytes(t.file_priorities))
      .bind_text(7, t.strategy)
      .bind_text(8, join_lines(t.peers))
      .bind(9, t.added_at)
      .bind_text(10, join_trackers(t.trackers_added))
      .bind_text(11, join_lines(t.trackers_removed))
      .bind_text(12, t.stream);
  if (auto r = st->run(); !r) return fail(r.error());
  return t.position;
}

result<void> state_store::update(const char* sql, const std::string& id, std::string_view value, std::string_view what) {
  auto st = resume::sql::statement::prepare(db_, sql, what);
  if (!st) return fail(st.error());
  st->bind_text(1, id);
  if (!value.empty() || std::string_view(sql).find("?2") != std::string_view::npos) st->bind_blob(2, value);
  if (auto r = st->run(); !r) return fail(r.error());
  return {};
}

result<void> state_store::remove(const std::string& id) {
  return update("DELETE FROM torrents WHERE id = ?1", id, {}, "removing a torrent");
}

result<void> state_store::set_paused(const std::string& id, bool paused) {
  return update(paused ? "UPDATE torrents SET paused = 1 WHERE id = ?1" : "UPDATE torrents SET paused = 0 WHERE id = ?1",
                id, {}, "storing the paused flag");
}

result<void> state_store::set_file_priorities(const std::string& id, const std::vector<std::uint8_t>& p) {
  return update("UPDATE torrents SET file_priorities = ?2 WHERE id = ?1", id, as_bytes(p), "storing file priorities");
}

result<void> state_store::set_strategy(const std::string& id, const std::string& strategy) {
  auto st = resume::sql::statement::prepare(db_, "UPDATE torrents SET strategy = ?2 WHERE id = ?1", "storing the strategy");
  if (!st) return fail(st.error());
  st->bind_text(1, id).bind_text(2, strategy);
  if (auto r = st->run(); !r) return fail(r.error());
  return {};
}

result<void> state_store::set_stream(const std::string& id, const std::string& stream) {
  auto st = resume::sql::statement::prepare(db_, "UPDATE torrents SET stream = ?2 WHERE id = ?1", "storing the stream setting");
  if (!st) return fail(st.error());
  st->bind_text(1, id).bind_text(2, stream);
  if (auto r = st->run(); !r) return fail(r.error());
  return {};
}

result<void> state_store::set_peers(const std::string& id, const std::vector<std::string>& peers) {
  auto st = resume::sql::statement::prepare(db_, "UPDATE torrents SET peers = ?2 WHERE id = ?1", "storing peers");
  if (!st) return fail(st.error());
  st->bind_text(1, id).bind_text(2, join_lines(peers));
  if (auto r = st->run(); !r) return fail(r.error());
  return {};
}

result<void> state_store::set_trackers(const std::string& id, const std::vector<std::pair<int, std::string>>& added,
                                       const std::vector<std::string>& removed) {
  auto st = resume::sql::statement::prepare(
      db_, "UPDATE torrents SET trackers_added = ?2, trackers_removed = ?3 WHERE id = ?1", "storing trackers");
  if (!st) return fail(st.error());
  st->bind_text(1, id).bind_text(2, join_trackers(added)).bind_text(3, join_lines(removed));
  if (auto r = st->run(); !r) return fail(r.error());
  return {};
}

result<std::vector<std::pair<std::string, std::string>>> state_store::load_settings() {
  auto st = resume::sql::statement::prepare(db_, "SELECT key, value FROM settings ORDER BY key", "reading settings");
  if (!st) return fail(st.error());
  std::vector<std::pair<std::string, std::string>> out;
  while (true) {
    auto row = st->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    out.emplace_back(std::string(st->column_text(0)), std::string(st->column_text(1)));
  }
  return out;
}

result<void> state_store::set_setting(const std::string& key, const std::string& value) {
  auto st = resume::sql::statement::prepare(db_, "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
                                            "storing a setting");
  if (!st) return fail(st.error());
  st->bind_text(1, key).bind_text(2, value);
  if (auto r = st->run(); !r) return fail(r.error());
  return {};
}

result<void> state_store::erase_setting(const std::string& key) {
  auto st = resume::sql::statement::prepare(db_, "DELETE FROM settings WHERE key = ?1", "removing a setting");
  if (!st) return fail(st.error());
  st->bind_text(1, key);
  if (auto r = st->run(); !r) return fail(r.error());
  return {};
}

}  // namespace ccbt::rpc
