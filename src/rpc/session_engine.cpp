// The engine on a real session. See session_engine.hpp and docs/api.md for the JSON shapes.
#include "rpc/session_engine.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <ccbt/config.hpp>

namespace ccbt::rpc {
namespace {

api_error db_error(const error& e) { return {500, "state_db_error", e.message()}; }

json hashes_json(const info_hash& h) {
  json j = json::object();
  j["v1"] = h.v1 ? json(h.v1->to_hex()) : json(nullptr);
  j["v2"] = h.v2 ? json(h.v2->to_hex()) : json(nullptr);
  return j;
}

stream_target to_target(const stream_setting& s) {
  stream_target t;
  t.file = s.file;
  t.offset = s.offset;
  return t;
}

json optional_json(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); }
json optional_json(const std::optional<int>& v) { return v ? json(*v) : json(nullptr); }

json overrides_json(const torrent_overrides& o) {
  return json{{"download_rate_limit", optional_json(o.download_rate_limit)},
              {"upload_rate_limit", optional_json(o.upload_rate_limit)},
              {"max_connections", optional_json(o.max_connections)},
              {"unchoke_slots", optional_json(o.unchoke_slots)},
              {"strategy", o.strategy ? json(strategy_name(*o.strategy)) : json(nullptr)}};
}

json tracker_json(const tracker_status& t) {
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); };
  return json{{"url", t.url},
              {"tier", t.tier},
              {"state", to_string(t.state)},
              {"fails", t.fails},
              {"last_error", t.last_error},
              {"warning", t.warning},
              {"seeds", opt(t.seeds)},
              {"leechers", opt(t.leechers)},
              {"downloaded", opt(t.downloaded)},
              {"next_announce_s", opt(t.next_announce_s)},
              {"last_announce_s", opt(t.last_announce_s)},
              {"interval_s", t.interval_s},
              {"min_interval_s", t.min_interval_s}};
}
}  // namespace

api_error session_engine::no_metadata(const entry& e) {
  return {409, "no_metadata", e.name + " was added from a magnet link and its metadata has not arrived yet"};
}

session_engine::session_engine(session& s, state_store& store, engine_context ctx)
    : ses_(s), store_(store), ctx_(std::move(ctx)) {
  if (auto rows = store_.load_settings())
    for (auto& [k, v] : *rows) overrides_.emplace(std::move(k), std::move(v));
}

result<torrent_handle> session_engine::start(const stored_torrent& rec,
                                             const std::shared_ptr<const metainfo::torrent_info>& info,
                                             std::optional<magnet::magnet_link> link) {
  add_torrent_params p;
  p.torrent = info;
  p.magnet = std::move(link);
  p.save_path = rec.save_path;
  p.paused = rec.paused;
  p.peers = rec.peers;
  p.file_priorities = rec.file_priorities;
  if (!rec.strategy.empty()) p.strategy = parse_strategy(rec.strategy);
  auto h = ses_.add_torrent(std::move(p));
  if (h) {
    for (const auto& [tier, url] : rec.trackers_added) (void)h->add_tracker(url, tier);
    for (const auto& url : rec.trackers_removed) (void)h->remove_tracker(url);
    if (const auto st = stream_from_text(rec.stream); st && info && check_stream(*info, *st)) (void)h->set_stream(to_target(*st));
  }
  return h;
}

std::vector<std::string> session_engine::restore() {
  std::vector<std::string> problems;
  auto rows = store_.load();
  if (!rows) {
    problems.push_back(rows.error().message());
    return problems;
  }
  for (auto& rec : *rows) {
    if (magnet::is_magnet_uri(rec.torrent)) {
      auto link = magnet::parse(rec.torrent);
      if (!link) {
        problems.push_back("torrent " + rec.id + ": stored magnet link unreadable: " + link.error().message());
        continue;
      }
      const auto hashes = link->hashes;
      std::string name = link->name.empty() ? hashes.id().to_hex() : link->name;
      auto h = start(rec, nullptr, std::move(*link));
      if (!h) {
        problems.push_back("torrent " + rec.id + " (" + name + "): " + h.error().message());
        continue;
      }
      torrents_.push_back({hashes.id(), nullptr, std::move(name), hashes, *h, std::move(rec)});
      continue;
    }
    auto ti = metainfo::torrent_info::parse(rec.torrent);
    if (!ti) {
      problems.push_back("torrent " + rec.id + ": stored metainfo unreadable: " + ti.error().message());
      continue;
    }
    auto info = std::make_shared<const metainfo::torrent_info>(std::move(*ti));
    auto h = start(rec, info);
    if (!h) {
      problems.push_back("torrent " + rec.id + " (" + info->name() + "): " + h.error().message());
      continue;
    }
    torrents_.push_back({info->hashes().id(), info, info->name(), std::nullopt, *h, std::move(rec)});
  }
  return problems;
}

