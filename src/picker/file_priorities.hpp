// Mapping file priorities to piece priorities (pure).
//
// A piece gets the highest priority of the files it overlaps, so a piece shared by a skipped file
// (0) and a wanted one is still downloaded; a piece is 0 only if every file touching it is 0.
// Pieces touched by no listed file (e.g. only by BEP 47 pad files, which the caller leaves out)
// get `uncovered`.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "picker/piece_picker.hpp"

namespace ccbt::picker {

struct file_pieces {
  piece_index begin = 0;  // first piece the file touches
  piece_index end = 0;    // one past the last; begin == end for an empty file
  std::uint8_t priority = default_priority;
};

[[nodiscard]] std::vector<std::uint8_t> piece_priorities_from_files(std::span<const file_pieces> files,
                                                                    piece_index piece_count,
                                                                    std::uint8_t uncovered = 0);

}  // namespace ccbt::picker
