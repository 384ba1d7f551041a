#include <gtest/gtest.h>

#include <map>
#include <string>

#include "crypto/sha.hpp"
#include "mse/handshake.hpp"

namespace ccbt::mse {
namespace {

sha1_hash hash_of_text(std::string_view s) { return crypto::sha1_digest(s); }

const sha1_hash torrent_a = hash_of_text("torrent a");
const sha1_hash torrent_b = hash_of_text("torrent b");

lookup_fn lookup_of(std::vector<sha1_hash> skeys) {
  return [skeys = std::move(skeys)](const sha1_hash& req2) -> std::optional<sha1_hash> {
    for (const auto& k : skeys)
      if (req2_hash(k) == req2) return k;
    return std::nullopt;
  };
}

// Moves bytes between the two ends, `chunk` bytes per feed, until neither has anything to send.
void pump(handshake& a, handshake& b, std::size_t chunk = 1 << 20) {
  for (int round = 0; round < 20; ++round) {
    bool moved = false;
    for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
      const auto bytes = from->take_output();
      for (std::size_t i = 0; i < bytes.size(); i += chunk) {
        ASSERT_TRUE(to->feed(std::string_view(bytes).substr(i, chunk))) << "round " << round;
        moved = true;
      }
    }
    if (!moved) return;
  }
}

TEST(MseHandshake, PlaintextSelectedByDefault) {
  auto a = handshake::initiator(torrent_b, policy{});
  auto b = handshake::responder(policy{}, lookup_of({torrent_a, torrent_b}));
  pump(a, b);
  ASSERT_TRUE(a.done());
  ASSERT_TRUE(b.done());
  EXPECT_EQ(a.selected(), crypto_plaintext);
  EXPECT_EQ(b.selected(), crypto_plaintext);
  EXPECT_EQ(b.skey(), torrent_b);  // found by HASH('req2', SKEY)
  EXPECT_FALSE(a.take_encryptor());
  EXPECT_FALSE(b.take_decryptor());
  EXPECT_EQ(b.take_payload(), "");  // no IA given
  // Bytes after the handshake are payload, as they came.
  ASSERT_TRUE(a.feed("\x13" "BitTorrent protocol"));
  EXPECT_EQ(a.take_payload(), "\x13" "BitTorrent protocol");
}

TEST(MseHandshake, InitialPayloadArrivesWithPlaintextSelected) {
  // The session sends its BitTorrent handshake as IA: IA is RC4-encrypted whatever is selected,
  // and what follows it in the same direction is plaintext when plaintext was selected.
  const std::string ia = std::string("\x13" "BitTorrent protocol") + std::string(48, 'h');
  auto a = handshake::initiator(torrent_a, policy{}, crypto::mse_dh{}, ia);
  auto b = handshake::responder(policy{}, lookup_of({torrent_a}));
  pump(a, b, 7);
  ASSERT_TRUE(a.done() && b.done());
  EXPECT_EQ(b.selected(), crypto_plaintext);
  ASSERT_TRUE(b.feed("then the bitfield"));
  EXPECT_EQ(b.take_payload(), ia + "then the bitfield");
}

TEST(MseHandshake, Rc4PayloadBothWaysAndByteByByte) {
  policy pa;
  pa.allowed = crypto_rc4 | crypto_plaintext;
  policy pb;
  pb.prefer_rc4 = true;
  auto a = handshake::initiator(torrent_a, pa, crypto::mse_dh{}, "initial payload");
  auto b = handshake::responder(pb, lookup_of({torrent_a}));
  pump(a, b, 1);
  ASSERT_TRUE(a.done() && b.done());
  EXPECT_EQ(a.selected(), crypto_rc4);
  EXPECT_EQ(b.take_payload(), "initial payload");
  auto ae = a.take_encryptor(), ad = a.take_decryptor(), be = b.take_encryptor(), bd = b.take_decryptor();
  ASSERT_TRUE(ae && ad && be && bd);
  std::string msg = "A to B after the handshake";
  ae->process(msg.data(), msg.size());
  EXPECT_NE(msg, "A to B after the handshake");
  bd->process(msg.data(), msg.size());
  EXPECT_EQ(msg, "A to B after the handshake");
  msg = "B to A";
  be->process(msg.data(), msg.size());
  ad->process(msg.data(), msg.size());
  EXPECT_EQ(msg, "B to A");
}

TEST(MseHandshake, PayloadFedWithTheLastHandshakeBytesIsDecrypted) {
  policy p;
  p.allowed = crypto_rc4;
  auto a = handshake::initiator(torrent_a, p);
  auto b = handshake::responder(p, lookup_of({torrent_a}));
  ASSERT_TRUE(b.feed(a.take_output()));
  ASSERT_TRUE(a.feed(b.take_output()));
  ASSERT_TRUE(b.feed(a.take_output()));
  ASSERT_TRUE(b.done());
  // B's step 4 and its first payload bytes arrive in one read.
  auto be = b.take_encryptor();
  std::string hello = "hello";
  be->process(hello.data(), hello.size());
  ASSERT_TRUE(a.feed(b.take_output() + hello));
  ASSERT_TRUE(a.done());
  EXPECT_EQ(a.take_payload(), "hello");
}

TEST(MseHandshake, MaximumPadsEverywhere) {
  policy p;
  p.pad_length = 512;  // PadA, PadB, PadC, PadD all at the limit
  auto a = handshake::initiator(torrent_a, p);
  auto b = handshake::responder(p, lookup_of({torrent_a}));
  const auto step1 = a.take_output();
  EXPECT_EQ(step1.size(), 96u + 512u);
  ASSERT_TRUE(b.feed(step1));
  const auto step2 = b.take_output();
  EXPECT_EQ(step2.size(), 96u + 512u);
  ASSERT_TRUE(a.feed(step2));
  const auto step3 = a.take_output();
  EXPECT_EQ(step3.size(), 20u + 20u + 8u + 4u + 2u + 512u + 2u);
  ASSERT_TRUE(b.feed(step3));
  ASSERT_TRUE(b.done());
  const auto step4 = b.take_output();
  EXPECT_EQ(step4.size(), 8u + 4u + 2u + 512u);
  ASSERT_TRUE(a.feed(step4));
  EXPECT_TRUE(a.done());
}

TEST(MseHandshake, ResponderGivesUpOnePastTheSyncWindow) {
  policy p;
  p.pad_length = 512;
  auto a = handshake::initiator(torrent_a, p);
  auto b = handshake::responder(p, lookup_of({torrent_a}));
  auto step1 = a.take_output();
  step1.insert(96, 1, 'x');  // PadA of 513 bytes: req1 ends at 96 + 513 + 20 = 629 > 628
  ASSERT_TRUE(b.feed(step1));
  ASSERT_TRUE(a.feed(b.take_output()));
  auto r = b.feed(a.take_output());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::req1_not_found));
  EXPECT_NE(r.error().message().find("no synchronisation hash"), std::string::npos) << r.error().message();
  // Sticky.
  EXPECT_FALSE(b.feed("more"));
}