void session_engine::refresh(entry& e) {
  if (e.info) return;
  auto ti = e.handle.torrent_file();
  if (!ti) return;
  if (magnet::is_magnet_uri(e.rec.torrent)) {
    stored_torrent rec = e.rec;
    rec.torrent = "d4:info" + std::string(ti->info_bytes()) + "e";
    if (auto link = magnet::parse(e.rec.torrent)) {
      auto tier = static_cast<int>(rec.trackers_added.size());
      for (const auto& url : link->trackers) rec.trackers_added.emplace_back(tier++, url);
    }
    if (!store_.put(rec)) return;  // still the link in daemon.db: tried again on the next call
    e.rec = std::move(rec);
  }
  e.info = std::move(ti);
  e.name = e.info->name();
  e.hashes.reset();
}

void session_engine::persist_metadata() {
  for (auto& e : torrents_) refresh(e);
}

session_engine::entry* session_engine::find(const sha1_hash& id) {
  for (auto& e : torrents_)
    if (e.id == id) return &e;
  return nullptr;
}

api_result<session_engine::entry*> session_engine::lookup(const sha1_hash& id) {
  if (auto* e = find(id)) {
    refresh(*e);
    return e;
  }
  return tl::unexpected(not_found("no torrent with id " + id.to_hex()));
}

json session_engine::summary(const entry& e, std::size_t index, const torrent_status& st) const {
  json j;
  j["index"] = index;
  j["id"] = e.id.to_hex();
  j["name"] = e.name;
  j["state"] = to_string(st.state);
  j["paused"] = e.rec.paused;
  j["progress"] = st.progress;
  j["total_wanted"] = st.total_wanted;
  j["total_wanted_done"] = st.total_wanted_done;
  j["num_pieces"] = st.num_pieces;
  j["pieces_done"] = st.pieces_done;
  j["download_rate"] = st.download_rate;
  j["upload_rate"] = st.upload_rate;
  j["total_downloaded"] = st.total_downloaded;
  j["total_uploaded"] = st.total_uploaded;
  j["num_peers"] = st.num_peers;
  j["num_seeds"] = st.num_seeds;
  j["save_path"] = e.rec.save_path;
  j["error"] = st.error;
  return j;
}

api_result<json> session_engine::session_info() {
  const auto st = ses_.stats();
  json j;
  j["version"] = "0.1.0";
  j["pid"] = static_cast<long>(::getpid());
  j["api_endpoint"] = ctx_.api_endpoint ? ctx_.api_endpoint() : std::string();
  j["state_dir"] = ctx_.state_dir.string();
  j["listen_port"] = ses_.listen_port();
  j["num_torrents"] = torrents_.size();
  j["stats"] = {{"download_rate", st.download_rate},
                {"upload_rate", st.upload_rate},
                {"total_downloaded", st.total_downloaded},
                {"total_uploaded", st.total_uploaded},
                {"num_peers", st.num_peers},
                {"disk_write_buffer_bytes", st.disk_write_buffer_bytes},
                {"disk_queue", st.disk_queue}};
  return j;
}

api_result<json> session_engine::shutdown() {
  if (ctx_.request_shutdown) ctx_.request_shutdown();
  return json{{"shutting_down", true}};
}

api_result<json> session_engine::list() {
  persist_metadata();
  json arr = json::array();
  for (std::size_t i = 0; i < torrents_.size(); ++i) arr.push_back(summary(torrents_[i], i, torrents_[i].handle.status()));
  return json{{"torrents", std::move(arr)}};
}

