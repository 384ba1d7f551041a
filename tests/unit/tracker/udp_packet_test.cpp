#include <gtest/gtest.h>

#include "tracker/udp_packet.hpp"

namespace ccbt::tracker::udp {
namespace {

using bytes = std::vector<std::uint8_t>;

void put32(bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}
bytes header(std::uint32_t act, std::uint32_t tid) {
  bytes b;
  put32(b, act);
  put32(b, tid);
  return b;
}
template <class T>
void expect_error(const result<T>& r, errc code) {
  ASSERT_FALSE(r) << "expected " << make_error_code(code).message();
  EXPECT_EQ(r.error().code, make_error_code(code)) << r.error().message();
}

announce_request sample_request() {
  announce_request r;
  r.info_hash = *sha1_hash::from_bytes("ABCDEFGHIJKLMNOPQRST");
  r.pid = *peer_id::from_bytes("-CC0001-123456789012");
  r.downloaded = 0x0102030405060708ull;
  r.left = 9;
  r.uploaded = 10;
  r.ev = event::completed;
  r.key = 0xcafebabe;
  r.num_want = 30;
  r.port = 6881;
  return r;
}

TEST(UdpPacket, ConnectRoundTrip) {
  const auto req = encode_connect(0x11223344);
  ASSERT_EQ(req.size(), connect_request_size);
  EXPECT_EQ(req, (bytes{0, 0, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44}));
  auto decoded = decode_request(req);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<connect_request>(*decoded).transaction_id, 0x11223344u);

  const auto resp = encode_connect_response(0x11223344, 0xa1a2a3a4a5a6a7a8ull);
  auto id = decode_connect(resp, 0x11223344);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, 0xa1a2a3a4a5a6a7a8ull);
}

TEST(UdpPacket, AnnounceRoundTrip) {
  const auto req = sample_request();
  const auto packet = encode_announce(0x0102030405060708ull, 77, req);
  ASSERT_EQ(packet.size(), announce_request_size);
  auto decoded = decode_request(packet);
  ASSERT_TRUE(decoded);
  const auto& a = std::get<announce_packet>(*decoded);
  EXPECT_EQ(a.connection_id, 0x0102030405060708ull);
  EXPECT_EQ(a.transaction_id, 77u);
  EXPECT_EQ(a.request.info_hash, req.info_hash);
  EXPECT_EQ(a.request.pid, req.pid);
  EXPECT_EQ(a.request.downloaded, req.downloaded);
  EXPECT_EQ(a.request.left, 9u);
  EXPECT_EQ(a.request.uploaded, 10u);
  EXPECT_EQ(a.request.ev, event::completed);
  EXPECT_EQ(a.request.key, 0xcafebabeu);
  EXPECT_EQ(a.request.num_want, 30);
  EXPECT_EQ(a.request.port, 6881);

  auto no_want = req;
  no_want.num_want.reset();
  auto d2 = decode_request(encode_announce(1, 2, no_want));
  ASSERT_TRUE(d2);
  EXPECT_FALSE(std::get<announce_packet>(*d2).request.num_want);
  const auto raw = encode_announce(1, 2, no_want);
  EXPECT_EQ(raw[92], 0xff);  // num_want -1
  EXPECT_EQ(raw[95], 0xff);
}

TEST(UdpPacket, AnnounceCarriesBep41UrlData) {
  const std::string path = "/announce?passkey=" + std::string(300, 'k');
  const auto packet = encode_announce(1, 2, sample_request(), path);
  ASSERT_EQ(packet.size(), announce_request_size + 2 + 255 + 2 + (path.size() - 255));
  EXPECT_EQ(packet[98], 2);
  EXPECT_EQ(packet[99], 255);
  EXPECT_EQ(std::string(packet.begin() + 100, packet.begin() + 100 + 9), "/announce");
  EXPECT_EQ(packet[100 + 255], 2);
  EXPECT_EQ(packet[101 + 255], path.size() - 255);
  EXPECT_TRUE(decode_request(packet));  // the tracker side ignores options
}

TEST(UdpPacket, AnnounceResponseV4AndV6) {
  const peer_address v4[] = {*peer_address::from_string("1.2.3.4:5"), *peer_address::from_string("10.0.0.1:65535")};
  auto packet = encode_announce_response(9, 1800, 3, 4, v4);
  EXPECT_EQ(packet.size(), announce_response_header + 12);
  auto r = decode_announce(packet, 9, false);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->interval, std::chrono::seconds(1800));
  EXPECT_EQ(r->incomplete, 3);
  EXPECT_EQ(r->complete, 4);
  ASSERT_EQ(r->peers.size(), 2u);
  EXPECT_EQ(r->peers[0].address.to_string(), "1.2.3.4:5");
  EXPECT_EQ(r->peers[1].address.to_string(), "10.0.0.1:65535");
  // The same 12 bytes are not whole IPv6 entries.
  expect_error(decode_announce(packet, 9, true), errc::invalid_packet_size);

  const peer_address v6[] = {*peer_address::from_string("[2001:db8::1]:6881")};
  auto p6 = encode_announce_response(9, 0, 0, 0, v6);
  EXPECT_EQ(p6.size(), announce_response_header + 18);
  auto r6 = decode_announce(p6, 9, true);
  ASSERT_TRUE(r6);
  EXPECT_FALSE(r6->interval);  // 0 means "not given"
  ASSERT_EQ(r6->peers.size(), 1u);
  EXPECT_EQ(r6->peers[0].address.to_string(), "[2001:db8::1]:6881");
}

