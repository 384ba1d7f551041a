// libFuzzer target for BEP 15 UDP tracker packets: the client's response decoders and the embedded
// tracker's request decoder.
//
// Input: byte 0 selects the decoder, bytes 1..4 are the expected transaction id, byte 5 the number
// of scrape hashes asked for; the rest is the packet. Beyond "no crash": decoders respect their
// limits, and every request that decodes re-encodes to a packet that decodes to the same values.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "tracker/udp_packet.hpp"
#include "fuzz_check.hpp"

namespace {

namespace t = ccbt::tracker;
namespace u = ccbt::tracker::udp;

void request(u::bytes_view p) {
  auto r = u::decode_request(p);
  if (!r) {
    FUZZ_CHECK(r.error().code.category() == t::category());
    return;
  }
  if (const auto* c = std::get_if<u::connect_request>(&*r)) {
    auto again = u::decode_request(u::encode_connect(c->transaction_id));
    FUZZ_CHECK(again && std::get<u::connect_request>(*again).transaction_id == c->transaction_id);
  } else if (const auto* a = std::get_if<u::announce_packet>(&*r)) {
    auto again = u::decode_request(u::encode_announce(a->connection_id, a->transaction_id, a->request));
    FUZZ_CHECK(again);
    const auto& b = std::get<u::announce_packet>(*again);
    FUZZ_CHECK(b.connection_id == a->connection_id && b.transaction_id == a->transaction_id);
    FUZZ_CHECK(b.request.info_hash == a->request.info_hash && b.request.pid == a->request.pid);
    FUZZ_CHECK(b.request.left == a->request.left && b.request.port == a->request.port);
    FUZZ_CHECK(b.request.ev == a->request.ev && b.request.num_want == a->request.num_want);
    FUZZ_CHECK(b.request.key == a->request.key);
  } else {
    const auto& s = std::get<u::scrape_packet>(*r);
    FUZZ_CHECK(!s.hashes.empty() && s.hashes.size() <= u::max_scrape_hashes);
    auto again = u::decode_request(u::encode_scrape(s.connection_id, s.transaction_id, s.hashes));
    FUZZ_CHECK(again && std::get<u::scrape_packet>(*again).hashes == s.hashes);
  }
}

void announce(u::bytes_view p, std::uint32_t tid, bool v6) {
  t::parse_limits lim;
  lim.max_peers = 100;
  auto r = u::decode_announce(p, tid, v6, lim);
  if (!r) return;
  FUZZ_CHECK(r->peers.size() <= lim.max_peers);
  std::vector<t::peer_address> peers;
  for (const auto& e : r->peers) {
    FUZZ_CHECK(e.address.v6 == v6 && e.address.port != 0);
    peers.push_back(e.address);
  }
  const auto interval = r->interval ? static_cast<std::uint32_t>(r->interval->count()) : 0u;
  auto again = u::decode_announce(
      u::encode_announce_response(tid, interval, static_cast<std::uint32_t>(*r->incomplete),
                                  static_cast<std::uint32_t>(*r->complete), peers),
      tid, v6, lim);
  FUZZ_CHECK(again && again->peers == r->peers && again->complete == r->complete);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 6) return 0;
  const std::uint32_t tid = (std::uint32_t{data[1]} << 24) | (std::uint32_t{data[2]} << 16) |
                            (std::uint32_t{data[3]} << 8) | std::uint32_t{data[4]};
  const u::bytes_view p(data + 6, size - 6);
  switch (data[0] % 5) {
    case 0: request(p); break;
    case 1: {
      auto id = u::decode_connect(p, tid);
      if (id) FUZZ_CHECK(u::decode_connect(u::encode_connect_response(tid, *id), tid).value() == *id);
      break;
    }
    case 2: announce(p, tid, false); break;
    case 3: announce(p, tid, true); break;
    default: {
      std::vector<ccbt::sha1_hash> hashes(data[5] % 80);
      for (std::size_t i = 0; i < hashes.size(); ++i) hashes[i].bytes[0] = static_cast<std::uint8_t>(i);
      auto r = u::decode_scrape(p, tid, hashes);
      if (r) FUZZ_CHECK(r->files.size() == std::min(hashes.size(), u::max_scrape_hashes));
      break;
    }
  }
  return 0;
}
