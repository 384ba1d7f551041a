#include "resume/errc.hpp"

#include <string>

namespace ccbt::resume {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "resume"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::open_failed: return "cannot open or create the resume database";
      case errc::not_a_database: return "file is not an SQLite database";
      case errc::foreign_database: return "SQLite database is not a ccbt resume store";
      case errc::corrupt: return "resume database is corrupt";
      case errc::schema_too_new: return "resume database was written by a newer ccbt";
      case errc::migration_failed: return "resume database upgrade failed";
      case errc::io_error: return "resume database read or write failed";
      case errc::busy: return "resume database is locked by another process";
      case errc::unknown_torrent: return "no such torrent in the resume store";
      case errc::duplicate_torrent: return "torrent with this info-hash is already stored";
      case errc::invalid_argument: return "invalid argument";
      case errc::corrupt_record: return "resume record holds invalid values";
      case errc::schema_mismatch: return "resume database lacks tables or columns of its schema";
      case errc::closed: return "resume store is closed";
    }
    return "unknown resume error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

}  // namespace ccbt::resume
