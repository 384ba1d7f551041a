#include "picker/file_priorities.hpp"

#include <algorithm>

namespace ccbt::picker {

std::vector<std::uint8_t> piece_priorities_from_files(std::span<const file_pieces> files, piece_index piece_count,
                                                      std::uint8_t uncovered) {
  // Files are usually in order and disjoint except at shared boundary pieces; a "covered" marker
  // keeps this O(pieces + files) whatever their order.
  std::vector<std::uint8_t> prio(piece_count, 0);
  std::vector<bool> covered(piece_count, false);
  for (const file_pieces& f : files) {
    const piece_index end = std::min(f.end, piece_count);
    const std::uint8_t p = std::min(f.priority, max_priority);
    for (piece_index i = f.begin; i < end; ++i) {
      prio[i] = std::max(prio[i], p);
      covered[i] = true;
    }
  }
  const std::uint8_t u = std::min(uncovered, max_priority);
  for (piece_index i = 0; i < piece_count; ++i)
    if (!covered[i]) prio[i] = u;
  return prio;
}

}  // namespace ccbt::picker
