// Helpers for the storage tests: a temporary directory, an executor queue the test drains, and a
// builder of v1 / v2 / hybrid torrents (bencode + crypto) with deterministic file contents.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <ccbt/bencode.hpp>
#include <ccbt/metainfo.hpp>

#include "crypto/sha.hpp"
#include "metainfo/merkle.hpp"

namespace ccbt::storage::test {

namespace fs = std::filesystem;

class temp_dir {
 public:
  explicit temp_dir(const std::string& base = "/tmp") {
    std::string templ = base + "/ccbt-storage-XXXXXX";
    char* p = ::mkdtemp(templ.data());
    if (p == nullptr) throw std::runtime_error("mkdtemp failed in " + base);
    path_ = p;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The executor passed to disk_io: completions are queued and run by the test thread.
class post_queue {
 public:
  std::function<void(std::function<void()>)> executor() {
    return [this](std::function<void()> f) {
      std::lock_guard lock(m_);
      q_.push_back(std::move(f));
      cv_.notify_all();
    };
  }
  // Runs queued completions until pred() holds; false on timeout.
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      std::function<void()> f;
      {
        std::unique_lock lock(m_);
        if (!cv_.wait_until(lock, deadline, [&] { return !q_.empty(); })) return pred();
        f = std::move(q_.front());
        q_.pop_front();
      }
      f();
    }
    return true;
  }
  // Runs whatever is queued now.
  void poll() {
    for (;;) {
      std::function<void()> f;
      {
        std::lock_guard lock(m_);
        if (q_.empty()) return;
        f = std::move(q_.front());
        q_.pop_front();
      }
      f();
    }
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
};

enum class kind { v1, v2, hybrid };

struct file_spec {
  std::vector<std::string> path;  // below the torrent name
  std::uint64_t size = 0;
  bool pad = false;               // v1 only: an explicit BEP 47 pad file
};

struct test_torrent {
  std::shared_ptr<const metainfo::torrent_info> info;
  std::map<std::string, std::string> content;  // by torrent_info path ("name/a/b")
  std::string payload;                         // the whole piece space, pad bytes zero
};

inline std::string random_bytes(std::uint64_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (std::uint64_t i = 0; i < n; i += 8) {
    const std::uint64_t v = rng();
    for (std::uint64_t k = 0; k < 8 && i + k < n; ++k) s[i + k] = static_cast<char>((v >> (8 * k)) & 0xff);
  }
  return s;
}

inline std::vector<sha256_hash> leaves_of(const std::string& data) {
  std::vector<sha256_hash> out;
  for (std::size_t i = 0; i < data.size(); i += metainfo::merkle::block_size)
    out.push_back(crypto::sha256_digest(std::string_view(data).substr(i, metainfo::merkle::block_size)));
  return out;
}

// Builds, parses and returns a multi-file torrent named `name`. For v1, `files` may contain
// explicit pad entries; for hybrid, pads are inserted after every non-empty file that does not end
// on a piece boundary (except the last), as libtorrent does; v2 pads are implicit.
inline test_torrent build_torrent(kind k, const std::string& name, const std::vector<file_spec>& files,
                                  std::uint32_t piece_length, std::uint64_t seed = 1) {
  using namespace ccbt::bencode;
  test_torrent t;
  std::vector<file_spec> v1_files;
  for (std::size_t i = 0; i < files.size(); ++i) {
    v1_files.push_back(files[i]);
    if (k == kind::hybrid && files[i].size % piece_length != 0 && i + 1 < files.size()) {
      const std::uint64_t pad = piece_length - files[i].size % piece_length;
      v1_files.push_back(file_spec{{".pad", std::to_string(pad)}, pad, true});
    }
  }
  std::string v1_space;
  dict info;
  info["name"] = name;
  info["piece length"] = static_cast<std::int64_t>(piece_length);
  list v1_list;
  dict tree;
  dict layers;
  std::uint64_t file_no = 0;
  for (const auto& f : v1_files) {
    std::string joined = name;
    for (const auto& c : f.path) joined += "/" + c;
    std::string data = f.pad ? std::string(f.size, '\0') : random_bytes(f.size, seed * 1000003 + file_no++);
    if (!f.pad) t.content[joined] = data;
    v1_space += data;
    dict fe;
    fe["length"] = static_cast<std::int64_t>(f.size);
    list p;
    for (const auto& c : f.path) p.emplace_back(c);
    fe["path"] = p;
    if (f.pad) fe["attr"] = "p";
    v1_list.emplace_back(fe);
    if (k != kind::v1 && !f.pad) {
      dict leaf;
      leaf["length"] = static_cast<std::int64_t>(f.size);
      if (f.size > 0) {
        const auto leaves = leaves_of(data);
        const sha256_hash root = metainfo::merkle::file_root(leaves);
        leaf["pieces root"] = std::string(root.view());
        if (f.size > piece_length) {
          std::string layer;
          for (const auto& h : metainfo::merkle::piece_layer(leaves, piece_length)) layer += h.view();
          layers[std::string(root.view())] = layer;
        }
      }
      dict* node = &tree;
      for (const auto& c : f.path) {
        auto& child = (*node)[c];
        if (child.kind() != type::dict) child = dict{};
        node = &child.as_dict();
      }
      (*node)[""] = leaf;
    }
  }
  if (k != kind::v2) {
    std::string pieces;
    for (std::size_t off = 0; off < v1_space.size(); off += piece_length)
      pieces += crypto::sha1_digest(std::string_view(v1_space).substr(off, piece_length)).view();
    info["files"] = v1_list;
    info["pieces"] = pieces;
  }
  if (k != kind::v1) {
    info["file tree"] = tree;
    info["meta version"] = 2;
  }
  dict top;
  top["info"] = info;
  if (k != kind::v1 && !layers.empty()) top["piece layers"] = layers;
  const std::string bytes = encode(top);
  auto parsed = metainfo::torrent_info::parse(bytes);
  if (!parsed) throw std::runtime_error("test torrent does not parse: " + parsed.error().message());
  t.info = std::make_shared<const metainfo::torrent_info>(std::move(*parsed));
  for (const auto& fe : t.info->files()) {
    if (fe.pad()) t.payload += std::string(fe.size, '\0');
    else t.payload += t.content.at(fe.path);
  }
  if (k != kind::v2 && t.payload != v1_space) throw std::runtime_error("layout differs from the v1 list");
  return t;
}

inline std::string read_file(const fs::path& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec) return {};
  std::string out(size, '\0');
  std::ifstream in(p, std::ios::binary);
  in.read(out.data(), static_cast<std::streamsize>(size));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

// Files whose pieces straddle file boundaries, with a pad file and empty files.
inline test_torrent v1_torrent(std::uint32_t piece_length = 32768) {
  return build_torrent(kind::v1, "multi",
                       {{{"a", "one.bin"}, 50000},
                        {{".pad", "15536"}, 15536, true},
                        {{"a", "empty.txt"}, 0},
                        {{"b.bin"}, 70000},
                        {{"c.bin"}, 1},
                        {{"d", "e", "f.bin"}, 100000},
                        {{"z-empty"}, 0}},
                       piece_length);
}

}  // namespace ccbt::storage::test
