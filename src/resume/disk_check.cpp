#include "resume/disk_check.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>

#include "resume/errc.hpp"

namespace ccbt::resume {

std::vector<file_change> validate_against_disk(std::span<const file_record> recorded,
                                               std::span<const disk_file> on_disk) {
  std::unordered_map<std::uint32_t, const file_record*> by_index;
  for (const auto& r : recorded) by_index.emplace(r.index, &r);
  std::vector<file_change> out;
  for (const auto& d : on_disk) {
    auto it = by_index.find(d.index);
    const std::optional<file_stat> before =
        it == by_index.end() ? std::nullopt : it->second->stat;
    file_verdict v = file_verdict::unchanged;
    if (!before && d.stat) {
      v = file_verdict::appeared;
    } else if (before && !d.stat) {
      v = file_verdict::missing;
    } else if (before && d.stat) {
      if (before->size != d.stat->size) {
        v = file_verdict::size_changed;
      } else if (before->mtime_ns != d.stat->mtime_ns) {
        v = file_verdict::mtime_changed;
      }
    }
    if (v != file_verdict::unchanged) out.push_back({d.index, v});
  }
  return out;
}

result<std::optional<file_stat>> stat_file(const std::filesystem::path& path) {
  struct ::stat sb {};
  if (::stat(path.c_str(), &sb) != 0) {
    const int err = errno;
    if (err == ENOENT) return std::optional<file_stat>{};
    return make_error(errc::io_error, "stat " + path.string() + ": " + std::strerror(err));
  }
  const std::int64_t ns = static_cast<std::int64_t>(sb.st_mtim.tv_sec) * 1'000'000'000 +
                          static_cast<std::int64_t>(sb.st_mtim.tv_nsec);
  return std::optional<file_stat>{file_stat{static_cast<std::uint64_t>(sb.st_size), ns}};
}

std::vector<std::uint32_t> pieces_to_recheck(const bitfield& verified,
                                             std::span<const byte_range> changed,
                                             std::uint64_t piece_length) {
  std::vector<std::uint32_t> out;
  if (piece_length == 0) return out;
  const std::uint64_t n = verified.size();
  for (const auto& r : changed) {
    if (r.length == 0) continue;
    const std::uint64_t first = r.offset / piece_length;
    // Pieces from the one holding the first byte to the one holding the last.
    const std::uint64_t last = (r.offset + (r.length - 1)) / piece_length;
    for (std::uint64_t p = first; p <= last && p < n; ++p) {
      if (verified.test(static_cast<std::uint32_t>(p))) out.push_back(static_cast<std::uint32_t>(p));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ccbt::resume
