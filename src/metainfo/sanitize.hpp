// Path sanitising for names and paths that come from .torrent files (internal to metainfo).
//
// Follows libtorrent's sanitize_append_path_element (POSIX build) so ccbt and libtorrent put the
// same torrent's files at the same paths: "." and ".." components are dropped, an empty component
// becomes "_", '/' and '\' and the bidi-override code points are removed, control characters and
// invalid UTF-8 bytes become '_', a component is cut at 240 bytes (keeping a short extension).
// Duplicate paths are then renamed "name.N.ext" (case-insensitively, directories first).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ccbt::metainfo::detail {

// The sanitised form of one path component; empty means "drop this component".
[[nodiscard]] std::string sanitize_component(std::string_view element);

// Joins components with '/'.
[[nodiscard]] std::string join_path(const std::vector<std::string>& components);

// One file path for deduplication: its components (modified in place when renamed).
struct dedup_entry {
  std::vector<std::string>* components;
};

// Renames paths that collide (ASCII case-insensitively) with a directory of any path or with an
// earlier path: the last component "base.ext" becomes "base.N.ext" with the smallest free N >= 1.
// Runs in O(total path length) expected time whatever the input (no quadratic renaming).
void resolve_duplicates(std::vector<dedup_entry>& entries);

}  // namespace ccbt::metainfo::detail