TEST(MseHandshake, InitiatorGivesUpOnePastTheSyncWindow) {
  policy p;
  p.pad_length = 512;
  auto a = handshake::initiator(torrent_a, p);
  auto b = handshake::responder(p, lookup_of({torrent_a}));
  ASSERT_TRUE(b.feed(a.take_output()));
  auto step2 = b.take_output();
  step2.insert(96, 1, 'x');  // PadB of 513
  ASSERT_TRUE(a.feed(step2));
  ASSERT_TRUE(b.feed(a.take_output()));
  auto r = a.feed(b.take_output());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::vc_not_found));
}

TEST(MseHandshake, UnknownTorrentIsRejected) {
  auto a = handshake::initiator(torrent_b, policy{});
  auto b = handshake::responder(policy{}, lookup_of({torrent_a}));
  ASSERT_TRUE(b.feed(a.take_output()));
  ASSERT_TRUE(a.feed(b.take_output()));
  auto r = b.feed(a.take_output());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::unknown_torrent));
}

TEST(MseHandshake, NoCommonMethod) {
  policy pa, pb;
  pa.allowed = crypto_plaintext;
  pb.allowed = crypto_rc4;
  auto a = handshake::initiator(torrent_a, pa);
  auto b = handshake::responder(pb, lookup_of({torrent_a}));
  ASSERT_TRUE(b.feed(a.take_output()));
  ASSERT_TRUE(a.feed(b.take_output()));
  auto r = b.feed(a.take_output());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::no_common_method));
  EXPECT_NE(r.error().message().find("crypto_provide 0x1, we accept 0x2"), std::string::npos) << r.error().message();
}

