// libFuzzer target for the peer wire codec: handshake parser, message decoder, BEP 10 handshake.
//
// The first byte picks the decoder's settings (piece count known or not, negotiated features, read
// ahead) and seeds the sizes of the pieces the rest is fed in. The input then goes through the
// handshake parser and, from its first byte on, through the message decoder, alternating
// feed() and prepare()/commit(), and for blocks take_payload(), direct payload_consumed() and
// skip_payload(). Properties checked (a broken one aborts):
//   - the handshake parser never consumes more than it is given, stops at byte 48 once, ends at 68;
//   - the decoder never buffers more than its bound, its stream offset equals the bytes consumed,
//     an error is sticky, and prepare() is empty only after an error or at the bound;
//   - every decoded message re-encodes to a frame that decodes to the same message;
//   - a BEP 10 handshake that decodes re-encodes canonically and decodes to the same value.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "wire/decoder.hpp"
#include "wire/extension_handshake.hpp"
#include "wire/handshake.hpp"
#include "fuzz_check.hpp"

namespace {

namespace w = ccbt::wire;

struct rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t upto(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % (n + 1)); }
};

void check_extension_handshake(std::string_view payload) {
  const auto h = w::decode_extension_handshake(payload);
  if (!h) {
    FUZZ_CHECK(!h.error().message().empty());
    return;
  }
  const std::string again = w::encode_extension_handshake(*h);
  const auto back = w::decode_extension_handshake(again);
  FUZZ_CHECK(back);
  FUZZ_CHECK(*back == *h);
  FUZZ_CHECK(w::encode_extension_handshake(*back) == again);
}

// m re-encodes to a frame that a fresh decoder with the same options reads back as m.
void check_round_trip(const w::message& m, const w::decoder_options& opts) {
  if (std::holds_alternative<w::piece_header>(m) || std::holds_alternative<w::unknown>(m)) return;
  std::string frame;
  w::encode(frame, m);
  w::decoder d(opts);
  FUZZ_CHECK(d.feed(frame) == frame.size());
  auto again = d.next();
  FUZZ_CHECK(again && *again);
  std::string frame2;
  w::encode(frame2, **again);
  FUZZ_CHECK(frame == frame2);
  FUZZ_CHECK(d.buffered() == 0);
  if (const auto* e = std::get_if<w::extended>(&m); e && e->id == 0) check_extension_handshake(e->payload);
}

void run_handshake(std::string_view in, rng& r) {
  w::handshake_parser p;
  std::size_t pos = 0;
  bool paused = false;
  while (pos < in.size() && !p.done()) {
    const std::size_t n = 1 + r.upto(std::min<std::size_t>(in.size() - pos, 80) - 1);
    const std::size_t before = pos;
    auto used = p.feed(in.substr(pos, n));
    if (!used) {
      FUZZ_CHECK(used.error().offset && *used.error().offset < 20);
      FUZZ_CHECK(!p.feed(in.substr(pos)));  // sticky
      return;
    }
    FUZZ_CHECK(*used <= n);
    pos += *used;
    if (before < w::handshake_info_hash_end) FUZZ_CHECK(pos <= w::handshake_info_hash_end);
    if (pos == w::handshake_info_hash_end && !paused) {
      paused = true;
      FUZZ_CHECK(p.has_info_hash());
      FUZZ_CHECK(!p.done());
      (void)p.info_hash();
      (void)p.reserved();
    }
  }
  FUZZ_CHECK(pos <= w::handshake_size);
  if (p.done()) {
    FUZZ_CHECK(pos == w::handshake_size);
    std::string out;
    w::encode(out, p.value());
    FUZZ_CHECK(out == in.substr(0, w::handshake_size));
  }
}

void run_decoder(std::string_view in, const w::decoder_options& opts, rng& r) {
  w::decoder d(opts);
  const std::size_t bound = 4 + std::max<std::uint64_t>(d.options().max_message_size,
                                                        1 + (opts.num_pieces ? (*opts.num_pieces + 7ull) / 8 : 0)) +
                            opts.read_ahead;
  std::size_t pos = 0;  // bytes of `in` handed to the decoder
  std::uint64_t messages = 0;
  for (;;) {
    // Drain.
    for (;;) {
      if (d.in_payload()) {
        const std::size_t remaining = d.payload_remaining();
        const std::size_t buffered = d.buffered_payload().size();
        FUZZ_CHECK(buffered <= remaining);
        switch (r.upto(3)) {
          case 0: {  // copy what is buffered
            std::string block(r.upto(remaining), '\0');
            const std::size_t n = d.take_payload(std::as_writable_bytes(std::span<char>(block.data(), block.size())));
            FUZZ_CHECK(n == std::min(block.size(), buffered));
            break;
          }
          case 1:  // zero-copy: the "socket" delivers straight into the block buffer
            if (buffered == 0 && pos < in.size()) {
              const std::size_t n = std::min(r.upto(remaining), in.size() - pos);
              d.payload_consumed(n);
              pos += n;
            }
            break;
          case 2: d.skip_payload(); break;
          default: break;
        }
        if (d.in_payload() && d.buffered_payload().empty() && pos >= in.size()) return;
        if (d.in_payload() && !d.buffered_payload().empty()) continue;
        if (d.in_payload()) break;
      }
      auto m = d.next();
      if (!m) {
        FUZZ_CHECK(d.failed());
        FUZZ_CHECK(!m.error().message().empty());
        auto again = d.next();
        FUZZ_CHECK(!again && again.error().code == m.error().code);
        FUZZ_CHECK(d.prepare().empty());
        return;
      }
      if (!*m) {
        if (d.in_payload()) continue;
        break;
      }
      ++messages;
      check_round_trip(**m, d.options());
    }
    FUZZ_CHECK(d.buffered() <= bound);
    FUZZ_CHECK(d.stream_offset() + d.buffered() == pos);
    if (pos >= in.size()) return;
    const std::size_t n = 1 + r.upto(std::min<std::size_t>(in.size() - pos, 20000) - 1);
    if (r.next() & 1) {
      const std::size_t used = d.feed(in.substr(pos, n));
      FUZZ_CHECK(used <= n);
      FUZZ_CHECK(used > 0);  // drained above, so there is room
      pos += used;
    } else {
      auto space = d.prepare();
      FUZZ_CHECK(!space.empty());
      const std::size_t k = std::min(space.size(), n);
      std::memcpy(space.data(), in.data() + pos, k);
      d.commit(k);
      pos += k;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t cfg = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  rng r{0x5eed ^ (std::uint64_t{cfg} << 32) ^ size};

  run_handshake(in, r);

  w::decoder_options opts;
  if (cfg & 0x01) opts.num_pieces = 1 + static_cast<std::uint32_t>(r.upto(3000));
  if (cfg & 0x02) opts.piece_length = 16384u << r.upto(3);
  opts.negotiated.fast = (cfg & 0x04) != 0;
  opts.negotiated.extended = (cfg & 0x08) != 0;
  opts.negotiated.v2 = (cfg & 0x10) != 0;
  opts.read_ahead = (cfg & 0x20) ? 0 : 1024;
  opts.max_message_size = (cfg & 0x40) ? 64 * 1024 : 1024 * 1024;
  opts.max_unknown_messages = 16;
  run_decoder(in, opts, r);
  // The same bytes after a handshake, as a session sees them.
  if (in.size() > w::handshake_size) run_decoder(in.substr(w::handshake_size), opts, r);

  check_extension_handshake(in);
  return 0;
}
