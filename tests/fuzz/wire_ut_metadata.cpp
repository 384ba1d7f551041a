// libFuzzer target for ccbt::wire::decode_ut_metadata (BEP 9). Any input either fails cleanly with a
// message or decodes to a message that re-encodes to an input that decodes to the same message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wire/ut_metadata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ccbt::wire;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const auto known : {std::optional<std::uint64_t>{}, std::optional<std::uint64_t>{40000}}) {
    const auto m = decode_ut_metadata(input, known);
    if (!m) {
      if (m.error().message().empty()) std::abort();
      continue;
    }
    if (m->type == metadata_msg::unknown) continue;
    std::string again;
    if (m->type == metadata_msg::request) again = encode_ut_metadata_request(m->piece);
    else if (m->type == metadata_msg::reject) again = encode_ut_metadata_reject(m->piece);
    else {
      if (m->payload.size() != metadata_piece_length(m->total_size, m->piece)) std::abort();
      again = encode_ut_metadata_data(m->piece, m->total_size, m->payload);
    }
    const auto back = decode_ut_metadata(again, known);
    if (!back || back->type != m->type || back->piece != m->piece || back->payload != m->payload) std::abort();
  }
  return 0;
}
