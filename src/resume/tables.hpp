// detail::tables — every SQL statement the resume store runs, on one connection.
//
// The store's writer thread is the only user while the store is open (load() borrows it under
// the store's lock). Statements are prepared once and cached. Nothing here starts or ends a
// transaction except begin()/compact_all() callers in resume_store.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <ccbt/error.hpp>

#include "resume/sqlite.hpp"
#include "resume/types.hpp"

namespace ccbt::resume::detail {

// What the store checks mutations against without touching the disk.
struct catalog_entry {
  info_hash hash;
  std::uint32_t piece_count = 0;
};

class tables {
 public:
  explicit tables(sql::database db) : db_(std::move(db)) {}

  [[nodiscard]] sql::database& db() noexcept { return db_; }

  // --- writes (inside the caller's transaction) ---
  [[nodiscard]] result<void> insert_torrent(std::int64_t id, const torrent_record& rec,
                                            std::span<const file_record> files);
  [[nodiscard]] result<void> delete_torrent(std::int64_t id);
  [[nodiscard]] result<void> update_state(std::int64_t id, torrent_state s);
  [[nodiscard]] result<void> update_queue_position(std::int64_t id, std::int64_t pos);
  [[nodiscard]] result<void> update_save_path(std::int64_t id, std::string_view path);
  [[nodiscard]] result<void> update_metadata(std::int64_t id, std::string_view name,
                                             std::string_view metainfo, std::uint32_t piece_count,
                                             std::span<const file_record> files);
  [[nodiscard]] result<void> upsert_setting(std::int64_t id, std::string_view key, std::string_view value);
  [[nodiscard]] result<void> delete_setting(std::int64_t id, std::string_view key);
  [[nodiscard]] result<void> update_file_priority(std::int64_t id, std::uint32_t file, std::int32_t prio);
  [[nodiscard]] result<void> upsert_file_stats(std::int64_t id, std::span<const disk_file> files);
  [[nodiscard]] result<void> insert_piece(std::int64_t id, std::uint32_t piece);
  [[nodiscard]] result<void> remove_piece(std::int64_t id, std::uint32_t piece);
  [[nodiscard]] result<void> replace_pieces(std::int64_t id, const bitfield& pieces);
  [[nodiscard]] result<void> upsert_session_value(std::string_view key, std::string_view value);
  [[nodiscard]] result<void> delete_session_value(std::string_view key);

  // Folds torrent `id`'s journal rows into its bitfield row.
  [[nodiscard]] result<void> compact(std::int64_t id);
  // Journal rows per torrent (for compaction decisions at open).
  [[nodiscard]] result<std::unordered_map<std::int64_t, std::uint64_t>> journal_sizes();

  // --- reads ---
  [[nodiscard]] result<std::unordered_map<std::int64_t, catalog_entry>> load_catalog();
  [[nodiscard]] result<snapshot> load_snapshot();

 private:
  [[nodiscard]] result<sql::statement*> stmt(const char* sql, std::string_view what);
  [[nodiscard]] result<std::uint32_t> piece_count_of(std::int64_t id);
  [[nodiscard]] result<bitfield> read_bitfield(std::int64_t id, std::uint32_t piece_count);
  [[nodiscard]] result<void> write_bitfield(std::int64_t id, const bitfield& b);
  [[nodiscard]] result<void> write_files(std::int64_t id, std::span<const file_record> files);

  sql::database db_;
  std::unordered_map<const char*, sql::statement> cache_;  // keyed by the SQL literal's address
};

}  // namespace ccbt::resume::detail