api_result<json> session_engine::add(add_request r) {
  // Either a .torrent (the metainfo is known) or a magnet link (the metainfo comes from the peers).
  std::shared_ptr<const metainfo::torrent_info> info;
  std::optional<magnet::magnet_link> link;
  std::optional<info_hash> hashes;  // the magnet's, until its metainfo arrives
  sha1_hash id;
  std::string name;
  if (!r.magnet.empty()) {
    auto l = magnet::parse(r.magnet);
    if (!l) return tl::unexpected(api_error{422, "invalid_magnet", "not a valid magnet link: " + l.error().message()});
    hashes = l->hashes;
    id = hashes->id();
    name = l->name.empty() ? id.to_hex() : l->name;
    link = std::move(*l);
  } else {
    auto ti = metainfo::torrent_info::parse(r.torrent);
    if (!ti) return tl::unexpected(api_error{422, "invalid_torrent", "not a valid .torrent file: " + ti.error().message()});
    info = std::make_shared<const metainfo::torrent_info>(std::move(*ti));
    id = info->hashes().id();
    name = info->name();
  }
  if (find(id)) return tl::unexpected(api_error{409, "duplicate_torrent", name + " (" + id.to_hex() + ") is already in the list"});
  if (r.stream && !info)
    return tl::unexpected(api_error{422, "invalid_stream", "\"stream\" needs the file list, which a magnet link does not have yet: "
                                                           "set it with POST .../options once the metadata is in"});
  if (r.stream)
    if (auto c = check_stream(*info, *r.stream); !c) return tl::unexpected(c.error());
  if (info && r.file_priorities.size() > info->num_files())
    return tl::unexpected(bad_request("\"file_priorities\" has " + std::to_string(r.file_priorities.size()) +
                                      " entries but the torrent has " + std::to_string(info->num_files()) + " files"));
  stored_torrent rec;
  rec.id = id.to_hex();
  rec.position = -1;
  rec.torrent = link ? std::move(r.magnet) : std::move(r.torrent);
  rec.save_path = std::move(r.save_path);
  rec.paused = r.paused;
  rec.file_priorities = std::move(r.file_priorities);
  rec.strategy = r.strategy ? strategy_name(*r.strategy) : "";
  rec.peers = std::move(r.peers);
  rec.stream = stream_to_text(r.stream);
  rec.added_at = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto h = start(rec, info, std::move(link));
  if (!h) return tl::unexpected(api_error{422, "add_failed", h.error().message()});
  auto pos = store_.put(rec);
  if (!pos) {
    ses_.remove_torrent(*h, false);
    return tl::unexpected(db_error(pos.error()));
  }
  rec.position = *pos;
  if (r.download_rate_limit || r.upload_rate_limit) {
    // As POST .../options: kept by the session's resume store with the torrent.
    auto ov = h->overrides();
    ov.download_rate_limit = r.download_rate_limit;
    ov.upload_rate_limit = r.upload_rate_limit;
    h->set_overrides(ov);
  }
  torrents_.push_back({id, std::move(info), std::move(name), hashes, *h, std::move(rec)});
  return summary(torrents_.back(), torrents_.size() - 1, torrents_.back().handle.status());
}

api_result<json> session_engine::status(const sha1_hash& id) {
  auto e = lookup(id);
  if (!e) return tl::unexpected(e.error());
  const auto index = static_cast<std::size_t>(*e - torrents_.data());
  const auto st = (*e)->handle.status();
  auto j = summary(**e, index, st);
  const auto* info = (*e)->info.get();  // null: a magnet still fetching its metadata
  j["hashes"] = hashes_json(info ? info->hashes() : *(*e)->hashes);
  j["total_size"] = info ? json(info->payload_size()) : json(nullptr);
  j["piece_length"] = info ? json(info->piece_length()) : json(nullptr);
  j["num_files"] = info ? json(info->num_files()) : json(nullptr);
  j["private"] = info ? json(info->is_private()) : json(nullptr);
  j["magnet"] = magnet::is_magnet_uri((*e)->rec.torrent);  // added from a link whose metadata is not stored yet
  j["total_failed_bytes"] = st.total_failed_bytes;
  j["num_unchoked"] = st.num_unchoked;
  j["strategy"] = (*e)->rec.strategy.empty() ? strategy_name(ctx_.config.strategy) : (*e)->rec.strategy;
  j["overrides"] = overrides_json((*e)->handle.overrides());
  j["num_trackers"] = (*e)->handle.trackers().size();
  j["peers_given"] = (*e)->rec.peers;
  j["added_at"] = (*e)->rec.added_at;
  j["comment"] = info ? info->comment() : std::string();
  j["stream"] = stream_json(stream_from_text((*e)->rec.stream));
  j["pieces"] = pieces_hex((*e)->handle.have_pieces());
  return j;
}

