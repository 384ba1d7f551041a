// MSE/PE (Message Stream Encryption, "Protocol Encryption") handshake as a sans-io state machine.
//
//   A->B: Ya, PadA                      B->A: Yb, PadB
//   A->B: HASH('req1',S), HASH('req2',SKEY) xor HASH('req3',S),
//         ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
//   B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD), then the payload in the selected method
//
// S is the Diffie-Hellman secret (crypto/mse_dh.hpp), SKEY the torrent's 20-byte info-hash, ENCRYPT
// RC4 keyed with HASH('keyA',S,SKEY) for A->B and HASH('keyB',S,SKEY) for B->A, first 1024 bytes of
// keystream dropped. The caller moves bytes: feed() what the socket gave, send what take_output()
// returns, until done(). The initiator sends no IA (the BitTorrent handshake follows the MSE one).
//
// Invariants: memory is bounded (pads <= 512 bytes, the synchronisation scans look at most 512 bytes
// past a key, IA <= 65535 bytes); any violation is an error naming the step, sticky; feed() always
// consumes all its input — bytes past the end of the handshake become payload(), already decrypted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <ccbt/error.hpp>
#include <ccbt/hash.hpp>

#include "crypto/mse_dh.hpp"
#include "crypto/rc4.hpp"
#include "mse/errors.hpp"

namespace ccbt::mse {

inline constexpr std::uint32_t crypto_plaintext = 0x01;
inline constexpr std::uint32_t crypto_rc4 = 0x02;
inline constexpr std::size_t max_pad = 512;

struct policy {
  std::uint32_t allowed = crypto_plaintext | crypto_rc4;  // methods we offer (A) / accept (B)
  bool prefer_rc4 = false;  // B: the method picked when A offers both
  // Length of every pad we send; nullopt = PadA/PadB random in 0..512, PadC/PadD empty (tests set it).
  std::optional<std::size_t> pad_length;
};

// Responder: HASH('req2', SKEY) -> the SKEY (info-hash) of one of our torrents, or nullopt.
using lookup_fn = std::function<std::optional<sha1_hash>(const sha1_hash& req2)>;

// HASH('req2', skey): what a responder compares to find the torrent.
[[nodiscard]] sha1_hash req2_hash(const sha1_hash& skey);

class handshake {
 public:
  static handshake initiator(const sha1_hash& skey, const policy& p);
  static handshake responder(const policy& p, lookup_fn find);
  // A given DH key pair (tests, fuzzing) and, for the initiator, an initial payload IA sent in step 3
  // (the session sends its BitTorrent handshake there, saving a round trip, as libtorrent does).
  static handshake initiator(const sha1_hash& skey, const policy& p, crypto::mse_dh dh, std::string ia = {});
  static handshake responder(const policy& p, lookup_fn find, crypto::mse_dh dh);

  // Bytes to send now, in order (moved out; empty when there is nothing to send).
  [[nodiscard]] std::string take_output();
  // The peer's bytes. After an error, every call returns the same error.
  [[nodiscard]] result<void> feed(std::string_view in);

  [[nodiscard]] bool done() const noexcept { return step_ == step::done; }
  [[nodiscard]] bool is_initiator() const noexcept { return initiator_; }

  // ---- after done() ----
  [[nodiscard]] std::uint32_t selected() const noexcept { return selected_; }
  [[nodiscard]] const sha1_hash& skey() const noexcept { return skey_; }
  // The plaintext received after the handshake (the responder: IA first). Moved out.
  [[nodiscard]] std::string take_payload();
  // RC4 streams for the payload, positioned after the handshake: set only when RC4 was selected.
  [[nodiscard]] std::optional<crypto::rc4> take_encryptor();  // what we send
  [[nodiscard]] std::optional<crypto::rc4> take_decryptor();  // what we receive

 private:
  enum class step : std::uint8_t { key, sync, req23, provide, pad_c, ia, select, pad_d, done, failed };

  handshake(bool initiator, const policy& p, crypto::mse_dh dh);
  result<void> run();
  result<void> on_key();
  result<void> on_sync();
  result<void> fail(errc e, std::string context, std::size_t at);
  void start_ciphers(bool initiator);
  void finish();
  std::string pad(std::size_t random_max) const;
  std::size_t stream_pos(std::size_t at) const noexcept { return received_ - in_.size() + at; }

  bool initiator_;
  policy policy_;
  lookup_fn find_;
  crypto::mse_dh dh_;
  crypto::mse_key secret_{};
  sha1_hash skey_{};
  step step_ = step::key;
  std::optional<error> error_;
  std::string in_;        // received, not yet consumed
  std::string out_;       // to send
  std::string payload_;   // plaintext after the handshake
  std::string sync_;      // what the sync step looks for (req1, or the encrypted VC)
  std::size_t received_ = 0;
  std::uint32_t provide_ = 0;   // responder: what A offered
  std::uint32_t selected_ = 0;
  std::string ia_;              // initiator: IA to send
  std::size_t want_ = 0;        // pad_c / ia / pad_d: bytes of the current field
  std::optional<crypto::rc4> enc_, dec_;
};

}  // namespace ccbt::mse