TEST(UdpPacket, ResponseChecks) {
  // truncated
  expect_error(decode_connect(bytes{0, 0, 0}, 1), errc::packet_too_short);
  auto short_connect = header(0, 1);
  short_connect.push_back(0);
  expect_error(decode_connect(short_connect, 1), errc::packet_too_short);
  auto short_announce = header(1, 1);
  put32(short_announce, 1800);
  expect_error(decode_announce(short_announce, 1, false), errc::packet_too_short);
  // wrong transaction id (checked before the action)
  expect_error(decode_connect(encode_connect_response(2, 5), 1), errc::wrong_transaction_id);
  expect_error(decode_announce(encode_announce_response(2, 1, 1, 1, {}), 1, false), errc::wrong_transaction_id);
  expect_error(decode_connect(encode_error(2, "x"), 1), errc::wrong_transaction_id);
  // wrong action
  expect_error(decode_announce(encode_connect_response(1, 5), 1, false), errc::wrong_action);
  expect_error(decode_connect(encode_announce_response(1, 1, 1, 1, {}), 1), errc::wrong_action);
  auto odd = header(7, 1);
  expect_error(decode_connect(odd, 1), errc::wrong_action);
  // error packets
  auto e = decode_announce(encode_error(1, "torrent not registered\x01"), 1, false);
  expect_error(e, errc::tracker_failure);
  EXPECT_EQ(e.error().context, "torrent not registered?");
  expect_error(decode_scrape(encode_error(1, ""), 1, {}), errc::tracker_failure);
  // too many peers
  parse_limits lim;
  lim.max_peers = 1;
  const peer_address two[] = {*peer_address::from_string("1.1.1.1:1"), *peer_address::from_string("2.2.2.2:2")};
  expect_error(decode_announce(encode_announce_response(1, 1, 0, 0, two), 1, false, lim), errc::too_many_peers);
}

TEST(UdpPacket, ScrapeRoundTrip) {
  const sha1_hash hashes[] = {*sha1_hash::from_bytes("aaaaaaaaaaaaaaaaaaaa"), *sha1_hash::from_bytes("bbbbbbbbbbbbbbbbbbbb")};
  const auto req = encode_scrape(42, 7, hashes);
  ASSERT_EQ(req.size(), scrape_request_header + 40);
  auto d = decode_request(req);
  ASSERT_TRUE(d);
  const auto& s = std::get<scrape_packet>(*d);
  EXPECT_EQ(s.connection_id, 42u);
  EXPECT_EQ(s.transaction_id, 7u);
  ASSERT_EQ(s.hashes.size(), 2u);
  EXPECT_EQ(s.hashes[1], hashes[1]);

  const scrape_entry entries[] = {{hashes[0], 1, 2, 3}, {hashes[1], 4, 5, 6}};
  auto resp = encode_scrape_response(7, entries);
  auto r = decode_scrape(resp, 7, hashes);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->files.size(), 2u);
  EXPECT_EQ(r->files[0], entries[0]);
  EXPECT_EQ(r->files[1], entries[1]);
  // fewer entries than asked, more than asked, partial entries
  expect_error(decode_scrape(encode_scrape_response(7, std::span(entries, 1)), 7, hashes), errc::packet_too_short);
  expect_error(decode_scrape(resp, 7, std::span(hashes, 1)), errc::invalid_packet_size);
  auto partial = resp;
  partial.pop_back();
  expect_error(decode_scrape(partial, 7, hashes), errc::invalid_packet_size);
  // at most 74 hashes per packet
  std::vector<sha1_hash> many(100, hashes[0]);
  EXPECT_EQ(encode_scrape(1, 1, many).size(), scrape_request_header + 20 * max_scrape_hashes);
}

TEST(UdpPacket, RequestChecks) {
  expect_error(decode_request(bytes(15, 0)), errc::packet_too_short);
  auto bad_magic = encode_connect(1);
  bad_magic[0] = 1;
  expect_error(decode_request(bad_magic), errc::invalid_request);
  auto announce = encode_announce(1, 2, sample_request());
  auto short_announce = announce;
  short_announce.resize(97);
  expect_error(decode_request(short_announce), errc::packet_too_short);
  auto bad_event = announce;
  bad_event[83] = 4;
  expect_error(decode_request(bad_event), errc::invalid_request);
  auto empty_scrape = encode_scrape(1, 2, {});
  expect_error(decode_request(empty_scrape), errc::packet_too_short);
  auto ragged = empty_scrape;
  ragged.resize(ragged.size() + 19);
  expect_error(decode_request(ragged), errc::invalid_packet_size);
  auto too_many = empty_scrape;
  too_many.resize(too_many.size() + 20 * 75);
  expect_error(decode_request(too_many), errc::invalid_request);
  auto error_action = encode_connect(1);
  error_action[11] = 3;
  expect_error(decode_request(error_action), errc::wrong_action);
  auto unknown = encode_connect(1);
  unknown[11] = 9;
  expect_error(decode_request(unknown), errc::wrong_action);
}

TEST(UdpPacket, PeekHeader) {
  EXPECT_FALSE(peek_header(bytes{1, 2, 3}));
  auto h = peek_header(encode_connect_response(0xabcdef01, 0));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->action, 0u);
  EXPECT_EQ(h->transaction_id, 0xabcdef01u);
}

}  // namespace
}  // namespace ccbt::tracker::udp