api_result<json> session_engine::pause(const sha1_hash& id) { return set_paused(id, true); }

api_result<json> session_engine::resume(const sha1_hash& id) { return set_paused(id, false); }

api_result<json> session_engine::set_paused(const sha1_hash& id, bool paused) {
  auto e = lookup(id);
  if (!e) return tl::unexpected(e.error());
  if (auto r = store_.set_paused((*e)->rec.id, paused); !r) return tl::unexpected(db_error(r.error()));
  (*e)->rec.paused = paused;
  if (paused) (*e)->handle.pause();
  else (*e)->handle.resume();
  return summary(**e, static_cast<std::size_t>(*e - torrents_.data()), (*e)->handle.status());
}

api_result<json> session_engine::recheck(const sha1_hash& id) {
  auto e = lookup(id);
  if (!e) return tl::unexpected(e.error());
  (*e)->handle.force_recheck();
  return summary(**e, static_cast<std::size_t>(*e - torrents_.data()), (*e)->handle.status());
}

api_result<json> session_engine::remove(const sha1_hash& id, bool delete_data) {
  auto e = lookup(id);
  if (!e) return tl::unexpected(e.error());
  if (auto r = store_.remove((*e)->rec.id); !r) return tl::unexpected(db_error(r.error()));
  ses_.remove_torrent((*e)->handle, delete_data);
  json j{{"removed", (*e)->rec.id}, {"name", (*e)->name}, {"deleted_data", delete_data}};
  torrents_.erase(torrents_.begin() + (*e - torrents_.data()));
  return j;
}

api_result<json> session_engine::files(const sha1_hash& id) {
  auto e = lookup(id);
  if (!e) return tl::unexpected(e.error());
  if (!(*e)->info) return tl::unexpected(no_metadata(**e));
  const auto& info = *(*e)->info;
  const auto have = (*e)->handle.have_pieces();
  const std::uint64_t plen = info.piece_length();
  json arr = json::array();
  const auto& fs = info.files();
  for (std::size_t i = 0; i < fs.size(); ++i) {
    const auto& f = fs[i];
    if (f.pad()) continue;
    std::uint64_t done = 0;
    for (std::uint32_t p = f.first_piece; p < f.end_piece && p < have.size(); ++p) {
      if (!have[p]) continue;
      const std::uint64_t a = std::max<std::uint64_t>(f.offset, p * plen);
      const std::uint64_t b = std::min<std::uint64_t>(f.offset + f.size, (p + 1) * plen);
      if (b > a) done += b - a;
    }
    const auto& pr = (*e)->rec.file_priorities;
    json j;
    j["index"] = i;
    j["path"] = f.path;
    j["size"] = f.size;
    j["done"] = done;
    j["progress"] = f.size ? static_cast<double>(done) / static_cast<double>(f.size) : 1.0;
    j["priority"] = i < pr.size() ? pr[i] : 4;
    arr.push_back(std::move(j));
  }
  return json{{"id", (*e)->rec.id}, {"files", std::move(arr)}};
}

