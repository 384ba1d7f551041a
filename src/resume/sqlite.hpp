// Thin RAII wrapper over the SQLite C API for the resume store: a connection and a prepared
// statement, with every SQLite failure turned into a ccbt::error (resume::errc + SQLite's words).
//
// Not thread-safe: one connection belongs to one thread at a time (the store's writer thread).
// A bind failure (e.g. a blob over SQLite's size limit) is remembered and returned by the next
// step(), so call sites stay linear.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include <ccbt/error.hpp>

#include "resume/errc.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace ccbt::resume::sql {

class database {
 public:
  // Opens (read-write, creating it if missing) the file at `path`. SQLite opens lazily: a file
  // that is not a database is only detected by the first statement.
  [[nodiscard]] static result<database> open(const std::filesystem::path& path);

  database() = default;
  database(database&& o) noexcept;
  database& operator=(database&& o) noexcept;
  database(const database&) = delete;
  database& operator=(const database&) = delete;
  ~database();

  // Runs one or more statements that return no rows (DDL, PRAGMA setters, BEGIN/COMMIT).
  [[nodiscard]] result<void> exec(const char* sql, std::string_view what);
  // Runs a statement returning a single integer (PRAGMA user_version, SELECT count(*)).
  [[nodiscard]] result<std::int64_t> query_int(const char* sql, std::string_view what);
  // Runs a statement returning a single text value (PRAGMA journal_mode, quick_check).
  [[nodiscard]] result<std::string> query_text(const char* sql, std::string_view what);

  // The error for SQLite result code `rc`, with `what` and SQLite's message as context.
  [[nodiscard]] error make_error(int rc, std::string_view what) const;

  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::int64_t changes() const noexcept;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class statement {
 public:
  [[nodiscard]] static result<statement> prepare(database& db, std::string_view sql,
                                                 std::string_view what);

  statement() = default;
  statement(statement&& o) noexcept;
  statement& operator=(statement&& o) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  // Parameters are 1-based, as in SQL (?1, ?2, ...).
  statement& bind(int i, std::int64_t v);
  statement& bind_text(int i, std::string_view v);
  statement& bind_blob(int i, std::span<const std::uint8_t> v);
  statement& bind_blob(int i, std::string_view v);
  statement& bind_null(int i);

  // true: a row is ready; false: done. Errors carry the statement's `what`.
  [[nodiscard]] result<bool> step();
  // Steps to completion, expecting no rows.
  [[nodiscard]] result<void> run();
  // Resets for the next execution and clears bindings.
  void reset() noexcept;

  [[nodiscard]] bool is_null(int col) const noexcept;
  [[nodiscard]] std::int64_t column_int(int col) const noexcept;
  // Views valid until the next step() or reset().
  [[nodiscard]] std::string_view column_text(int col) const noexcept;
  [[nodiscard]] std::string_view column_blob(int col) const noexcept;

 private:
  void note_bind(int rc) noexcept;

  database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string what_;
  int bind_rc_ = 0;
};

// RAII transaction: BEGIN IMMEDIATE on construction (through begin()), ROLLBACK on destruction
// unless commit() succeeded.
class transaction {
 public:
  [[nodiscard]] static result<transaction> begin(database& db, std::string_view what);
  transaction(transaction&& o) noexcept;
  transaction& operator=(transaction&&) = delete;
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();

  [[nodiscard]] result<void> commit();

 private:
  explicit transaction(database& db) : db_(&db) {}
  database* db_;
  bool open_ = true;
};

}  // namespace ccbt::resume::sql
