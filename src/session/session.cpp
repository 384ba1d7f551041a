// The public ccbt::session and ccbt::torrent_handle: thin, thread-safe forwarding to session_impl.
#include <ccbt/session.hpp>

#include "session/announcer.hpp"
#include "session/session_impl.hpp"
#include "session/torrent.hpp"

namespace ccbt {

using session_detail::session_impl;

const char* to_string(alert_kind k) noexcept {
  switch (k) {
    case alert_kind::listen_succeeded: return "listen_succeeded";
    case alert_kind::listen_failed: return "listen_failed";
    case alert_kind::torrent_added: return "torrent_added";
    case alert_kind::torrent_removed: return "torrent_removed";
    case alert_kind::torrent_checked: return "torrent_checked";
    case alert_kind::torrent_finished: return "torrent_finished";
    case alert_kind::torrent_paused: return "torrent_paused";
    case alert_kind::torrent_resumed: return "torrent_resumed";
    case alert_kind::metadata_received: return "metadata_received";
    case alert_kind::metadata_failed: return "metadata_failed";
    case alert_kind::torrent_error: return "torrent_error";
    case alert_kind::piece_finished: return "piece_finished";
    case alert_kind::hash_failed: return "hash_failed";
    case alert_kind::peer_connected: return "peer_connected";
    case alert_kind::peer_disconnected: return "peer_disconnected";
    case alert_kind::peer_banned: return "peer_banned";
    case alert_kind::peer_error: return "peer_error";
    case alert_kind::storage_error: return "storage_error";
    case alert_kind::resume_error: return "resume_error";
    case alert_kind::tracker_reply: return "tracker_reply";
    case alert_kind::tracker_warning: return "tracker_warning";
    case alert_kind::tracker_error: return "tracker_error";
  }
  return "unknown";
}

const char* to_string(peer_encryption e) noexcept {
  switch (e) {
    case peer_encryption::none: return "none";
    case peer_encryption::handshake: return "handshake";
    case peer_encryption::rc4: return "rc4";
  }
  return "none";
}

const char* to_string(tracker_state s) noexcept {
  switch (s) {
    case tracker_state::not_contacted: return "not_contacted";
    case tracker_state::updating: return "updating";
    case tracker_state::working: return "working";
    case tracker_state::failing: return "failing";
  }
  return "unknown";
}

const char* to_string(torrent_state s) noexcept {
  switch (s) {
    case torrent_state::checking: return "checking";
    case torrent_state::downloading: return "downloading";
    case torrent_state::seeding: return "seeding";
    case torrent_state::paused: return "paused";
    case torrent_state::downloading_metadata: return "downloading_metadata";
    case torrent_state::error: return "error";
  }
  return "unknown";
}

session::session(const settings& s) : impl_(std::make_shared<session_impl>(s)) { impl_->start(); }
session::~session() { impl_->shutdown(); }

result<torrent_handle> session::add_torrent(add_torrent_params params) { return impl_->add_torrent(std::move(params)); }
void session::remove_torrent(const torrent_handle& h, bool delete_files) {
  if (h.valid()) impl_->remove_torrent(h.hashes().id(), delete_files);
}
std::vector<torrent_handle> session::torrents() const {
  std::vector<torrent_handle> out;
  for (const auto& id : impl_->torrent_ids()) out.push_back(impl_->make_handle(id));
  return out;
}
std::optional<torrent_handle> session::find_torrent(const sha1_hash& id) const {
  for (const auto& t : impl_->torrent_ids())
    if (t == id) return impl_->make_handle(id);
  return std::nullopt;
}
std::uint16_t session::listen_port() const { return impl_->listen_port(); }
session_stats session::stats() const { return impl_->stats(); }
std::vector<std::string> session::apply_settings(const settings& s) { return impl_->apply_settings(s); }
std::vector<alert> session::pop_alerts() { return impl_->pop_alerts(); }
bool session::wait_for_alert(std::chrono::milliseconds timeout) { return impl_->wait_for_alert(timeout); }

// ---- torrent_handle ----------------------------------------------------------------------------

namespace {
// Runs f(torrent&) on the network thread if the session and the torrent still exist.
template <class R, class F>
R with_torrent(const std::weak_ptr<session_impl>& weak, const sha1_hash& id, R fallback, F&& f) {
  auto s = weak.lock();
  if (!s) return fallback;
  return s->call([&]() -> R {
    auto t = s->find(id);
    if (!t) return fallback;
    return f(*t);
  });
}
}  // namespace

bool torrent_handle::valid() const {
  return with_torrent(s_, id_, false, [](session_detail::torrent&) { return true; });
}
info_hash torrent_handle::hashes() const {
  return with_torrent(s_, id_, info_hash{}, [](session_detail::torrent& t) { return t.hashes(); });
}
std::shared_ptr<const metainfo::torrent_info> torrent_handle::torrent_file() const {
  return with_torrent(s_, id_, std::shared_ptr<const metainfo::torrent_info>{},
                      [](session_detail::torrent& t) { return t.info_ptr(); });
}
torrent_status torrent_handle::status() const {
  return with_torrent(s_, id_, torrent_status{}, [](session_detail::torrent& t) { return t.status(); });
}
std::vector<peer_info> torrent_handle::peers() const {
  return with_torrent(s_, id_, std::vector<peer_info>{}, [](session_detail::torrent& t) { return t.peers_info(); });
}
std::vector<bool> torrent_handle::have_pieces() const {
  return with_torrent(s_, id_, std::vector<bool>{}, [](session_detail::torrent& t) {
    const auto& h = t.have_set();
    std::vector<bool> out(h.size());
    for (std::uint32_t i = 0; i < h.size(); ++i) out[i] = h.test(i);
    return out;
  });
}
void torrent_handle::pause() const {
  with_torrent(s_, id_, 0, [](session_detail::torrent& t) { t.pause(); return 0; });
}
void torrent_handle::resume() const {
  with_torrent(s_, id_, 0, [](session_detail::torrent& t) { t.resume(); return 0; });
}
void torrent_handle::add_peer(const std::string& host_port) const {
  with_torrent(s_, id_, 0, [&](session_detail::torrent& t) { t.add_peer(host_port); return 0; });
}
void torrent_handle::set_file_priority(std::size_t file_index, std::uint8_t priority) const {
  with_torrent(s_, id_, 0, [&](session_detail::torrent& t) { t.set_file_priority(file_index, priority); return 0; });
}
void torrent_handle::set_piece_priority(std::uint32_t piece, std::uint8_t priority) const {
  with_torrent(s_, id_, 0, [&](session_detail::torrent& t) { t.set_piece_priority(piece, priority); return 0; });
}
void torrent_handle::set_strategy(piece_strategy s) const {
  with_torrent(s_, id_, 0, [&](session_detail::torrent& t) { t.set_strategy(s); return 0; });
}
void torrent_handle::set_overrides(const torrent_overrides& o) const {
  with_torrent(s_, id_, 0, [&](session_detail::torrent& t) {
    t.set_overrides(o);
    t.session().save_overrides(t);
    return 0;
  });
}
torrent_overrides torrent_handle::overrides() const {
  return with_torrent(s_, id_, torrent_overrides{}, [](session_detail::torrent& t) { return t.overrides(); });
}
bool torrent_handle::set_stream(const std::optional<stream_target>& target) const {
  return with_torrent(s_, id_, false, [&](session_detail::torrent& t) { return t.set_stream(target); });
}
void torrent_handle::force_recheck() const {
  with_torrent(s_, id_, 0, [](session_detail::torrent& t) { t.force_recheck(); return 0; });
}
std::vector<tracker_status> torrent_handle::trackers() const {
  return with_torrent(s_, id_, std::vector<tracker_status>{}, [](session_detail::torrent& t) {
    return t.trackers() ? t.trackers()->status() : std::vector<tracker_status>{};
  });
}
bool torrent_handle::add_tracker(const std::string& url, int tier) const {
  return with_torrent(s_, id_, false, [&](session_detail::torrent& t) {
    return t.trackers() && t.trackers()->add_tracker(url, static_cast<std::size_t>(std::max(0, tier)));
  });
}
bool torrent_handle::remove_tracker(const std::string& url) const {
  return with_torrent(s_, id_, false, [&](session_detail::torrent& t) {
    return t.trackers() && t.trackers()->remove_tracker(url);
  });
}
void torrent_handle::force_reannounce() const {
  with_torrent(s_, id_, 0, [](session_detail::torrent& t) {
    if (t.trackers()) t.trackers()->force_reannounce();
    return 0;
  });
}

}  // namespace ccbt