api_result<json> session_engine::set_file_priorities(const sha1_hash& id,
                                                     const std::vector<std::pair<std::uint32_t, std::uint8_t>>& p) {
  auto e = lookup(id);
  if (!e) return tl::unexpected(e.error());
  if (!(*e)->info) return tl::unexpected(no_metadata(**e));
  const auto n = (*e)->info->num_files();
  for (const auto& [idx, prio] : p)
    if (idx >= n || (*e)->info->files()[idx].pad())
      return tl::unexpected(bad_request("no file " + std::to_string(idx) + " (the torrent has files 0.." + std::to_string(n - 1) + ")"));
  auto prios = (*e)->rec.file_priorities;
  prios.resize(n, 4);
  for (const auto& [idx, prio] : p) prios[idx] = prio;
  if (auto r = store_.set_file_priorities((*e)->rec.id, prios); !r) return tl::unexpected(db_error(r.error()));
  (*e)->rec.file_priorities = prios;
  for (const auto& [idx, prio] : p) (*e)->handle.set_file_priority(idx, prio);
  return files(id);
}

api_result<json> session_engine::peers(const sha1_hash& id) {
  auto e = lookup(id);
  if (!e) return tl::unexpected(e.error());
  json arr = json::array();
  for (const auto& p : (*e)->handle.peers()) {
    arr.push_back({{"endpoint", p.endpoint},
                   {"client", p.client},
                   {"incoming", p.incoming},
                   {"encryption", to_string(p.encryption)},
                   {"seed", p.seed},
                   {"progress", p.progress},
                   {"download_rate", p.download_rate},
                   {"upload_rate", p.upload_rate},
                   {"total_downloaded", p.total_downloaded},
                   {"total_uploaded", p.total_uploaded},
                   {"choked", p.choked},
                   {"interested", p.interested},
                   {"peer_choked", p.peer_choked},
                   {"am_interested", p.am_interested},
                   {"snubbed", p.snubbed},
                   {"request_queue", p.request_queue},
                   {"target_queue", p.target_queue}});
  }
  return json{{"id", (*e)->rec.id}, {"peers", std::move(arr)}};
}

api_result<json> session_engine::add_peers(const sha1_hash& id, const std::vector<std::string>& peers) {
  auto e = lookup(id);
  if (!e) return tl::unexpected(e.error());
  auto list = (*e)->rec.peers;
  for (const auto& p : peers)
    if (std::find(list.begin(), list.end(), p) == list.end()) list.push_back(p);
  // Kept for restarts: the most recent 200 (trackers and DHT find the rest).
  if (list.size() > 200) list.erase(list.begin(), list.end() - 200);
  if (auto r = store_.set_peers((*e)->rec.id, list); !r) return tl::unexpected(db_error(r.error()));
  (*e)->rec.peers = std::move(list);
  for (const auto& p : peers) (*e)->handle.add_peer(p);
  return json{{"id", (*e)->rec.id}, {"added", peers.size()}};
}

api_result<json> session_engine::set_options(const sha1_hash& id, const options_request& o) {
  auto e = lookup(id);
  if (!e) return tl::unexpected(e.error());
  if (o.stream.present && o.stream.value) {  // checked before anything changes
    if (!(*e)->info) return tl::unexpected(no_metadata(**e));
    if (auto c = check_stream(*(*e)->info, *o.stream.value); !c) return tl::unexpected(c.error());
  }
  auto ov = (*e)->handle.overrides();
  if (o.stream.present) {
    auto text = stream_to_text(o.stream.value);
    if (auto r = store_.set_stream((*e)->rec.id, text); !r) return tl::unexpected(db_error(r.error()));
    (*e)->rec.stream = std::move(text);
    if (o.stream.value) (void)(*e)->handle.set_stream(to_target(*o.stream.value));
    else (void)(*e)->handle.set_stream(std::nullopt);
  }
  if (o.strategy.present) {
    const std::string name = o.strategy.value ? strategy_name(*o.strategy.value) : "";
    if (auto r = store_.set_strategy((*e)->rec.id, name); !r) return tl::unexpected(db_error(r.error()));
    (*e)->rec.strategy = name;
    ov.strategy = o.strategy.value;
  }
  if (o.download_rate_limit.present) ov.download_rate_limit = o.download_rate_limit.value;
  if (o.upload_rate_limit.present) ov.upload_rate_limit = o.upload_rate_limit.value;
  if (o.max_connections.present) ov.max_connections = o.max_connections.value;
  if (o.unchoke_slots.present) ov.unchoke_slots = o.unchoke_slots.value;
  // Kept by the session's resume store with the torrent (restored when it is added again).
  (*e)->handle.set_overrides(ov);
  return status(id);
}

