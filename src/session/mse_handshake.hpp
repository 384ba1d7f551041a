// mse_handshake — runs an MSE/PE handshake (the sans-io mse::handshake) on a connected socket, for
// an incoming connection (we are B, the responder) or an outgoing one (A, the initiator).
//
// Bounded: the whole exchange must finish before the deadline (network.handshake_timeout_ms), and
// mse::handshake bounds every field. On success the outcome carries what the peer_connection needs:
// the RC4 streams (when RC4 was selected), the plaintext already received (the peer's IA, usually
// its BitTorrent handshake) and the info-hash (SKEY) the handshake was for.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <ccbt/hash.hpp>
#include <ccbt/settings.hpp>

#include "crypto/rc4.hpp"
#include "mse/handshake.hpp"
#include "net/asio.hpp"
#include "wire/handshake.hpp"

namespace ccbt::session_detail {

struct mse_outcome {
  bool ok = false;
  std::string error;            // why it failed (peer closed, timeout, or the mse::errc message)
  std::uint32_t selected = 0;   // mse::crypto_plaintext or mse::crypto_rc4
  sha1_hash skey{};
  std::optional<crypto::rc4> encrypt, decrypt;
  std::string payload;          // plaintext received after the handshake, not yet parsed
  bool ia_sent = false;         // our BitTorrent handshake went as the initial payload (initiator)
  wire::reserved_bits ia_reserved;  // the reserved bits of that handshake
};

// What we offer / accept after an MSE handshake, from network.encryption_payload.
[[nodiscard]] mse::policy mse_policy_from(const settings& s);
// "plaintext" / "RC4": the payload method an alert names.
[[nodiscard]] const char* mse_method_name(std::uint32_t selected) noexcept;

// `first`: bytes already read from the socket (the responder's first bytes of Ya). The caller keeps
// the arguments alive until the coroutine completes (GCC 12 warns about coroutine
// parameters with destructors passed by value).
// `ia`: sent inside the handshake (step 3), in practice our BitTorrent handshake.
[[nodiscard]] net::awaitable<void> run_mse_initiator(net::tcp::socket& socket, const sha1_hash& skey,
                                                     const mse::policy& p, const std::string& ia,
                                                     std::chrono::steady_clock::time_point deadline, mse_outcome& out);
[[nodiscard]] net::awaitable<void> run_mse_responder(net::tcp::socket& socket, const mse::policy& p,
                                                     const mse::lookup_fn& find, std::string_view first,
                                                     std::chrono::steady_clock::time_point deadline, mse_outcome& out);

}  // namespace ccbt::session_detail
