#include "storage/error.hpp"

#include <string>

namespace ccbt::storage {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "storage"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::unknown_storage: return "no such storage";
      case errc::storage_removed: return "storage is being removed";
      case errc::invalid_piece: return "piece index out of range";
      case errc::invalid_block: return "not a whole 16 KiB block of the piece";
      case errc::invalid_read: return "read range outside the piece or too large";
      case errc::unsafe_path: return "file path would leave the download directory";
      case errc::symlink_in_path: return "symbolic link inside the download directory";
      case errc::data_unavailable: return "data needed for hashing is not stored";
      case errc::file_too_short: return "file on disk is shorter than expected";
      case errc::cancelled: return "operation cancelled";
    }
    return "unknown storage error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

}  // namespace ccbt::storage
