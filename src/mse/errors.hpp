// Error codes of the MSE/PE handshake (ccbt::mse). Every value ends that one connection; the error's
// offset is the position in the received stream (bytes since the handshake began) and its context
// names the step and the values involved ("crypto_provide 0x4, we accept 0x3").
#pragma once

#include <system_error>

namespace ccbt::mse {

enum class errc {
  invalid_public_key = 1,  // the peer's DH key is 0, 1, P-1 or not below P
  req1_not_found,          // responder: no HASH('req1', S) within 512 bytes of padding after Ya
  unknown_torrent,         // responder: HASH('req2', SKEY) matches none of our torrents
  vc_not_found,            // initiator: no encrypted verification constant within 512 bytes after Yb
  bad_vc,                  // responder: the verification constant is not 8 zero bytes
  pad_too_long,            // len(PadC) / len(PadD) above 512
  no_common_method,        // crypto_provide shares no method with what we allow
  bad_crypto_select,       // crypto_select is not exactly one method we offered
};

[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

}  // namespace ccbt::mse

template <>
struct std::is_error_code_enum<ccbt::mse::errc> : std::true_type {};