api_result<json> session_engine::trackers(const sha1_hash& id) {
  auto e = lookup(id);
  if (!e) return tl::unexpected(e.error());
  json arr = json::array();
  for (const auto& t : (*e)->handle.trackers()) arr.push_back(tracker_json(t));
  return json{{"id", (*e)->rec.id}, {"trackers", std::move(arr)}};
}

api_result<json> session_engine::add_tracker(const sha1_hash& id, const tracker_request& t) {
  auto e = lookup(id);
  if (!e) return tl::unexpected(e.error());
  for (const auto& existing : (*e)->handle.trackers())
    if (existing.url == t.url) return tl::unexpected(api_error{409, "duplicate_tracker", t.url + " is already a tracker of this torrent"});
  auto added = (*e)->rec.trackers_added;
  auto removed = (*e)->rec.trackers_removed;
  added.emplace_back(t.tier, t.url);
  removed.erase(std::remove(removed.begin(), removed.end(), t.url), removed.end());
  if (auto r = store_.set_trackers((*e)->rec.id, added, removed); !r) return tl::unexpected(db_error(r.error()));
  (*e)->rec.trackers_added = std::move(added);
  (*e)->rec.trackers_removed = std::move(removed);
  (void)(*e)->handle.add_tracker(t.url, t.tier);
  return trackers(id);
}

api_result<json> session_engine::remove_tracker(const sha1_hash& id, const std::string& url) {
  auto e = lookup(id);
  if (!e) return tl::unexpected(e.error());
  bool known = false;
  for (const auto& existing : (*e)->handle.trackers()) known = known || existing.url == url;
  if (!known) return tl::unexpected(not_found("no tracker " + url.substr(0, 200) + " in this torrent"));
  auto added = (*e)->rec.trackers_added;
  auto removed = (*e)->rec.trackers_removed;
  const auto before = added.size();
  added.erase(std::remove_if(added.begin(), added.end(), [&](const auto& a) { return a.second == url; }), added.end());
  if (added.size() == before) removed.push_back(url);  // from the metainfo: remember to remove it again
  if (auto r = store_.set_trackers((*e)->rec.id, added, removed); !r) return tl::unexpected(db_error(r.error()));
  (*e)->rec.trackers_added = std::move(added);
  (*e)->rec.trackers_removed = std::move(removed);
  (void)(*e)->handle.remove_tracker(url);
  return trackers(id);
}

api_result<json> session_engine::reannounce(const sha1_hash& id) {
  auto e = lookup(id);
  if (!e) return tl::unexpected(e.error());
  (*e)->handle.force_reannounce();
  return trackers(id);
}

json session_engine::key_json(const config::key_info& k) const {
  const auto name = k.name();
  const auto ov = overrides_.find(name);
  json j{{"key", name},
         {"value", config::value_to_toml(ctx_.config, k)},
         {"default", config::value_to_toml(settings{}, k)},
         {"applies", k.mode == config::apply_mode::live ? "live" : "restart"},
         {"description", k.description}};
  j["override"] = ov == overrides_.end() ? json(nullptr) : json(ov->second);
  j["pending_restart"] = pending_restart_.count(name) > 0;
  return j;
}

api_result<json> session_engine::config() {
  json arr = json::array();
  for (const auto& k : config::keys()) arr.push_back(key_json(k));
  json j{{"keys", std::move(arr)}};
  j["file"] = ctx_.config_file ? json(ctx_.config_file->string()) : json(nullptr);
  return j;
}

namespace {
api_error unknown_key(std::string_view key) {
  auto msg = "no configuration key \"" + std::string(key.substr(0, 100)) + "\"";
  if (auto c = config::closest_key(key); !c.empty()) msg += " (did you mean " + c + "?)";
  return not_found(msg);
}
}  // namespace

api_result<json> session_engine::config_get(std::string_view key) {
  const auto* k = config::find_key(key);
  if (!k) return tl::unexpected(unknown_key(key));
  return key_json(*k);
}

