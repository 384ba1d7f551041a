#include "resume/sqlite.hpp"

#include <sqlite3.h>

#include <limits>
#include <utility>

namespace ccbt::resume::sql {
namespace {

errc map_code(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_NOTADB: return errc::not_a_database;
    case SQLITE_CORRUPT: return errc::corrupt;
    case SQLITE_CANTOPEN: return errc::open_failed;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return errc::busy;
    case SQLITE_ERROR: return errc::schema_mismatch;  // "no such table/column" and other SQL errors
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH: return errc::invalid_argument;
    default: return errc::io_error;  // SQLITE_IOERR, SQLITE_FULL, SQLITE_READONLY, SQLITE_PERM, ...
  }
}

error make(int rc, std::string_view what, const char* detail) {
  std::string ctx(what);
  if (detail && *detail) {
    if (!ctx.empty()) ctx += ": ";
    ctx += detail;
  }
  return error{make_error_code(map_code(rc)), std::nullopt, std::move(ctx)};
}

int to_int(std::size_t n) noexcept {
  return n > static_cast<std::size_t>(std::numeric_limits<int>::max())
             ? -1  // SQLite answers SQLITE_TOOBIG / SQLITE_RANGE to a negative length
             : static_cast<int>(n);
}

}  // namespace

// ---- database --------------------------------------------------------------------------------

result<database> database::open(const std::filesystem::path& path) {
  database db;
  db.path_ = path.string();
  const int rc = sqlite3_open_v2(db.path_.c_str(), &db.db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    auto e = make(rc, db.path_, db.db_ ? sqlite3_errmsg(db.db_) : sqlite3_errstr(rc));
    if (e.code == errc::io_error) e.code = errc::open_failed;
    return tl::unexpected(std::move(e));
  }
  sqlite3_extended_result_codes(db.db_, 1);
  return db;
}

database::database(database&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)), path_(std::move(o.path_)) {}

database& database::operator=(database&& o) noexcept {
  if (this != &o) {
    if (db_) sqlite3_close_v2(db_);
    db_ = std::exchange(o.db_, nullptr);
    path_ = std::move(o.path_);
  }
  return *this;
}

database::~database() {
  if (db_) sqlite3_close_v2(db_);
}

error database::make_error(int rc, std::string_view what) const {
  return make(rc, what, db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
}

std::int64_t database::changes() const noexcept { return sqlite3_changes64(db_); }

result<void> database::exec(const char* sql, std::string_view what) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(make_error(rc, what));
  return {};
}

result<std::int64_t> database::query_int(const char* sql, std::string_view what) {
  auto st = statement::prepare(*this, sql, what);
  if (!st) return tl::unexpected(std::move(st.error()));
  auto row = st->step();
  if (!row) return tl::unexpected(std::move(row.error()));
  if (!*row) return 0;
  return st->column_int(0);
}

result<std::string> database::query_text(const char* sql, std::string_view what) {
  auto st = statement::prepare(*this, sql, what);
  if (!st) return tl::unexpected(std::move(st.error()));
  auto row = st->step();
  if (!row) return tl::unexpected(std::move(row.error()));
  if (!*row) return std::string();
  return std::string(st->column_text(0));
}

// ---- statement -------------------------------------------------------------------------------

result<statement> statement::prepare(database& db, std::string_view sql, std::string_view what) {
  statement st;
  st.db_ = &db;
  st.what_ = what;
  const int rc = sqlite3_prepare_v3(db.handle(), sql.data(), to_int(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &st.stmt_, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(db.make_error(rc, what));
  return st;
}

statement::statement(statement&& o) noexcept
    : db_(o.db_),
      stmt_(std::exchange(o.stmt_, nullptr)),
      what_(std::move(o.what_)),
      bind_rc_(o.bind_rc_) {}

statement& statement::operator=(statement&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = std::exchange(o.stmt_, nullptr);
    what_ = std::move(o.what_);
    bind_rc_ = o.bind_rc_;
  }
  return *this;
}

statement::~statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

void statement::note_bind(int rc) noexcept {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

statement& statement::bind(int i, std::int64_t v) {
  note_bind(sqlite3_bind_int64(stmt_, i, v));
  return *this;
}

statement& statement::bind_text(int i, std::string_view v) {
  note_bind(sqlite3_bind_text(stmt_, i, v.empty() ? "" : v.data(), to_int(v.size()),
                              SQLITE_TRANSIENT));
  return *this;
}

statement& statement::bind_blob(int i, std::string_view v) {
  // A zero-length blob (not NULL) for empty input.
  if (v.empty()) {
    note_bind(sqlite3_bind_zeroblob(stmt_, i, 0));
  } else {
    note_bind(sqlite3_bind_blob(stmt_, i, v.data(), to_int(v.size()), SQLITE_TRANSIENT));
  }
  return *this;
}

statement& statement::bind_blob(int i, std::span<const std::uint8_t> v) {
  return bind_blob(i, std::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
}

statement& statement::bind_null(int i) {
  note_bind(sqlite3_bind_null(stmt_, i));
  return *this;
}

result<bool> statement::step() {
  if (bind_rc_ != SQLITE_OK) {
    const int rc = std::exchange(bind_rc_, SQLITE_OK);
    return tl::unexpected(make(rc, what_, sqlite3_errstr(rc)));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  auto e = db_->make_error(rc, what_);
  sqlite3_reset(stmt_);
  return tl::unexpected(std::move(e));
}

result<void> statement::run() {
  for (;;) {
    auto r = step();
    if (!r) {
      reset();
      return tl::unexpected(std::move(r.error()));
    }
    if (!*r) break;
  }
  reset();
  return {};
}

void statement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

bool statement::is_null(int col) const noexcept {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::int64_t statement::column_int(int col) const noexcept {
  return sqlite3_column_int64(stmt_, col);
}

std::string_view statement::column_text(int col) const noexcept {
  const auto* p = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  if (!p || n <= 0) return {};
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

std::string_view statement::column_blob(int col) const noexcept {
  const void* p = sqlite3_column_blob(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  if (!p || n <= 0) return {};
  return {static_cast<const char*>(p), static_cast<std::size_t>(n)};
}

// ---- transaction -----------------------------------------------------------------------------

result<transaction> transaction::begin(database& db, std::string_view what) {
  auto r = db.exec("BEGIN IMMEDIATE", what);
  if (!r) return tl::unexpected(std::move(r.error()));
  return transaction(db);
}

transaction::transaction(transaction&& o) noexcept : db_(o.db_), open_(std::exchange(o.open_, false)) {}

transaction::~transaction() {
  if (open_) (void)db_->exec("ROLLBACK", "rollback");
}

result<void> transaction::commit() {
  auto r = db_->exec("COMMIT", "commit");
  if (!r) return r;  // still open: the destructor rolls back
  open_ = false;
  return {};
}

}  // namespace ccbt::resume::sql
