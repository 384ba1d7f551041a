// torrent — the magnet-link part (BEP 9, BEP 53): fetching the info dictionary from peers with
// ut_metadata while in state downloading_metadata, switching to the normal download when it is
// verified, and serving our metadata to peers that fetch it from us. The assembling, verification
// and liar detection are metainfo::metadata_download (pure); this file only wires it to peers.
#include <algorithm>

#include "metainfo/metadata_download.hpp"
#include "picker/file_priorities.hpp"
#include "session/peer_connection.hpp"
#include "session/session_impl.hpp"
#include "session/torrent.hpp"

namespace ccbt::session_detail {

namespace {
std::int64_t to_ms(clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
}  // namespace

std::string torrent::name() const {
  if (info_) return info_->name();
  if (!magnet_name_.empty()) return magnet_name_;
  return hashes_.id().to_hex();
}

void torrent::init_magnet(const magnet::magnet_link& link) {
  hashes_ = link.hashes;
  magnet_name_ = link.name;
  select_only_ = link.select_only;
  metainfo::metadata_download::config c;
  c.max_size = ses_.settings_ref().max_metadata_size;
  c.request_timeout_ms = std::int64_t{ses_.settings_ref().request_timeout_s} * 1000;
  metadata_ = std::make_unique<metainfo::metadata_download>(hashes_, c);
  // The state becomes downloading_metadata in start(): no connection before the torrent is owned.
}

void torrent::on_peer_extensions(peer_connection& p, const wire::extension_handshake& hs) {
  if (!metadata_ || !hs.id_of("ut_metadata") || !hs.metadata_size) return;
  if (auto r = metadata_->add_peer(p.token(), *hs.metadata_size); !r) {
    post_alert(alert_kind::peer_error, "peer " + p.endpoint() + ": not fetching metadata from it: " + r.error().message(),
               {}, p.endpoint());
    return;
  }
  request_metadata(p);
}

void torrent::request_metadata(peer_connection& p) {
  if (!metadata_ || !p.connected() || !p.ut_metadata_id() || metadata_->is_distrusted(p.token())) return;
  const auto now = to_ms(clock::now());
  while (auto piece = metadata_->next_request(p.token(), now))
    p.send_extended(*p.ut_metadata_id(), wire::encode_ut_metadata_request(*piece));
}

void torrent::metadata_tick(clock::time_point now) {
  piece_layers_tick(now);
  if (!metadata_) return;
  for (const auto tok : metadata_->tick(to_ms(now))) {
    auto it = peers_.find(static_cast<picker::peer_token>(tok));
    if (it != peers_.end())
      post_alert(alert_kind::peer_disconnected, "peer " + it->second->endpoint() + ": metadata request timed out", {},
                 it->second->endpoint());
  }
  for (auto& [t, p] : std::map(peers_)) request_metadata(*p);
}

void torrent::on_metadata_message(peer_connection& p, const wire::ut_metadata_message& m) {
  using metainfo::metadata_download;
  switch (m.type) {
    case wire::metadata_msg::request: {
      if (!p.ut_metadata_id()) return;  // it did not tell us where to send the answer
      // Serve once we have the metadata; reject otherwise, or while its send queue is full.
      if (!info_ || info_->is_private() || p.send_queue_full()) {
        p.send_extended(*p.ut_metadata_id(), wire::encode_ut_metadata_reject(m.piece));
        return;
      }
      const auto bytes = info_->info_bytes();
      const auto begin = std::size_t{m.piece} * wire::metadata_piece_size;
      p.send_extended(*p.ut_metadata_id(),
                      wire::encode_ut_metadata_data(m.piece, bytes.size(),
                                                    bytes.substr(begin, wire::metadata_piece_length(bytes.size(), m.piece))));
      return;
    }
    case wire::metadata_msg::reject:
      if (metadata_) {
        metadata_->on_reject(p.token(), m.piece, to_ms(clock::now()));
        for (auto& [t, q] : std::map(peers_)) request_metadata(*q);
      }
      return;
    case wire::metadata_msg::unknown:
      return;
    case wire::metadata_msg::data:
      break;
  }
  if (!metadata_) return;  // late answer: we have it already
  const auto r = metadata_->on_data(p.token(), m.piece, m.payload);
  switch (r) {
    case metadata_download::data_result::ignored:
      return;
    case metadata_download::data_result::accepted:
      request_metadata(p);
      return;
    case metadata_download::data_result::hash_failed: {
      post_alert(alert_kind::metadata_failed,
                 "metadata did not match the info-hash (attempt " + std::to_string(metadata_->hash_failures()) +
                     "); fetching it again",
                 {}, p.endpoint());
      for (const auto tok : metadata_->take_newly_distrusted()) {
        auto key = token_keys_.find(static_cast<picker::peer_token>(tok));
        if (key != token_keys_.end() && banned_.insert(key->second).second)
          post_alert(alert_kind::peer_banned, "banned " + key->second + " after sending metadata that does not match the info-hash",
                     {}, key->second);
        auto it = peers_.find(static_cast<picker::peer_token>(tok));
        if (it != peers_.end()) it->second->disconnect("sent metadata that does not match the info-hash", true);
      }
      for (auto& [t, q] : std::map(peers_)) request_metadata(*q);
      return;
    }
    case metadata_download::data_result::parse_failed: {
      const auto msg = "the metadata matches the info-hash but is not a valid info dictionary: " +
                       (metadata_->error() ? metadata_->error()->message() : std::string());
      post_alert(alert_kind::metadata_failed, msg);
      set_error(msg);
      return;
    }
    case metadata_download::data_result::complete:
      on_metadata_complete();
      return;
  }
}

void torrent::on_metadata_complete() {
  // Who delivered what (tests and users can see that the fetch was parallel).
  std::string from;
  for (const auto& [tok, n] : metadata_->contributions()) {
    auto key = token_keys_.find(static_cast<picker::peer_token>(tok));
    from += (from.empty() ? "" : ", ") + (key != token_keys_.end() ? key->second : "?") + " (" + std::to_string(n) + ")";
  }
  const auto pieces = metadata_->num_pieces();
  auto ti = metadata_->take();
  metadata_.reset();
  const std::string note = std::to_string(ti->info_bytes().size()) + " bytes in " + std::to_string(pieces) +
                           " pieces from " + from;
  if (!ti->is_v1() && !ti->has_all_piece_layers()) {
    // v2: BEP 9 metadata has no piece layers; ask peers for them (torrent_piece_layers.cpp).
    start_piece_layer_fetch(std::move(*ti), note);
    return;
  }
  use_metadata(std::move(*ti), note);
}

void torrent::use_metadata(metainfo::torrent_info&& ti, const std::string& note) {
  info_ = std::make_shared<const metainfo::torrent_info>(std::move(ti));
  hashes_ = info_->hashes();
  if (file_priorities_.empty() && !select_only_.empty()) {  // BEP 53: only the selected files
    magnet::magnet_link sel;
    sel.select_only = select_only_;
    file_priorities_.assign(info_->num_files(), 0);
    for (std::size_t i = 0; i < info_->num_files(); ++i)
      if (magnet::selects(sel, i)) file_priorities_[i] = picker::default_priority;
  }
  init_metadata_state();
  post_alert(alert_kind::metadata_received, "metadata received: " + note);
  for (auto& [t, p] : std::map(peers_)) p->on_metadata();
  if (state_ == torrent_state::error) return;
  start();
}

}  // namespace ccbt::session_detail