settings session_engine::apply_overrides(const settings& base,
                                         const std::vector<std::pair<std::string, std::string>>& overrides,
                                         std::vector<std::string>& problems) {
  config::loaded_config c;
  c.values = base;
  for (const auto& [key, value] : overrides) {
    auto before = c.values;
    if (auto r = config::apply_override(c, key + "=" + value); !r) {
      problems.push_back("stored setting " + key + " = " + value + " ignored: " + r.error().message());
      c.values = before;
    }
  }
  if (auto v = config::validate(c.values); !v) {
    problems.push_back("stored settings ignored: " + v.error().message());
    return base;
  }
  return c.values;
}

api_result<json> session_engine::config_set(std::string_view key, const std::string& value) {
  const auto* k = config::find_key(key);
  if (!k) return tl::unexpected(unknown_key(key));
  const auto name = k->name();
  if (name == "daemon.state_dir")
    return tl::unexpected(bad_request("daemon.state_dir is where these settings are kept; set it in ccbt.toml or with --state-dir"));
  config::loaded_config c;
  c.values = ctx_.config;
  if (auto r = config::apply_override(c, name + "=" + value); !r) return tl::unexpected(bad_request(r.error().message()));
  if (auto v = config::validate(c.values); !v) return tl::unexpected(bad_request(v.error().message()));
  if (auto r = store_.set_setting(name, value); !r) return tl::unexpected(db_error(r.error()));
  overrides_[name] = value;
  if (k->mode == config::apply_mode::live) {
    ses_.apply_settings(c.values);
    ctx_.config = c.values;
  } else {
    pending_restart_.insert(name);
    auto j = key_json(*k);
    j["value"] = config::value_to_toml(c.values, *k);  // what the next start will use
    return j;
  }
  return key_json(*k);
}

std::vector<std::string> session_engine::reload(const settings& base, const std::vector<std::string>& file_restart,
                                               std::vector<std::string>* live, std::vector<std::string>* restart_out) {
  std::vector<std::string> log;
  std::vector<std::pair<std::string, std::string>> ov(overrides_.begin(), overrides_.end());
  auto wanted = apply_overrides(base, ov, log);
  ctx_.base = base;
  const auto d = config::diff(ctx_.config, wanted);
  std::set<std::string, std::less<>> restart(d.restart.begin(), d.restart.end());
  restart.insert(file_restart.begin(), file_restart.end());
  for (auto& k : ses_.apply_settings(wanted)) restart.insert(std::move(k));
  // What runs now: the new values, except the keys that wait for a restart.
  config::loaded_config running;
  running.values = wanted;
  for (const auto& name : restart)
    if (const auto* k = config::find_key(name))
      (void)config::apply_override(running, name + "=" + config::value_to_toml(ctx_.config, *k));
  ctx_.config = config::validate(running.values) ? running.values : wanted;
  for (const auto& k : d.live)
    if (!restart.count(k)) {
      log.push_back("applied " + k);
      if (live) live->push_back(k);
    }
  for (const auto& k : restart) {
    if (restart_out) restart_out->push_back(k);
    pending_restart_.insert(k);
    log.push_back(k + " changed: takes effect at the next start");
  }
  return log;
}

api_result<json> session_engine::config_reload() {
  if (!ctx_.reload_config)
    return tl::unexpected(api_error{409, "no_config_file", "the daemon was started without a configuration file"});
  return ctx_.reload_config();
}

api_result<json> session_engine::config_unset(std::string_view key) {
  const auto* k = config::find_key(key);
  if (!k) return tl::unexpected(unknown_key(key));
  const auto name = k->name();
  if (auto r = store_.erase_setting(name); !r) return tl::unexpected(db_error(r.error()));
  overrides_.erase(name);
  if (k->mode == config::apply_mode::live) {
    config::loaded_config c;
    c.values = ctx_.config;
    // Back to the value from the file / environment / defaults.
    if (config::apply_override(c, name + "=" + config::value_to_toml(ctx_.base, *k)) && config::validate(c.values)) {
      ses_.apply_settings(c.values);
      ctx_.config = c.values;
    }
  } else {
    pending_restart_.insert(name);
  }
  return key_json(*k);
}

}  // namespace ccbt::rpc
