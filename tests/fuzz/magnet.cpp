// libFuzzer target for ccbt::magnet::parse. Any input either fails cleanly or parses to a link that
// survives to_string() and parse() unchanged (and whose text is then a fixed point).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <ccbt/magnet.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto link = ccbt::magnet::parse(input);
  if (!link) {
    if (link.error().message().empty()) std::abort();
    return 0;
  }
  if (!link->hashes.has_v1() && !link->hashes.has_v2()) std::abort();
  const auto text = ccbt::magnet::to_string(*link);
  const auto again = ccbt::magnet::parse(text);
  if (!again || !(*again == *link)) std::abort();
  if (ccbt::magnet::to_string(*again) != text) std::abort();
  for (std::size_t i = 0; i < 8; ++i) (void)ccbt::magnet::selects(*link, i);
  return 0;
}