TEST(MseHandshake, GarbageAndInvalidKeys) {
  // A plain BitTorrent handshake is not an MSE key exchange: no req1 in the window.
  auto b = handshake::responder(policy{}, lookup_of({torrent_a}));
  std::string garbage(700, '\x5a');
  garbage[0] = 0;  // below P
  auto r = b.feed(garbage);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::req1_not_found));
  // Y = 1 gives a predictable secret.
  auto b2 = handshake::responder(policy{}, lookup_of({torrent_a}));
  std::string one(96, '\0');
  one[95] = 1;
  r = b2.feed(one);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::invalid_public_key));
  EXPECT_EQ(r.error().offset, 0u);
}

// A hand-made initiator that says whatever the test wants in step 3.
std::string forged_step3(const crypto::mse_dh& dh, std::string_view yb, const sha1_hash& skey, std::uint32_t provide,
                         std::size_t pad_c, bool zero_vc) {
  const auto s = *dh.shared_secret(std::span<const std::uint8_t, 96>(reinterpret_cast<const std::uint8_t*>(yb.data()), 96));
  const std::string_view sv(reinterpret_cast<const char*>(s.data()), s.size());
  crypto::sha1 h;
  std::string out(h.update("req1").update(sv).finish().view());
  const auto req2 = req2_hash(skey);
  const auto req3 = h.update("req3").update(sv).finish();
  for (std::size_t i = 0; i < 20; ++i) out.push_back(static_cast<char>(req2.bytes[i] ^ req3.bytes[i]));
  const auto key_a = h.update("keyA").update(sv).update(skey.view()).finish();
  crypto::rc4 enc(key_a.span());
  enc.discard(1024);
  std::string body(8, zero_vc ? '\0' : '\1');
  for (int shift = 24; shift >= 0; shift -= 8) body.push_back(static_cast<char>((provide >> shift) & 0xff));
  body.push_back(static_cast<char>(pad_c >> 8));
  body.push_back(static_cast<char>(pad_c & 0xff));
  enc.process(body.data(), body.size());
  return out + body;
}

TEST(MseHandshake, OversizedPadCAndBadVcAreRejected) {
  for (const bool zero_vc : {true, false}) {
    crypto::mse_dh dh;
    auto b = handshake::responder(policy{}, lookup_of({torrent_a}));
    ASSERT_TRUE(b.feed(std::string(reinterpret_cast<const char*>(dh.public_key().data()), 96)));
    const auto yb = b.take_output();
    auto r = b.feed(forged_step3(dh, yb, torrent_a, crypto_rc4, 513, zero_vc));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, make_error_code(zero_vc ? errc::pad_too_long : errc::bad_vc)) << r.error().message();
    if (zero_vc) {
      EXPECT_NE(r.error().message().find("len(PadC) 513"), std::string::npos) << r.error().message();
    }
  }
  // 512 is fine (the rest of the step is still to come).
  crypto::mse_dh dh;
  auto b = handshake::responder(policy{}, lookup_of({torrent_a}));
  ASSERT_TRUE(b.feed(std::string(reinterpret_cast<const char*>(dh.public_key().data()), 96)));
  EXPECT_TRUE(b.feed(forged_step3(dh, b.take_output(), torrent_a, crypto_rc4, 512, true)));
  EXPECT_FALSE(b.done());
}

}  // namespace
}  // namespace ccbt::mse
