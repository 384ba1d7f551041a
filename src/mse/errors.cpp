#include "mse/errors.hpp"

#include <string>

namespace ccbt::mse {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "mse"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::invalid_public_key: return "invalid Diffie-Hellman public key";
      case errc::req1_not_found: return "no synchronisation hash within 512 bytes of padding";
      case errc::unknown_torrent: return "encrypted handshake for a torrent we do not have";
      case errc::vc_not_found: return "no verification constant within 512 bytes of padding";
      case errc::bad_vc: return "verification constant is not zero (wrong key or torrent)";
      case errc::pad_too_long: return "padding longer than 512 bytes";
      case errc::no_common_method: return "no common encryption method";
      case errc::bad_crypto_select: return "peer selected an encryption method we did not offer";
    }
    return "unknown mse error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

}  // namespace ccbt::mse
