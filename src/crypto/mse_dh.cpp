#include "crypto/mse_dh.hpp"

#include <openssl/bn.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>
#include <utility>

namespace ccbt::crypto {
namespace {

constexpr const char* prime_hex =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF"
    "9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563";

struct bn_free {
  void operator()(BIGNUM* b) const noexcept { BN_clear_free(b); }
};
struct ctx_free {
  void operator()(BN_CTX* c) const noexcept { BN_CTX_free(c); }
};
using bn_ptr = std::unique_ptr<BIGNUM, bn_free>;

const BIGNUM* prime() {
  static const BIGNUM* const p = [] {
    BIGNUM* b = nullptr;
    if (BN_hex2bn(&b, prime_hex) == 0) throw std::runtime_error("OpenSSL: MSE prime");
    return b;
  }();
  return p;
}

mse_key to_key(const BIGNUM* b) {
  mse_key out{};
  if (BN_bn2binpad(b, out.data(), static_cast<int>(out.size())) != static_cast<int>(out.size()))
    throw std::runtime_error("OpenSSL: BN_bn2binpad");
  return out;
}

}  // namespace

void random_bytes(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) throw std::runtime_error("OpenSSL: RAND_bytes failed");
}

mse_dh::mse_dh() {
  std::array<std::uint8_t, 20> x{};  // 160 bits, the size the MSE specification asks for (libtorrent draws 96 bytes)
  random_bytes(x);
  init(x);
}

mse_dh::mse_dh(std::span<const std::uint8_t> private_key) { init(private_key); }

mse_dh::mse_dh(mse_dh&& o) noexcept : x_(std::exchange(o.x_, nullptr)), public_(o.public_) {}

mse_dh& mse_dh::operator=(mse_dh&& o) noexcept {
  if (this != &o) {
    BN_clear_free(static_cast<BIGNUM*>(x_));
    x_ = std::exchange(o.x_, nullptr);
    public_ = o.public_;
  }
  return *this;
}

mse_dh::~mse_dh() { BN_clear_free(static_cast<BIGNUM*>(x_)); }

void mse_dh::init(std::span<const std::uint8_t> private_key) {
  bn_ptr x(BN_bin2bn(private_key.data(), static_cast<int>(private_key.size()), nullptr));
  bn_ptr g(BN_new()), y(BN_new());
  std::unique_ptr<BN_CTX, ctx_free> ctx(BN_CTX_new());
  if (x) BN_set_flags(x.get(), BN_FLG_CONSTTIME);  // both exponentiations with the secret: constant time
  if (!x || !g || !y || !ctx || BN_set_word(g.get(), 2) != 1 ||
      BN_mod_exp(y.get(), g.get(), x.get(), prime(), ctx.get()) != 1)
    throw std::runtime_error("OpenSSL: MSE key generation failed");
  public_ = to_key(y.get());
  x_ = x.release();
}

std::optional<mse_key> mse_dh::shared_secret(std::span<const std::uint8_t, mse_key_size> peer) const {
  bn_ptr y(BN_bin2bn(peer.data(), static_cast<int>(peer.size()), nullptr));
  bn_ptr limit(BN_dup(prime())), s(BN_new());
  std::unique_ptr<BN_CTX, ctx_free> ctx(BN_CTX_new());
  if (!y || !limit || !s || !ctx || BN_sub_word(limit.get(), 1) != 1) throw std::runtime_error("OpenSSL: out of memory");
  // 1 < Y < P-1
  if (BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), limit.get()) >= 0) return std::nullopt;
  if (BN_mod_exp(s.get(), y.get(), static_cast<const BIGNUM*>(x_), prime(), ctx.get()) != 1)
    throw std::runtime_error("OpenSSL: BN_mod_exp failed");
  return to_key(s.get());
}

}  // namespace ccbt::crypto
