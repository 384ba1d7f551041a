// libFuzzer target for the BEP 11 ut_pex codec (src/wire/ut_pex.hpp).
//
// The first byte picks the limits (default, or small ones derived from it); the rest is the payload.
// Properties checked (a broken one aborts):
//   - an error has a message and an offset inside the payload;
//   - a decoded message respects the limits, holds only 4/16-byte addresses, IPv4 before IPv6, and
//     dropped entries without flags;
//   - it re-encodes to bytes that decode to the same message and re-encode identically.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wire/ut_pex.hpp"
#include "fuzz_check.hpp"

namespace {

namespace w = ccbt::wire;

void check_order(const std::vector<w::pex_peer>& v) {
  bool seen_v6 = false;
  for (const auto& p : v) {
    FUZZ_CHECK(p.ip.size == 4 || p.ip.size == 16);
    if (p.ip.size == 16) seen_v6 = true;
    else FUZZ_CHECK(!seen_v6);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t cfg = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  w::ut_pex_limits lim;
  if (cfg & 0x80) {
    lim.max_added = cfg & 0x0f;
    lim.max_dropped = (cfg >> 4) & 0x07;
  }
  const auto m = w::decode_ut_pex(in, lim);
  if (!m) {
    FUZZ_CHECK(!m.error().message().empty());
    FUZZ_CHECK(!m.error().offset || *m.error().offset <= in.size());
    return 0;
  }
  FUZZ_CHECK(m->added.size() <= lim.max_added);
  FUZZ_CHECK(m->dropped.size() <= lim.max_dropped);
  check_order(m->added);
  check_order(m->dropped);
  for (const auto& p : m->dropped) FUZZ_CHECK(p.flags == 0);
  const std::string again = w::encode_ut_pex(*m);
  const auto back = w::decode_ut_pex(again, lim);
  FUZZ_CHECK(back);
  FUZZ_CHECK(*back == *m);
  FUZZ_CHECK(w::encode_ut_pex(*back) == again);
  return 0;
}
