// torrent — the BEP 52 hash messages: answering hash requests is hash_server (torrent.cpp); this
// file fetches the piece layers of a v2 torrent whose info dictionary came by magnet link, before
// the download starts (piece_layer_fetch does the bookkeeping and the proof checks).
#include "metainfo/merkle_proof.hpp"
#include "session/peer_connection.hpp"
#include "session/piece_layer_fetch.hpp"
#include "session/session_impl.hpp"
#include "session/torrent.hpp"

namespace ccbt::session_detail {

namespace {
std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now().time_since_epoch()).count();
}
}  // namespace

void torrent::start_piece_layer_fetch(metainfo::torrent_info&& ti, const std::string& note) {
  pending_info_ = std::make_unique<metainfo::torrent_info>(std::move(ti));
  layer_fetch_ = std::make_unique<piece_layer_fetch>(*pending_info_,
                                                     std::int64_t{ses_.settings_ref().request_timeout_s} * 1000);
  metadata_note_ = note + "; piece layers of " + std::to_string(layer_fetch_->files()) +
                   " files from peers (BEP 52)";
  for (auto& [t, p] : std::map(peers_)) request_piece_layers(*p);
}

void torrent::request_piece_layers(peer_connection& p) {
  if (!layer_fetch_ || !p.connected()) return;
  // A few requests per peer at a time: each answer is at most 512 hashes (16 KiB).
  for (int i = 0; i < 4; ++i) {
    auto r = layer_fetch_->next_request(p.token(), now_ms());
    if (!r) return;
    p.send_hash_request(*r);
  }
}

void torrent::piece_layers_tick(clock::time_point) {
  if (!layer_fetch_) return;
  for (auto& [t, p] : std::map(peers_)) request_piece_layers(*p);
}

void torrent::on_hashes(peer_connection& p, const wire::hashes& m) {
  if (!layer_fetch_) return;  // not asked for (or late): ignore, as libtorrent does
  switch (layer_fetch_->on_hashes(p.token(), m)) {
    case piece_layer_fetch::answer_result::ignored:
      return;
    case piece_layer_fetch::answer_result::bad:
      strike(ban_key(p.endpoint()), 1);
      p.disconnect("sent piece hashes that do not prove against the pieces root", true);
      return;
    case piece_layer_fetch::answer_result::accepted:
      break;
  }
  if (!layer_fetch_->done()) {
    request_piece_layers(p);
    return;
  }
  auto ti = std::move(pending_info_);
  auto fetch = std::move(layer_fetch_);
  if (auto r = fetch->apply(*ti); !r) {  // cannot happen: every bucket proved against its root
    const auto msg = "piece layers from peers rejected: " + r.error().message();
    post_alert(alert_kind::metadata_failed, msg);
    set_error(msg);
    return;
  }
  use_metadata(std::move(*ti), metadata_note_);
}

void torrent::on_hash_reject(peer_connection& p, const wire::hash_reject& m) {
  if (!layer_fetch_) return;
  layer_fetch_->on_reject(p.token(), m);
  for (auto& [t, q] : std::map(peers_)) request_piece_layers(*q);
}

}  // namespace ccbt::session_detail
