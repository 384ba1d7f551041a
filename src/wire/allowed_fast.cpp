#include "wire/allowed_fast.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "crypto/sha.hpp"
#include "wire/messages.hpp"

namespace ccbt::wire {

std::vector<std::uint32_t> allowed_fast_set(const sha1_hash& info_hash, std::array<std::uint8_t, 4> ipv4,
                                            std::uint32_t num_pieces, std::size_t count) {
  std::vector<std::uint32_t> out;
  count = std::min<std::size_t>(count, num_pieces);
  if (count == 0) return out;
  out.reserve(count);

  std::array<unsigned char, 24> seed{};
  std::memcpy(seed.data(), ipv4.data(), 3);  // ip & 0xFFFFFF00, network byte order
  seed[3] = 0;
  std::memcpy(seed.data() + 4, info_hash.bytes.data(), 20);

  sha1_hash x = crypto::sha1_digest(std::string_view(reinterpret_cast<const char*>(seed.data()), seed.size()));
  for (;;) {
    for (std::size_t i = 0; i < 5 && out.size() < count; ++i) {
      const std::uint32_t index = detail::get32(x.bytes.data() + 4 * i) % num_pieces;
      if (std::find(out.begin(), out.end(), index) == out.end()) out.push_back(index);
    }
    if (out.size() >= count) return out;
    x = crypto::sha1_digest(x.view());
  }
}

}  // namespace ccbt::wire
