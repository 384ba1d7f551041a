#include "session/piece_layer_fetch.hpp"

#include <algorithm>

#include "metainfo/merkle.hpp"
#include "metainfo/merkle_proof.hpp"

namespace ccbt::session_detail {

namespace merkle = metainfo::merkle;

piece_layer_fetch::piece_layer_fetch(const metainfo::torrent_info& info, std::int64_t timeout_ms)
    : timeout_ms_(timeout_ms) {
  if (!info.is_v2()) return;
  const std::uint64_t plen = info.piece_length();
  for (std::size_t i = 0; i < info.num_files(); ++i) {
    const auto& fe = info.files()[i];
    if (fe.pad() || !fe.pieces_root || fe.size <= plen || !info.piece_layer(i).empty()) continue;
    file_job f;
    f.file = i;
    f.root = *fe.pieces_root;
    f.piece_height = merkle::log2_exact(plen / merkle::block_size);
    f.tree_height = merkle::log2_exact(merkle::next_pow2(merkle::block_count(fe.size)));
    f.pieces = static_cast<std::uint32_t>((fe.size + plen - 1) / plen);
    f.layer.resize(f.pieces);
    for (std::uint32_t start = 0; start < f.pieces; start += merkle::max_request_hashes) {
      bucket b;
      b.index = start;
      b.length = static_cast<std::uint32_t>(
          merkle::next_pow2(std::min<std::uint32_t>(merkle::max_request_hashes, f.pieces - start)));
      f.buckets.push_back(std::move(b));
    }
    remaining_ += f.buckets.size();
    files_.push_back(std::move(f));
  }
}

wire::hash_request piece_layer_fetch::request_of(const file_job& f, const bucket& b) const {
  wire::hash_request r;
  r.pieces_root = f.root;
  r.base_layer = f.piece_height;
  r.index = b.index;
  r.length = b.length;
  r.proof_layers = f.tree_height - f.piece_height - 1;
  return r;
}

std::optional<wire::hash_request> piece_layer_fetch::next_request(token peer, std::int64_t now_ms) {
  for (auto& f : files_)
    for (auto& b : f.buckets) {
      if (b.have || b.rejected_by.contains(peer)) continue;
      if (b.peer && now_ms - b.sent_ms < timeout_ms_) continue;
      b.peer = peer;
      b.sent_ms = now_ms;
      return request_of(f, b);
    }
  return std::nullopt;
}

piece_layer_fetch::answer_result piece_layer_fetch::on_hashes(token peer, const wire::hashes& m) {
  for (auto& f : files_) {
    if (f.root != m.pieces_root) continue;
    for (auto& b : f.buckets) {
      const auto want = request_of(f, b);
      if (b.have || b.peer != peer || static_cast<const wire::hash_range&>(want) != static_cast<const wire::hash_range&>(m))
        continue;
      std::vector<sha256_hash> h(m.count());
      for (std::size_t i = 0; i < h.size(); ++i) h[i] = m.at(i);
      const merkle::proof_request pr{want.base_layer, want.index, want.length, want.proof_layers};
      b.peer.reset();
      if (!merkle::verify_answer(f.root, f.tree_height, pr, h)) {
        b.rejected_by.insert(peer);  // never ask it again for this bucket
        return answer_result::bad;
      }
      const std::uint32_t n = std::min(b.length, f.pieces - b.index);
      std::copy_n(h.begin(), n, f.layer.begin() + b.index);
      b.have = true;
      --remaining_;
      return answer_result::accepted;
    }
  }
  return answer_result::ignored;
}

void piece_layer_fetch::on_reject(token peer, const wire::hash_range& r) {
  for (auto& f : files_) {
    if (f.root != r.pieces_root) continue;
    for (auto& b : f.buckets)
      if (!b.have && b.peer == peer && b.index == r.index) {
        b.peer.reset();
        b.rejected_by.insert(peer);
      }
  }
}

result<void> piece_layer_fetch::apply(metainfo::torrent_info& info) const {
  for (const auto& f : files_)
    if (auto r = info.set_piece_layer(f.file, f.layer); !r) return r;
  return {};
}

}  // namespace ccbt::session_detail
