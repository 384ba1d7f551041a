// libFuzzer target for the metainfo parser (torrent_info::parse and from_info_dict).
//
// For every input: parse it as a whole .torrent and as a bare info dict. Whatever parses must keep
// every invariant of include/ccbt/metainfo.hpp (tests/unit/metainfo/invariants.hpp: safe relative
// paths, no duplicates, offsets and pieces that add up, map_block covering each piece exactly
// without pad files, hashes of the raw info bytes), and parsing its info_bytes() again must give
// the same torrent. A failed parse must carry a one-line message. Any broken property aborts.
#include <ccbt/metainfo.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../unit/metainfo/invariants.hpp"

namespace {

namespace m = ccbt::metainfo;

#define FUZZ_CHECK(cond, what)                                                                  \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, #cond,          \
                   std::string(what).c_str());                                                  \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

void check(const ccbt::result<m::torrent_info>& r, std::string_view input) {
  if (!r) {
    const std::string msg = r.error().message();
    FUZZ_CHECK(!msg.empty() && msg.find('\n') == std::string::npos, msg);
    return;
  }
  const m::torrent_info& ti = *r;
  const std::string violation = m::testing::check_invariants(ti, 64);
  FUZZ_CHECK(violation.empty(), violation);

  // The info dict alone describes the same torrent.
  const auto again = m::torrent_info::from_info_dict(ti.info_bytes());
  FUZZ_CHECK(again.has_value(), again.error().message());
  FUZZ_CHECK(again->hashes() == ti.hashes(), "hashes");
  FUZZ_CHECK(again->num_files() == ti.num_files() && again->total_size() == ti.total_size(), "layout");
  for (std::size_t i = 0; i < ti.num_files(); ++i)
    FUZZ_CHECK(again->files()[i].path == ti.files()[i].path, ti.files()[i].path);

  // Arbitrary block requests stay inside the piece and the files.
  const std::uint32_t piece = static_cast<std::uint32_t>(input.size()) % (ti.num_pieces() + 1);
  const std::uint32_t offset = static_cast<std::uint32_t>(input.size() * 7919u) % (ti.piece_length() + 1);
  std::uint64_t total = 0;
  for (const auto& s : ti.map_block(piece, offset, 1u << 20)) {
    FUZZ_CHECK(s.file_index < ti.num_files() && !ti.files()[s.file_index].pad(), "slice file");
    FUZZ_CHECK(s.file_offset + s.length <= ti.files()[s.file_index].size, "slice range");
    total += s.length;
  }
  FUZZ_CHECK(total <= ti.piece_size(piece), "block larger than its piece");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check(m::torrent_info::parse(input), input);
  check(m::torrent_info::from_info_dict(input), input);
  return 0;
}
