// state_store — the daemon's torrent list in SQLite (<state_dir>/daemon.db): for each torrent its
// .torrent bytes, save path, paused flag, file priorities, strategy, the peers it was given and
// its position in the list, its streaming setting; plus settings overridden through the API.
// A daemon.db from an older version gets the columns added since (ALTER TABLE) when opened.
//
// Every mutation is one committed transaction before it returns (WAL, synchronous=NORMAL): once
// the daemon answers a request, the change survives kill -9. Piece state is not here — that is the
// session's resume store (settings::resume_db). Not thread-safe: the daemon calls it from its API
// thread only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ccbt/error.hpp>

#include "resume/sqlite.hpp"

namespace ccbt::rpc {

struct stored_torrent {
  std::string id;                       // info_hash::id() in hex
  std::int64_t position = 0;            // list order
  std::string torrent;                  // the .torrent file's bytes
  std::string save_path;
  bool paused = false;
  std::vector<std::uint8_t> file_priorities;  // empty: all default
  std::string strategy;                 // "" = the session default
  std::vector<std::string> peers;       // "host:port" given when added or later
  std::int64_t added_at = 0;            // unix seconds
  std::vector<std::pair<int, std::string>> trackers_added;  // (tier, url) added through the API
  std::vector<std::string> trackers_removed;                // urls removed through the API
  std::string stream;                   // "FILE:OFFSET" to stream (stream_setting.hpp), "" = none
};

class state_store {
 public:
  [[nodiscard]] static result<state_store> open(const std::filesystem::path& path);

  // In list order.
  [[nodiscard]] result<std::vector<stored_torrent>> load();
  // Inserts or replaces the row of t.id (position: after every other torrent when t.position < 0).
  [[nodiscard]] result<std::int64_t> put(stored_torrent t);
  [[nodiscard]] result<void> remove(const std::string& id);
  [[nodiscard]] result<void> set_paused(const std::string& id, bool paused);
  [[nodiscard]] result<void> set_file_priorities(const std::string& id, const std::vector<std::uint8_t>& p);
  [[nodiscard]] result<void> set_strategy(const std::string& id, const std::string& strategy);
  [[nodiscard]] result<void> set_stream(const std::string& id, const std::string& stream);
  [[nodiscard]] result<void> set_peers(const std::string& id, const std::vector<std::string>& peers);
  [[nodiscard]] result<void> set_trackers(const std::string& id, const std::vector<std::pair<int, std::string>>& added,
                                          const std::vector<std::string>& removed);

  // Settings changed through the API ("section.key" -> value as typed for --set), in key order.
  [[nodiscard]] result<std::vector<std::pair<std::string, std::string>>> load_settings();
  [[nodiscard]] result<void> set_setting(const std::string& key, const std::string& value);
  [[nodiscard]] result<void> erase_setting(const std::string& key);

 private:
  explicit state_store(resume::sql::database db) : db_(std::move(db)) {}
  result<void> update(const char* sql, const std::string& id, std::string_view value, std::string_view what);
  resume::sql::database db_;
};

}  // namespace ccbt::rpc
