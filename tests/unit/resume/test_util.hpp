// Helpers for the resume store tests: a temporary directory removed at the end, sample records.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <ccbt/hash.hpp>

#include "resume/types.hpp"

namespace ccbt::resume::test {

class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ccbt-resume-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline sha1_hash sha1_of(std::uint8_t seed) {
  sha1_hash h;
  for (std::size_t i = 0; i < h.bytes.size(); ++i) h.bytes[i] = static_cast<std::uint8_t>(seed + i * 7);
  return h;
}

inline sha256_hash sha256_of(std::uint8_t seed) {
  sha256_hash h;
  for (std::size_t i = 0; i < h.bytes.size(); ++i) h.bytes[i] = static_cast<std::uint8_t>(seed * 3 + i);
  return h;
}

inline torrent_record sample_record(std::uint8_t seed, std::uint32_t pieces) {
  torrent_record r;
  r.hash.v1 = sha1_of(seed);
  r.name = "torrent-" + std::to_string(seed);
  r.save_path = "/downloads/" + std::to_string(seed);
  r.metainfo = std::string("d4:infod6:lengthi1e4:name1:a12:piece lengthi16384e6:pieces20:") +
               std::string(20, '\0') + "ee";
  r.piece_count = pieces;
  r.state = torrent_state::downloading;
  r.added_at = 1700000000 + seed;
  return r;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::string out(static_cast<std::size_t>(std::filesystem::file_size(p)), '\0');
  std::ifstream in(p, std::ios::binary);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

inline void write_file(const std::filesystem::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
}

}  // namespace ccbt::resume::test
