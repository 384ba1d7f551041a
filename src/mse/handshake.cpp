#include "mse/handshake.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

#include "crypto/sha.hpp"

namespace ccbt::mse {
namespace {

constexpr std::size_t vc_size = 8;

sha1_hash hash_of(std::string_view tag, std::string_view a, std::string_view b = {}) {
  crypto::sha1 h;
  h.update(tag).update(a).update(b);
  return h.finish();
}

std::string_view view(const crypto::mse_key& k) { return {reinterpret_cast<const char*>(k.data()), k.size()}; }

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void put_u16(std::string& out, std::size_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}
std::uint32_t get_u32(std::string_view s) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(s[i]);
  return v;
}
std::size_t get_u16(std::string_view s) {
  return (std::size_t{static_cast<std::uint8_t>(s[0])} << 8) | static_cast<std::uint8_t>(s[1]);
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", static_cast<unsigned>(v));
  return buf;
}

}  // namespace

sha1_hash req2_hash(const sha1_hash& skey) { return hash_of("req2", skey.view()); }

handshake::handshake(bool initiator, const policy& p, crypto::mse_dh dh)
    : initiator_(initiator), policy_(p), dh_(std::move(dh)) {
  policy_.allowed &= crypto_plaintext | crypto_rc4;
  if (initiator_) {
    // A opens: Ya, PadA.
    out_.append(view(dh_.public_key()));
    out_ += pad(max_pad);
  }
}

handshake handshake::initiator(const sha1_hash& skey, const policy& p) { return initiator(skey, p, crypto::mse_dh{}); }

handshake handshake::initiator(const sha1_hash& skey, const policy& p, crypto::mse_dh dh, std::string ia) {
  handshake h(true, p, std::move(dh));
  h.skey_ = skey;
  h.ia_ = std::move(ia);
  if (h.ia_.size() > 0xffff) h.ia_.resize(0xffff);
  return h;
}

handshake handshake::responder(const policy& p, lookup_fn find) { return responder(p, std::move(find), crypto::mse_dh{}); }

handshake handshake::responder(const policy& p, lookup_fn find, crypto::mse_dh dh) {
  handshake h(false, p, std::move(dh));
  h.find_ = std::move(find);
  return h;
}

std::string handshake::pad(std::size_t random_max) const {
  std::size_t n = 0;
  if (policy_.pad_length) {
    n = std::min(*policy_.pad_length, max_pad);
  } else if (random_max != 0) {
    std::array<std::uint8_t, 2> r{};
    crypto::random_bytes(r);
    n = ((std::size_t{r[0]} << 8) | r[1]) % (random_max + 1);
  }
  std::string s(n, '\0');
  // PadA/PadB are sent in the clear: random. PadC/PadD are encrypted: zeros are fine.
  if (random_max != 0) crypto::random_bytes({reinterpret_cast<std::uint8_t*>(s.data()), s.size()});
  return s;
}

std::string handshake::take_output() { return std::exchange(out_, {}); }

std::string handshake::take_payload() { return std::exchange(payload_, {}); }

std::optional<crypto::rc4> handshake::take_encryptor() { return std::exchange(enc_, std::nullopt); }

std::optional<crypto::rc4> handshake::take_decryptor() { return std::exchange(dec_, std::nullopt); }

result<void> handshake::fail(errc e, std::string context, std::size_t at) {
  step_ = step::failed;
  error_ = error{make_error_code(e), stream_pos(at), std::move(context)};
  return tl::unexpected<error>(*error_);
}

result<void> handshake::feed(std::string_view in) {
  if (step_ == step::failed) return tl::unexpected<error>(*error_);
  received_ += in.size();
  if (step_ == step::done) {
    const auto at = payload_.size();
    payload_.append(in);
    if (dec_) dec_->process(payload_.data() + at, in.size());
    return {};
  }
  in_.append(in);
  return run();
}

void handshake::start_ciphers(bool initiator) {
  const auto key_a = hash_of("keyA", view(secret_), skey_.view());
  const auto key_b = hash_of("keyB", view(secret_), skey_.view());
  crypto::rc4 a(key_a.span()), b(key_b.span());
  a.discard(1024);
  b.discard(1024);
  enc_.emplace(initiator ? a : b);
  dec_.emplace(initiator ? b : a);
}

result<void> handshake::on_key() {
  const auto* p = reinterpret_cast<const std::uint8_t*>(in_.data());
  auto s = dh_.shared_secret(std::span<const std::uint8_t, crypto::mse_key_size>(p, crypto::mse_key_size));
  if (!s) return fail(errc::invalid_public_key, initiator_ ? "Yb" : "Ya", 0);
  secret_ = *s;
  in_.erase(0, crypto::mse_key_size);
  if (initiator_) {
    // Step 3: the synchronisation hash, the obfuscated SKEY, then the encrypted offer.
    start_ciphers(true);
    const auto req1 = hash_of("req1", view(secret_));
    const auto req2 = req2_hash(skey_);
    const auto req3 = hash_of("req3", view(secret_));
    out_.append(req1.view());
    for (std::size_t i = 0; i < 20; ++i) out_.push_back(static_cast<char>(req2.bytes[i] ^ req3.bytes[i]));
    std::string offer(vc_size, '\0');
    put_u32(offer, policy_.allowed);
    const auto pad_c = pad(0);
    put_u16(offer, pad_c.size());
    offer += pad_c;
    put_u16(offer, ia_.size());
    offer += ia_;
    enc_->process(offer.data(), offer.size());
    out_ += offer;
    // B's answer starts with VC (8 zero bytes) under keyB: find it after PadB.
    sync_.assign(vc_size, '\0');
    auto probe = *dec_;
    probe.process(sync_.data(), sync_.size());
  } else {
    // Step 2: Yb, PadB; then look for HASH('req1', S) after PadA.
    out_.append(view(dh_.public_key()));
    out_ += pad(max_pad);
    sync_.assign(hash_of("req1", view(secret_)).view());
  }
  step_ = step::sync;
  return {};
}

