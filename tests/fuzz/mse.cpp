// libFuzzer target for the MSE/PE handshake state machine (src/mse/handshake.hpp), both roles.
//
// Header bytes pick: the role under test, the policies of both ends, pad lengths, how the input is
// chunked, and a mutation of the honest peer's bytes (none, flip a byte, insert bytes, cut the stream
// and append the rest of the input). Mode "raw" feeds the rest of the input to a fresh responder or
// initiator as it is. The honest peer is the other role of the same state machine with fixed DH keys.
// Properties checked (a broken one aborts):
//   - feed() never crashes; an error has a message and an offset inside what was fed, and is sticky;
//   - without a mutation both ends finish, agree on the method and the info-hash, the method is one
//     both allow, and bytes sent after the handshake arrive as sent (through RC4 when selected);
//   - a finished handshake selected exactly one method.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/sha.hpp"
#include "mse/handshake.hpp"
#include "fuzz_check.hpp"

namespace {

namespace m = ccbt::mse;

const ccbt::sha1_hash skey = ccbt::crypto::sha1_digest("fuzz torrent");

m::lookup_fn lookup() {
  return [](const ccbt::sha1_hash& req2) -> std::optional<ccbt::sha1_hash> {
    if (req2 == m::req2_hash(skey)) return skey;
    return std::nullopt;
  };
}

ccbt::crypto::mse_dh fixed_dh(std::uint8_t seed) {
  std::uint8_t x[20];
  for (std::size_t i = 0; i < sizeof x; ++i) x[i] = static_cast<std::uint8_t>(seed * 31 + i * 7 + 1);
  return ccbt::crypto::mse_dh(x);
}

m::policy policy_of(std::uint8_t bits, std::uint8_t pad) {
  m::policy p;
  p.allowed = (bits & 3) == 0 ? 3u : (bits & 3u);
  p.prefer_rc4 = (bits & 4) != 0;
  if (bits & 8) p.pad_length = pad * 2u + (bits & 16 ? 1u : 0u);  // up to 511, or 512 via clamp below
  if ((bits & 24) == 24) p.pad_length = 600;  // clamped to 512
  return p;
}

// Feeds `bytes` to `h` in chunks; false once it fails (after checking the error).
bool feed(m::handshake& h, std::string_view bytes, std::size_t chunk, std::size_t& fed) {
  for (std::size_t i = 0; i < bytes.size(); i += chunk) {
    const auto part = bytes.substr(i, chunk);
    auto r = h.feed(part);
    fed += part.size();
    if (!r) {
      FUZZ_CHECK(!r.error().message().empty());
      FUZZ_CHECK(r.error().offset && *r.error().offset <= fed);
      FUZZ_CHECK(!h.feed("x"));  // sticky
      FUZZ_CHECK(!h.done());
      return false;
    }
  }
  return true;
}

void run_raw(bool responder, std::string_view in, std::size_t chunk) {
  // Fixed keys in both roles: a crash found here reproduces from its input alone.
  auto h = responder ? m::handshake::responder(m::policy{}, lookup(), fixed_dh(4))
                     : m::handshake::initiator(skey, m::policy{}, fixed_dh(1));
  (void)h.take_output();
  std::size_t fed = 0;
  if (feed(h, in, chunk, fed) && h.done())
    FUZZ_CHECK(h.selected() == m::crypto_plaintext || h.selected() == m::crypto_rc4);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  const std::uint8_t mode = data[0];
  const std::size_t chunk = 1 + data[1] % 97;
  const auto pol_a = policy_of(data[2], data[3]);
  const auto pol_b = policy_of(data[4], data[3]);
  const std::size_t mut_at = (std::size_t{data[5]} << 8 | data[6]) % 1400;
  const std::uint8_t mut_kind = data[7] % 4;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 8, size - 8);
  const bool test_responder = (mode & 1) != 0;
  if (mode & 2) {
    run_raw(test_responder, rest, chunk);
    return 0;
  }
  const std::string ia = (mode & 4) ? std::string(rest.substr(0, std::min<std::size_t>(rest.size(), 80))) : std::string();
  auto a = m::handshake::initiator(skey, pol_a, fixed_dh(2), ia);
  auto b = m::handshake::responder(pol_b, lookup(), fixed_dh(3));
  auto& tested = test_responder ? b : a;
  auto& honest = test_responder ? a : b;
  std::size_t honest_sent = 0, fed_tested = 0, fed_honest = 0;
  bool mutated = mut_kind == 0;
  bool ok_tested = true, ok_honest = true;
  for (int round = 0; round < 8 && ok_tested && ok_honest; ++round) {
    // Honest -> tested, mutated once at stream position mut_at.
    std::string out = honest.take_output();
    if (!mutated && mut_at >= honest_sent && mut_at < honest_sent + out.size()) {
      const auto at = mut_at - honest_sent;
      if (mut_kind == 1) out[at] = static_cast<char>(out[at] ^ (rest.empty() ? 1 : (rest[0] | 1)));
      else if (mut_kind == 2) out.insert(at, rest.substr(0, 64));
      else out = out.substr(0, at) + std::string(rest);
      mutated = true;
    }
    honest_sent += out.size();
    ok_tested = feed(tested, out, chunk, fed_tested);
    if (!ok_tested) break;
    const std::string back = tested.take_output();
    ok_honest = feed(honest, back, chunk, fed_honest);
    if (out.empty() && back.empty()) break;
  }
  for (auto* h : {&a, &b})
    if (h->done()) FUZZ_CHECK(h->selected() == m::crypto_plaintext || h->selected() == m::crypto_rc4);
  if (mut_kind != 0) return 0;
  // No mutation: both finish in agreement, unless the policies share no method (B refuses then).
  const auto common = pol_a.allowed & pol_b.allowed;
  if (common == 0) {
    FUZZ_CHECK(!b.done());
    return 0;
  }
  FUZZ_CHECK(a.done() && b.done());
  FUZZ_CHECK(a.selected() == b.selected());
  FUZZ_CHECK((a.selected() & common) != 0);
  FUZZ_CHECK(b.skey() == skey);
  FUZZ_CHECK(b.take_payload() == ia);
  // A -> B after the handshake: B decrypts what it is fed while it holds its decryptor.
  auto enc = a.take_encryptor();
  FUZZ_CHECK(enc.has_value() == (a.selected() == m::crypto_rc4));
  std::string msg(rest.substr(0, 100));
  const std::string plain = msg;
  if (enc) enc->process(msg.data(), msg.size());
  FUZZ_CHECK(b.feed(msg));
  FUZZ_CHECK(b.take_payload() == plain);
  // B -> A through the streams handed over.
  auto b_enc = b.take_encryptor();
  FUZZ_CHECK(b_enc.has_value() == enc.has_value());
  auto a_dec = a.take_decryptor();
  FUZZ_CHECK(a_dec.has_value() == enc.has_value());
  msg = plain;
  if (b_enc) {
    b_enc->process(msg.data(), msg.size());
    a_dec->process(msg.data(), msg.size());
  }
  FUZZ_CHECK(msg == plain);
  return 0;
}
