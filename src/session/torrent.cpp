#include "session/torrent.hpp"

#include <algorithm>
#include <system_error>

#include "choker/choker.hpp"
#include "metainfo/metadata_download.hpp"
#include "mse/handshake.hpp"
#include "net/endpoint.hpp"
#include "picker/file_priorities.hpp"
#include "session/announcer.hpp"
#include "session/hash_server.hpp"
#include "session/piece_layer_fetch.hpp"
#include "session/peer_connection.hpp"
#include "session/session_impl.hpp"

namespace ccbt::session_detail {

namespace asio = net::asio;


torrent::torrent(session_impl& s, add_torrent_params p)
    : ses_(s),
      info_(std::move(p.torrent)),
      save_path_(std::move(p.save_path)),
      file_priorities_(std::move(p.file_priorities)),
      seed_mode_(p.seed_mode),
      extra_trackers_(std::move(p.trackers)),
      paused_(p.paused),
      rng_(std::random_device{}()) {
  overrides_ = p.overrides;
  if (!overrides_.strategy) overrides_.strategy = p.strategy;
  bw_slot_ = ses_.bandwidth().add_torrent();
  if (info_) {
    hashes_ = info_->hashes();
    init_metadata_state();
  } else {
    init_magnet(*p.magnet);
  }
  id_ = hashes_.id();
  set_overrides(overrides_);
  for (const auto& peer : p.peers) add_peer(peer);
}

void torrent::init_metadata_state() {
  picker_ = std::make_unique<picker::piece_picker>(static_cast<const picker::torrent_view&>(*this), std::random_device{}());
  have_ = picker::piece_set(info_->num_pieces());
  file_priorities_.resize(info_->num_files(), picker::default_priority);
  piece_has_pad_.assign(info_->num_pieces(), false);
  for (const auto& f : info_->files()) {
    if (!f.pad() || f.size == 0) continue;
    const auto last = static_cast<std::uint32_t>((f.offset + f.size - 1) / info_->piece_length());
    for (auto i = static_cast<std::uint32_t>(f.offset / info_->piece_length()); i <= last && i < info_->num_pieces(); ++i)
      piece_has_pad_[i] = true;
  }
  on_settings_changed();  // the picker's strategy (overrides or settings)
}

torrent::~torrent() { ses_.bandwidth().remove_torrent(bw_slot_); }

bool torrent::matches(const sha1_hash& h) const noexcept {
  const auto& ih = hashes_;
  return (ih.v1 && *ih.v1 == h) || (ih.v2 && ih.v2_truncated() == h);
}

picker::pipeline_config torrent::pipeline_config() const noexcept {
  const auto& s = ses_.settings_ref();
  picker::pipeline_config c;
  c.target_latency_s = s.request_queue_time_ms / 1000.0;
  c.min_depth = static_cast<std::uint32_t>(std::max(1, s.min_request_queue));
  c.max_depth = static_cast<std::uint32_t>(std::max(s.min_request_queue, s.max_request_queue));
  return c;
}

void torrent::post_alert(alert_kind kind, std::string message, std::optional<std::uint32_t> piece, std::string peer,
                         std::error_code ec) {
  alert a;
  a.kind = kind;
  a.torrent = id();
  a.torrent_name = name();
  a.piece = piece;
  a.peer = std::move(peer);
  a.error = ec;
  a.message = a.torrent_name + ": " + message;
  ses_.post_alert(std::move(a));
}

void torrent::set_error(const std::string& message) {
  if (state_ == torrent_state::error) return;
  error_ = message;
  state_ = torrent_state::error;
  post_alert(alert_kind::torrent_error, message);
  for (auto& [t, p] : std::map(peers_)) p->disconnect("torrent stopped: " + message);
}

// ---- start, check, stop ------------------------------------------------------------------------

void torrent::start() {
  if (!announcer_) {
    announcer_ = make_torrent_announcer(*this, id_, merge_tiers(info_ ? info_->trackers() : decltype(extra_trackers_){}, extra_trackers_));
  } else if (info_) {
    // A magnet's metadata arrived: the trackers of its metainfo join those of the link, as new tiers.
    std::size_t base = 0;
    for (const auto& t : announcer_->status()) base = std::max<std::size_t>(base, static_cast<std::size_t>(t.tier) + 1);
    for (std::size_t i = 0; i < info_->trackers().size(); ++i)
      for (const auto& url : info_->trackers()[i]) announcer_->add_tracker(url, base + i);
  }
  if (!info_) {  // magnet: connect and fetch the metadata first (on_metadata_complete calls start again)
    state_ = paused_ ? torrent_state::paused : torrent_state::downloading_metadata;
    if (!paused_) announcer_->start();
    connect_candidates(clock::now());
    return;
  }
  storage::storage_params sp;
  sp.info = info_;
  sp.save_path = save_path_;
  sp.file_priorities = file_priorities_;
  std::weak_ptr<torrent> weak = weak_from_this();
  sp.on_error = [weak](const ccbt::error& e) {
    if (auto self = weak.lock()) {
      self->post_alert(alert_kind::storage_error, e.message(), {}, {}, e.code);
      self->set_error("storage: " + e.message());
    }
  };
  storage_ = ses_.disk().add_storage(std::move(sp));
  storage_added_ = true;
  apply_file_priorities();

  if (seed_mode_) {
    begin_downloading(std::vector<bool>(info_->num_pieces(), true));
    return;
  }
  // Resume data first: trusted pieces need no check.
  if (auto trusted = ses_.load_resume(*this)) {
    begin_downloading(std::move(*trusted));
    return;
  }
  // Without resume data, look at what is on disk: nothing there means nothing to check.
  bool any_data = false;
  for (const auto& f : info_->files()) {
    if (f.pad() || f.size == 0) continue;
    std::error_code ec;
    const auto sz = std::filesystem::file_size(save_path_ / f.path, ec);
    if (!ec && sz > 0) {
      any_data = true;
      break;
    }
  }
  state_ = torrent_state::checking;
  if (!any_data) {
    ses_.disk().async_prepare(storage_, [weak](result<void> r) {
      auto self = weak.lock();
      if (!self || self->stopping_) return;
      if (!r) {
        self->set_error("cannot create files: " + r.error().message());
        return;
      }
      self->begin_downloading(std::vector<bool>(self->info_->num_pieces(), false));
    });
    return;
  }
  ses_.disk().async_recheck(storage_, {}, [weak](result<std::vector<bool>> r) {
    auto self = weak.lock();
    if (!self || self->stopping_) return;
    if (!r) {
      self->set_error("check failed: " + r.error().message());
      return;
    }
    self->begin_downloading(std::move(*r));
  });
}

void torrent::begin_downloading(std::vector<bool> verified) {
  picker::piece_set have(info_->num_pieces());
  for (std::uint32_t i = 0; i < verified.size() && i < have.size(); ++i)
    if (verified[i]) have.set(i);
  have_ = have;
  picker_->set_have(have_);
  wanted_done_ = 0;
  for (std::uint32_t i = have_.find_next(0); i != picker::piece_set::npos; i = have_.find_next(i + 1))
    wanted_done_ += wanted_bytes_in_piece(i);
  ses_.resume_set_pieces(*this, have_);
  post_alert(alert_kind::torrent_checked,
             "checked: " + std::to_string(have_.count()) + " of " + std::to_string(have_.size()) + " pieces");
  state_ = paused_ ? torrent_state::paused : (picker_->wanted_remaining() == 0 ? torrent_state::seeding
                                                                                : torrent_state::downloading);
  if (picker_->wanted_remaining() == 0) {
    finished_announced_ = true;  // complete from the start: not "finished" news
  }
  const auto now = clock::now();
  next_choke_ = now + std::chrono::seconds(ses_.settings_ref().unchoke_interval_s);
  next_optimistic_ = now + std::chrono::seconds(ses_.settings_ref().optimistic_unchoke_interval_s);
  if (!paused_) {
    if (!announcer_->running()) announcer_->start();
    if (picker_->wanted_remaining() == 0) announcer_->completed();
    connect_candidates(now);
  }
  // Peers connected while the metadata was fetched (magnet): tell them what the check found.
  for (auto& [t, p] : std::map(peers_)) {
    for (std::uint32_t i = have_.find_next(0); i != picker::piece_set::npos; i = have_.find_next(i + 1)) p->send_have(i);
    p->update_interest();
  }
}

void torrent::stop(bool delete_files, std::function<void()> done) {
  stopping_ = true;
  if (announcer_) announcer_->detach();
  for (auto& [t, p] : std::map(peers_)) p->disconnect("torrent removed");
  peers_.clear();
  if (!storage_added_) {
    done();
    return;
  }
  auto self = shared_from_this();
  ses_.resume_flush(*this);
  ses_.disk().remove_storage(storage_, [self, delete_files, done = std::move(done)] {
    if (delete_files) {
      std::error_code ec;
      for (const auto& f : self->info_->files())
        if (!f.pad()) std::filesystem::remove(self->save_path_ / f.path, ec);
      if (self->info_->is_multi_file()) std::filesystem::remove_all(self->save_path_ / self->info_->name(), ec);
    }
    done();
  });
}

void torrent::pause() {
  if (paused_) return;
  paused_ = true;
  if (state_ != torrent_state::error && state_ != torrent_state::checking) state_ = torrent_state::paused;
  for (auto& [t, p] : std::map(peers_)) p->disconnect("torrent paused");
  if (announcer_) announcer_->stop();
  if (info_) ses_.resume_flush(*this);
  post_alert(alert_kind::torrent_paused, "paused");
}

void torrent::resume() {
  if (!paused_) return;
  paused_ = false;
  if (state_ == torrent_state::paused && !info_) state_ = torrent_state::downloading_metadata;
  if (state_ == torrent_state::paused)
    state_ = picker_->wanted_remaining() == 0 ? torrent_state::seeding : torrent_state::downloading;
  peer_list_.retry_now();
  post_alert(alert_kind::torrent_resumed, "resumed");
  if (announcer_ && state_ != torrent_state::checking && state_ != torrent_state::error) {
    announcer_->start();
    if (picker_ && picker_->wanted_remaining() == 0) announcer_->completed();
  }
  connect_candidates(clock::now());
}

void torrent::force_recheck() {
  if (state_ == torrent_state::checking || !info_) return;
  for (auto& [t, p] : std::map(peers_)) p->disconnect("recheck");
  state_ = torrent_state::checking;
  std::weak_ptr<torrent> weak = weak_from_this();
  ses_.disk().async_recheck(storage_, {}, [weak](result<std::vector<bool>> r) {
    auto self = weak.lock();
    if (!self || self->stopping_) return;
    if (!r) {
      self->set_error("recheck failed: " + r.error().message());
      return;
    }
    // The picker starts over from the verified set.
    const auto strategy = self->picker_->current_strategy();
    self->picker_ = std::make_unique<picker::piece_picker>(static_cast<const picker::torrent_view&>(*self), std::random_device{}());
    self->picker_->set_strategy(strategy);
    if (self->stream_) self->set_stream(self->stream_);
    self->apply_file_priorities();
    self->finished_announced_ = false;
    self->begin_downloading(std::move(*r));
  });
}

// ---- priorities ----------------------------------------------------------------------------------

void torrent::apply_file_priorities() {
  std::vector<picker::file_pieces> fp;
  wanted_total_ = 0;
  for (std::size_t i = 0; i < info_->num_files(); ++i) {
    const auto& f = info_->files()[i];
    if (f.pad()) continue;
    fp.push_back({f.first_piece, f.end_piece, file_priorities_[i]});
    if (file_priorities_[i] > 0) wanted_total_ += f.size;
  }
  picker_->set_piece_priorities(picker::piece_priorities_from_files(fp, info_->num_pieces()));
  if (storage_added_) ses_.disk().set_file_priorities(storage_, file_priorities_);
}

void torrent::set_file_priority(std::size_t file, std::uint8_t priority) {
  if (!info_ || file >= file_priorities_.size()) return;  // before the metadata: use add_torrent_params
  file_priorities_[file] = std::min<std::uint8_t>(priority, picker::max_priority);
  apply_file_priorities();
  wanted_done_ = 0;
  for (std::uint32_t i = have_.find_next(0); i != picker::piece_set::npos; i = have_.find_next(i + 1))
    wanted_done_ += wanted_bytes_in_piece(i);
  if (picker_->wanted_remaining() > 0 && state_ == torrent_state::seeding) state_ = torrent_state::downloading;
  for (auto& [t, p] : peers_) p->update_interest();
  check_finished();
}

void torrent::set_piece_priority(std::uint32_t piece, std::uint8_t priority) {
  if (!info_ || piece >= info_->num_pieces()) return;
  picker_->set_piece_priority(piece, priority);
  for (auto& [t, p] : peers_) p->update_interest();
}

void torrent::set_strategy(piece_strategy s) {
  auto o = overrides_;
  o.strategy = s;
  set_overrides(o);
  ses_.save_overrides(*this);
}

std::uint64_t torrent::wanted_bytes_in_piece(std::uint32_t piece) const {
  std::uint64_t n = 0;
  for (const auto& s : info_->map_block(piece, 0, info_->piece_size(piece)))
    if (file_priorities_[s.file_index] > 0) n += s.length;
  return n;
}

// ---- blocks and pieces -------------------------------------------------------------------------

void torrent::on_block(peer_connection& p, picker::block_ref b, storage::disk_buffer data) {
  down_.add(data.size());
  const auto r = picker_->on_block_received(p.token(), b);
  for (const auto tok : r.cancels()) {
    auto it = peers_.find(tok);
    if (it != peers_.end()) it->second->cancel_request(b);
  }
  if (!r.accepted) return;  // a duplicate (endgame) or a piece we no longer want
  auto w = ses_.disk().async_write(storage_, b.piece, static_cast<std::uint32_t>(b.offset()), std::move(data));
  if (!w) {
    set_error("write: " + w.error().message());
    return;
  }
  if (!r.piece_complete) return;
  std::weak_ptr<torrent> weak = weak_from_this();
  ses_.disk().async_check_piece(storage_, b.piece, [weak](storage::piece_result res) {
    if (auto self = weak.lock(); self && !self->stopping_) self->on_piece_checked(res);
  });
}

void torrent::on_piece_checked(const storage::piece_result& r) {
  switch (r.status) {
    case storage::piece_status::passed:
      on_piece_passed(r.piece, r.fully_stored);
      return;
    case storage::piece_status::failed: {
      failed_bytes_ += info_->piece_size(r.piece);
      const auto contributors = picker_->on_hash_failed(r.piece);
      // Blame by ban key, not by live connection: the peer that sent bad blocks may be gone.
      std::vector<std::string> keys;
      for (const auto tok : contributors) {
        auto it = token_keys_.find(tok);
        if (it != token_keys_.end() && std::find(keys.begin(), keys.end(), it->second) == keys.end())
          keys.push_back(it->second);
      }
      std::string who;
      for (const auto& k : keys) who += (who.empty() ? "" : ", ") + k;
      post_alert(alert_kind::hash_failed,
                 "piece " + std::to_string(r.piece) + " failed its hash check (from " + (who.empty() ? "?" : who) + ")",
                 r.piece, keys.empty() ? std::string() : keys.front());
      // A banned contributor explains the failure: the others are not blamed. Otherwise a piece
      // from a single peer convicts it (2 strikes) and a shared piece counts 1 for each.
      const bool banned_contributor =
          std::any_of(keys.begin(), keys.end(), [&](const std::string& k) { return banned_.count(k) != 0; });
      if (!banned_contributor) {
        const int weight = keys.size() == 1 ? 2 : 1;
        for (const auto& k : keys) strike(k, weight);
      }
      for (auto& [t, p] : std::map(peers_)) p->fill_requests();
      return;
    }
    case storage::piece_status::error:
    case storage::piece_status::hash_unknown:
      picker_->on_hash_failed(r.piece);
      post_alert(alert_kind::storage_error,
                 "piece " + std::to_string(r.piece) + " could not be verified" + (r.err ? ": " + r.err->message() : ""),
                 r.piece, {}, r.err ? r.err->code : std::error_code{});
      return;
  }
}

void torrent::strike(const std::string& key, int weight) {
  auto& n = strikes_[key];
  n += weight;
  if (n < 2 * ses_.settings_ref().hash_failures_to_ban) return;
  if (!banned_.insert(key).second) return;
  post_alert(alert_kind::peer_banned, "banned " + key + " after sending data that failed hash checks", {}, key);
  for (auto& [t, p] : std::map(peers_))
    if (ban_key(p->endpoint()) == key) p->disconnect("banned: sent corrupt data", true);
}

void torrent::on_piece_passed(std::uint32_t piece, bool fully_stored) {
  for (const auto& req : picker_->on_piece_verified(piece)) {
    auto it = peers_.find(req.peer);
    if (it != peers_.end()) it->second->cancel_request(req.block);
  }
  wanted_done_ += wanted_bytes_in_piece(piece);
  // A piece that straddles a skipped file was verified in memory but only its wanted part was
  // stored: we cannot serve it or find it again on disk, so it is neither announced nor recorded.
  if (fully_stored) {
    have_.set(piece);
    ses_.resume_piece_verified(*this, piece);
    for (auto& [t, p] : peers_) p->send_have(piece);
  }
  post_alert(alert_kind::piece_finished, "piece " + std::to_string(piece) + " verified", piece);
  check_finished();
}

void torrent::check_finished() {
  if (picker_->wanted_remaining() != 0 || finished_announced_) return;
  finished_announced_ = true;
  state_ = paused_ ? torrent_state::paused : torrent_state::seeding;
  ses_.resume_flush(*this);
  if (announcer_) announcer_->completed();
  post_alert(alert_kind::torrent_finished,
             "finished: " + std::to_string(have_.count()) + " of " + std::to_string(have_.size()) + " pieces verified");
  for (auto& [t, p] : std::map(peers_)) p->on_torrent_complete();
}

void torrent::on_hash_request(peer_connection& p, const wire::hash_request& r) {
  // BEP 52: answered from the piece layers we hold (hash_server); the rest is rejected.
  constexpr std::size_t max_waiting_hash_requests = 512;
  if (info_ && (!hash_server_ || hash_server_->info() != info_.get())) {
    hash_server_ = std::make_unique<hash_server>(info_);
    for (auto& [file, list] : waiting_hash_requests_)  // for the old metadata: its trees do not come
      for (auto& [token, req] : list)
        if (auto it = peers_.find(token); it != peers_.end() && it->second->connected()) it->second->send_hash_reject(req);
    waiting_hash_requests_.clear();
    waiting_hash_request_count_ = 0;
  }
  const auto file = info_ ? hash_server_->file_of(r) : std::nullopt;
  if (file && !hash_server_->has_tree(*file) && !p.send_queue_full() &&
      waiting_hash_request_count_ < max_waiting_hash_requests) {
    // The file's tree (N SHA-256 pairs for N pieces) is built on a disk worker, not here; the
    // request is answered when it is there.
    auto& list = waiting_hash_requests_[*file];
    const bool first = list.empty();
    list.emplace_back(p.token(), r);
    ++waiting_hash_request_count_;
    if (first) {
      auto tree = std::make_shared<std::optional<metainfo::merkle::layer_tree>>();
      std::weak_ptr<torrent> weak = weak_from_this();
      ses_.disk().async_compute(
          storage_, [info = info_, f = *file, tree] { *tree = hash_server::make_tree(*info, f); },
          [weak, info = info_, f = *file, tree](bool ran) {
            auto self = weak.lock();
            if (!self) return;
            // Metadata replaced meanwhile: the waiting requests were rejected then, and requests
            // for the new metadata wait for their own build.
            if (!self->hash_server_ || self->hash_server_->info() != info.get()) return;
            if (ran && *tree) self->hash_server_->add_tree(f, std::move(**tree));
            self->on_hash_tree_built(f);
          });
    }
    return;
  }
  // Rejected too while the peer's send queue is full (a flood of requests cannot grow it).
  if (auto h = file && !p.send_queue_full() ? hash_server_->answer(r) : std::nullopt) {
    p.send_hashes(r, *h);
  } else {
    p.send_hash_reject(r);
  }
}

void torrent::on_hash_tree_built(std::size_t file) {
  auto it = waiting_hash_requests_.find(file);
  if (it == waiting_hash_requests_.end()) return;
  const auto list = std::move(it->second);
  waiting_hash_requests_.erase(it);
  waiting_hash_request_count_ -= list.size();
  for (const auto& [token, r] : list) {
    auto peer = peers_.find(token);
    if (peer == peers_.end() || !peer->second->connected()) continue;  // gone meanwhile
    peer_connection& p = *peer->second;
    // Without the tree (the storage went away, the metadata changed) the request is rejected.
    if (auto h = hash_server_ && !p.send_queue_full() ? hash_server_->answer(r) : std::nullopt)
      p.send_hashes(r, *h);
    else
      p.send_hash_reject(r);
  }
}

bool torrent::fill_pad_block(peer_connection& p, picker::block_ref b) {
  if (!piece_has_pad_[b.piece]) return false;
  const std::uint32_t len = picker_->block_length(b);
  if (!info_->map_block(b.piece, static_cast<std::uint32_t>(b.offset()), len).empty()) return false;
  // Zeros, hashed like any block (v1 pieces include pad bytes), never written (no file).
  auto buf = ses_.disk().allocate_buffer(len);
  std::fill_n(buf.data(), len, '\0');
  const auto r = picker_->on_block_received(p.token(), b);
  for (const auto tok : r.cancels()) {
    auto it = peers_.find(tok);
    if (it != peers_.end()) it->second->cancel_request(b);
  }
  if (!r.accepted) return true;
  if (auto w = ses_.disk().async_write(storage_, b.piece, static_cast<std::uint32_t>(b.offset()), std::move(buf)); !w) {
    set_error("write: " + w.error().message());
    return true;
  }
  if (r.piece_complete) {
    std::weak_ptr<torrent> weak = weak_from_this();
    ses_.disk().async_check_piece(storage_, b.piece, [weak](storage::piece_result res) {
      if (auto self = weak.lock(); self && !self->stopping_) self->on_piece_checked(res);
    });
  }
  return true;
}

void torrent::on_read_error(const ccbt::error& e) {
  post_alert(alert_kind::storage_error, "read failed: " + e.message(), {}, {}, e.code);
}

// ---- time ------------------------------------------------------------------------------------

void torrent::tick(clock::time_point now) {
  ++seconds_;
  down_.tick();
  up_.tick();
  for (auto& [t, p] : std::map(peers_)) p->tick(now);
  if (state_ == torrent_state::downloading_metadata) {
    metadata_tick(now);
    connect_candidates(now);
  }
  if (state_ == torrent_state::downloading || state_ == torrent_state::seeding) {
    if (now >= next_choke_) {
      const bool optimistic = now >= next_optimistic_;
      choke_round(now, optimistic);
      next_choke_ = now + std::chrono::seconds(ses_.settings_ref().unchoke_interval_s);
      if (optimistic) next_optimistic_ = now + std::chrono::seconds(ses_.settings_ref().optimistic_unchoke_interval_s);
    }
    connect_candidates(now);
  }
}

void torrent::choke_round(clock::time_point now, bool optimistic) {
  const auto& s = ses_.settings_ref();
  const double interval = std::max(1, s.unchoke_interval_s);
  std::vector<choker::peer_state> states;
  std::vector<peer_connection*> conns;
  for (auto& [t, p] : peers_) {
    if (!p->connected()) continue;
    choker::peer_state st;
    st.id = t;
    st.interested = p->peer_interested();
    st.unchoked = !p->am_choking();
    st.optimistic = p->optimistic;
    st.snubbed = p->snubbed();
    st.upload_only = p->is_seed();
    st.download_rate = static_cast<double>(p->download().total() - p->round_down_start) / interval;
    st.upload_rate = static_cast<double>(p->upload().total() - p->round_up_start) / interval;
    st.connected_at = seconds_ - std::chrono::duration_cast<std::chrono::seconds>(now - p->connected_at()).count();
    st.last_unchoked = p->last_unchoked;
    states.push_back(st);
    conns.push_back(p.get());
    p->round_down_start = p->download().total();
    p->round_up_start = p->upload().total();
  }
  choker::config cfg;
  cfg.slots = unchoke_slots();
  const auto mode = is_seed() ? choker::mode::seeding : choker::mode::leeching;
  if (optimistic) {
    for (std::size_t i = 0; i < states.size(); ++i) {
      conns[i]->optimistic = false;
      states[i].optimistic = false;
    }
    if (auto pick = choker::optimistic_round(states, mode, cfg, seconds_, rng_)) {
      for (std::size_t i = 0; i < states.size(); ++i)
        if (states[i].id == *pick) {
          states[i].optimistic = true;
          conns[i]->optimistic = true;
        }
    }
  }
  const auto d = choker::regular_round(states, mode, cfg, seconds_);
  for (std::size_t i = 0; i < states.size(); ++i) {
    const auto id = states[i].id;
    if (std::find(d.unchoke.begin(), d.unchoke.end(), id) != d.unchoke.end()) {
      conns[i]->set_choked(false);
      conns[i]->last_unchoked = seconds_;
    } else if (std::find(d.choke.begin(), d.choke.end(), id) != d.choke.end()) {
      conns[i]->set_choked(true);
    }
  }
}

// ---- status ------------------------------------------------------------------------------------

torrent_status torrent::status() const {
  torrent_status st;
  st.hashes = hashes_;
  st.name = name();
  st.state = state_;
  if (!info_) {
    st.download_rate = down_.rate();
    st.upload_rate = up_.rate();
    st.total_downloaded = down_.total();
    for (const auto& [t, p] : peers_) st.num_peers += p->connected() ? 1 : 0;
    st.error = error_;
    return st;
  }
  st.total_wanted = wanted_total_;
  st.total_wanted_done = std::min(wanted_done_, wanted_total_);
  st.num_pieces = info_->num_pieces();
  st.pieces_done = have_.count();
  st.progress = wanted_total_ == 0 ? 1.0 : static_cast<double>(st.total_wanted_done) / static_cast<double>(wanted_total_);
  st.download_rate = down_.rate();
  st.upload_rate = up_.rate();
  st.total_downloaded = down_.total();
  st.total_uploaded = up_.total();
  st.total_failed_bytes = failed_bytes_;
  for (const auto& [t, p] : peers_) {
    if (!p->connected()) continue;
    ++st.num_peers;
    if (p->is_seed()) ++st.num_seeds;
    if (!p->am_choking()) ++st.num_unchoked;
  }
  st.error = error_;
  return st;
}

std::vector<peer_info> torrent::peers_info() const {
  std::vector<peer_info> out;
  for (const auto& [t, p] : peers_) {
    if (!p->connected()) continue;
    peer_info pi;
    pi.endpoint = p->endpoint();
    pi.client = p->client();
    pi.incoming = p->incoming();
    pi.encryption = p->mse_method() == 0                ? peer_encryption::none
                    : p->mse_method() == mse::crypto_rc4 ? peer_encryption::rc4
                                                         : peer_encryption::handshake;
    pi.seed = p->is_seed();
    pi.choked = p->am_choking();
    pi.interested = p->peer_interested();
    pi.peer_choked = p->peer_choking();
    pi.am_interested = p->am_interested();
    pi.snubbed = p->snubbed();
    pi.download_rate = p->download().rate();
    pi.upload_rate = p->upload().rate();
    pi.total_downloaded = p->download().total();
    pi.total_uploaded = p->upload().total();
    pi.request_queue = static_cast<int>(p->outstanding());
    pi.target_queue = static_cast<int>(p->target_depth());
    pi.progress = p->progress();
    out.push_back(std::move(pi));
  }
  return out;
}

}  // namespace ccbt::session_detail
