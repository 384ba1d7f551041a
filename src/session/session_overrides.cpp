// Rate settings to the limiter (live_settings.hpp) and the persistence of per-torrent overrides in the resume store:
// one row per set field in torrent_settings (key = the configuration name of the session setting it
// overrides, value = its text), restored when the torrent is added again.
#include <charconv>

#include "session/bandwidth.hpp"
#include "session/live_settings.hpp"
#include "session/session_impl.hpp"
#include "session/torrent.hpp"

namespace ccbt::session_detail {

namespace {

constexpr const char* key_download = "limits.download_rate";
constexpr const char* key_upload = "limits.upload_rate";
constexpr const char* key_connections = "network.max_connections_per_torrent";
constexpr const char* key_slots = "choking.unchoke_slots";
constexpr const char* key_strategy = "strategy.piece_strategy";

std::optional<std::int64_t> parse_int(std::string_view s, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < min || v > max) return std::nullopt;
  return v;
}

}  // namespace

void apply_rate_settings(bandwidth& bw, const settings& s) {
  bw.set_global_rate(direction::download, s.download_rate_limit);
  bw.set_global_rate(direction::upload, s.upload_rate_limit);
  bw.set_peer_rate(direction::download, s.peer_download_rate_limit);
  bw.set_peer_rate(direction::upload, s.peer_upload_rate_limit);
}

void session_impl::restore_overrides(add_torrent_params& p) {
  if (!resume_ || !p.torrent) return;
  auto it = resume_loaded_.find(p.torrent->hashes().id().to_hex());
  if (it == resume_loaded_.end()) return;
  auto& o = p.overrides;
  if (!o.strategy) o.strategy = p.strategy;
  std::vector<std::string> bad;
  constexpr std::int64_t max_rate = std::int64_t{1} << 50;
  for (const auto& [key, value] : it->second.record.settings) {
    if (key == key_download && !o.download_rate_limit) {
      if (auto v = parse_int(value, 0, max_rate)) o.download_rate_limit = *v; else bad.push_back(key);
    } else if (key == key_upload && !o.upload_rate_limit) {
      if (auto v = parse_int(value, 0, max_rate)) o.upload_rate_limit = *v; else bad.push_back(key);
    } else if (key == key_connections && !o.max_connections) {
      if (auto v = parse_int(value, 1, 65535)) o.max_connections = static_cast<int>(*v); else bad.push_back(key);
    } else if (key == key_slots && !o.unchoke_slots) {
      if (auto v = parse_int(value, 1, 1000)) o.unchoke_slots = static_cast<int>(*v); else bad.push_back(key);
    } else if (key == key_strategy && !o.strategy) {
      if (auto v = parse_piece_strategy(value)) o.strategy = *v; else bad.push_back(key);
    }
  }
  for (const auto& key : bad) {
    alert a;
    a.kind = alert_kind::resume_error;
    a.torrent = p.torrent->hashes().id();
    a.torrent_name = p.torrent->name();
    a.message = p.torrent->name() + ": resume store: saved override " + key + " has an invalid value; ignored";
    post_alert(std::move(a));
  }
}

void session_impl::save_overrides(torrent& t) {
  if (!resume_) return;
  std::optional<resume::torrent_id> id;
  if (auto it = resume_ids_.find(t.id()); it != resume_ids_.end()) {
    id = it->second;
  } else if (auto l = resume_loaded_.find(t.id().to_hex()); l != resume_loaded_.end()) {
    id = l->second.id;  // stored by an earlier run; load_resume() maps it too
  } else {
    return;  // no row yet: resume_id() saves them when it creates one (after the first check)
  }
  const auto& o = t.overrides();
  const auto put = [&](const char* key, const std::optional<std::string>& value) {
    if (value) (void)resume_->set_setting(*id, key, *value);
    else (void)resume_->erase_setting(*id, key);
  };
  const auto text = [](const auto& v) -> std::optional<std::string> {
    if (!v) return std::nullopt;
    return std::to_string(*v);
  };
  put(key_download, text(o.download_rate_limit));
  put(key_upload, text(o.upload_rate_limit));
  put(key_connections, text(o.max_connections));
  put(key_slots, text(o.unchoke_slots));
  put(key_strategy, o.strategy ? std::optional<std::string>(to_string(*o.strategy)) : std::nullopt);
}

}  // namespace ccbt::session_detail
