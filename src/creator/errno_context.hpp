// "path: what: strerror(err)" — the context string of the creator's file errors.
#pragma once

#include <cstring>
#include <filesystem>
#include <string>

namespace ccbt::creator::detail {

inline std::string errno_context(const std::filesystem::path& p, const char* what, int err) {
  std::string s = p.string();
  s += ": ";
  s += what;
  s += ": ";
  s += std::strerror(err);
  return s;
}

}  // namespace ccbt::creator::detail