result<void> handshake::on_sync() {
  const auto window = std::string_view(in_).substr(0, max_pad + sync_.size());
  const auto at = window.find(sync_);
  if (at == std::string_view::npos) {
    if (in_.size() >= max_pad + sync_.size())
      return fail(initiator_ ? errc::vc_not_found : errc::req1_not_found,
                  initiator_ ? "after Yb" : "after Ya", max_pad + sync_.size());
    return {};  // more padding to come
  }
  in_.erase(0, at + sync_.size());
  if (initiator_) {
    std::array<char, vc_size> vc{};
    dec_->process(vc.data(), vc.size());  // the VC we just matched
    step_ = step::select;
  } else {
    step_ = step::req23;
  }
  return {};
}

result<void> handshake::run() {
  for (;;) {
    switch (step_) {
      case step::key: {
        if (in_.size() < crypto::mse_key_size) return {};
        if (auto r = on_key(); !r) return r;
        break;
      }
      case step::sync: {
        const auto before = step_;
        if (auto r = on_sync(); !r) return r;
        if (step_ == before) return {};
        break;
      }
      case step::req23: {  // responder: which torrent
        if (in_.size() < 20) return {};
        const auto req3 = hash_of("req3", view(secret_));
        sha1_hash req2{};
        for (std::size_t i = 0; i < 20; ++i)
          req2.bytes[i] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(in_[i]) ^ req3.bytes[i]);
        const auto skey = find_ ? find_(req2) : std::nullopt;
        if (!skey) return fail(errc::unknown_torrent, "HASH('req2', SKEY) " + req2.to_hex(), 0);
        skey_ = *skey;
        in_.erase(0, 20);
        start_ciphers(false);
        step_ = step::provide;
        break;
      }
      case step::provide: {  // responder: VC, crypto_provide, len(PadC)
        if (in_.size() < vc_size + 6) return {};
        dec_->process(in_.data(), vc_size + 6);
        if (std::string_view(in_).substr(0, vc_size) != std::string(vc_size, '\0'))
          return fail(errc::bad_vc, "step 3", 0);
        provide_ = get_u32(std::string_view(in_).substr(vc_size));
        want_ = get_u16(std::string_view(in_).substr(vc_size + 4));
        if (want_ > max_pad) return fail(errc::pad_too_long, "len(PadC) " + std::to_string(want_), vc_size + 4);
        const auto common = provide_ & policy_.allowed;
        if (common == 0)
          return fail(errc::no_common_method, "crypto_provide " + hex32(provide_) + ", we accept " + hex32(policy_.allowed),
                      vc_size);
        selected_ = (policy_.prefer_rc4 && (common & crypto_rc4)) || !(common & crypto_plaintext) ? crypto_rc4
                                                                                                 : crypto_plaintext;
        in_.erase(0, vc_size + 6);
        want_ += 2;  // PadC, then len(IA)
        step_ = step::pad_c;
        break;
      }
      case step::pad_c: {
        if (in_.size() < want_) return {};
        dec_->process(in_.data(), want_);
        const auto ia = get_u16(std::string_view(in_).substr(want_ - 2));
        in_.erase(0, want_);
        want_ = ia;
        step_ = step::ia;
        break;
      }
      case step::ia: {  // responder: IA is always RC4, whatever was selected
        if (in_.size() < want_) return {};
        dec_->process(in_.data(), want_);
        payload_.assign(in_, 0, want_);
        in_.erase(0, want_);
        // Step 4: VC, crypto_select, len(PadD), PadD.
        std::string answer(vc_size, '\0');
        put_u32(answer, selected_);
        const auto pad_d = pad(0);
        put_u16(answer, pad_d.size());
        answer += pad_d;
        enc_->process(answer.data(), answer.size());
        out_ += answer;
        finish();
        return {};
      }
      case step::select: {  // initiator: crypto_select, len(PadD)
        if (in_.size() < 6) return {};
        dec_->process(in_.data(), 6);
        selected_ = get_u32(in_);
        want_ = get_u16(std::string_view(in_).substr(4));
        if ((selected_ != crypto_plaintext && selected_ != crypto_rc4) || (selected_ & policy_.allowed) == 0)
          return fail(errc::bad_crypto_select, "crypto_select " + hex32(selected_) + ", we offered " + hex32(policy_.allowed), 0);
        if (want_ > max_pad) return fail(errc::pad_too_long, "len(PadD) " + std::to_string(want_), 4);
        in_.erase(0, 6);
        step_ = step::pad_d;
        break;
      }
      case step::pad_d: {
        if (in_.size() < want_) return {};
        dec_->process(in_.data(), want_);
        in_.erase(0, want_);
        finish();
        return {};
      }
      case step::done:
      case step::failed:
        return {};
    }
  }
}

void handshake::finish() {
  step_ = step::done;
  if (selected_ != crypto_rc4) {
    enc_.reset();
    dec_.reset();
  }
  const auto at = payload_.size();
  payload_ += in_;
  if (dec_) dec_->process(payload_.data() + at, in_.size());
  in_.clear();
  in_.shrink_to_fit();
}

}  // namespace ccbt::mse
