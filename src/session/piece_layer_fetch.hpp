// piece_layer_fetch — getting a v2 torrent's piece layers from peers (BEP 52 hash requests) after
// its info dictionary arrived by magnet link (BEP 9 metadata carries no "piece layers").
//
// Each file larger than one piece needs its piece layer; it is asked for in buckets of up to
// merkle::max_request_hashes (512) piece hashes, aligned, with the proof up to the file's pieces
// root (proof_layers = tree height - piece height - 1), so every answer is checked on its own
// against the pieces root from the verified info dictionary. One bucket is in flight with one peer
// at a time; a timed-out or rejected bucket goes back to the queue (a peer that rejected it is not
// asked again for it). Pure: no I/O, times in milliseconds from the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include <ccbt/hash.hpp>
#include <ccbt/metainfo.hpp>

#include "wire/messages.hpp"

namespace ccbt::session_detail {

class piece_layer_fetch {
 public:
  using token = std::uint64_t;
  enum class answer_result : std::uint8_t {
    ignored,   // not a request of ours in flight with this peer
    accepted,  // proved against the pieces root and stored
    bad,       // the hashes do not prove against the pieces root (the peer lied or is broken)
  };

  piece_layer_fetch(const metainfo::torrent_info& info, std::int64_t timeout_ms);

  // The next request to send to `peer`, if any bucket is waiting (or timed out) and it has not
  // rejected it before.
  [[nodiscard]] std::optional<wire::hash_request> next_request(token peer, std::int64_t now_ms);
  [[nodiscard]] answer_result on_hashes(token peer, const wire::hashes& m);
  void on_reject(token peer, const wire::hash_range& r);

  [[nodiscard]] bool done() const noexcept { return remaining_ == 0; }
  [[nodiscard]] std::size_t files() const noexcept { return files_.size(); }
  // Sets every fetched layer on `info` (the torrent_info the requests were made for). Call when done().
  [[nodiscard]] result<void> apply(metainfo::torrent_info& info) const;

 private:
  struct bucket {
    std::uint32_t index = 0, length = 0;  // in the piece layer
    std::optional<token> peer;            // in flight with
    std::int64_t sent_ms = 0;
    bool have = false;
    std::set<token> rejected_by;
  };
  struct file_job {
    std::size_t file = 0;
    sha256_hash root;
    std::uint32_t piece_height = 0, tree_height = 0, pieces = 0;
    std::vector<sha256_hash> layer;  // pieces entries, filled bucket by bucket
    std::vector<bucket> buckets;
  };
  [[nodiscard]] wire::hash_request request_of(const file_job& f, const bucket& b) const;

  std::vector<file_job> files_;
  std::size_t remaining_ = 0;  // buckets not yet have
  std::int64_t timeout_ms_;
};

}  // namespace ccbt::session_detail
