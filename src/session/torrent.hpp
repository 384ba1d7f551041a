// torrent — one torrent inside the session (L3): its picker, its storage, its peers, the choker
// rounds and the connection attempts. Lives on the network thread; no locks.
//
// The torrent is the only place where a peer's events meet the rest of the engine: peers report
// what they learn (availability, blocks, requests), the torrent asks the picker, the disk and the
// choker, and tells the peers what to do.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <ccbt/add_torrent_params.hpp>
#include <ccbt/alerts.hpp>
#include <ccbt/magnet.hpp>
#include <ccbt/metainfo.hpp>
#include <ccbt/stats.hpp>

#include "net/asio.hpp"
#include "picker/piece_picker.hpp"
#include "picker/request_pipeline.hpp"
#include "session/peer_list.hpp"
#include "ratelimit/limiter.hpp"
#include "session/rate.hpp"
#include "storage/disk_io.hpp"
#include "wire/handshake.hpp"
#include "wire/messages.hpp"
#include "wire/ut_pex.hpp"
#include "wire/extension_handshake.hpp"
#include "wire/ut_metadata.hpp"

namespace ccbt::metainfo {
class metadata_download;
}

namespace ccbt::session_detail {

struct mse_outcome;

class hash_server;
class piece_layer_fetch;

class session_impl;
class peer_connection;
class announcer;
using clock = std::chrono::steady_clock;

class torrent : public std::enable_shared_from_this<torrent>, private picker::torrent_view {
 public:
  torrent(session_impl& s, add_torrent_params p);
  ~torrent() override;

  void start();
  // Closes every connection, flushes the storage and removes it, then calls `done`.
  void stop(bool delete_files, std::function<void()> done);
  void tick(clock::time_point now);

  // ---- identity and state ------------------------------------------------------------------
  // Precondition of info(): has_metadata() (always true unless added from a magnet link).
  [[nodiscard]] const metainfo::torrent_info& info() const noexcept { return *info_; }
  [[nodiscard]] bool has_metadata() const noexcept { return info_ != nullptr; }
  [[nodiscard]] std::shared_ptr<const metainfo::torrent_info> info_ptr() const { return info_; }
  [[nodiscard]] const info_hash& hashes() const noexcept { return hashes_; }
  // The SKEY of an incoming MSE handshake for this torrent, found by its HASH('req2', SKEY) (SKEY:
  // the v1 hash or the truncated v2 hash); computed once per set of hashes.
  [[nodiscard]] std::optional<sha1_hash> mse_skey(const sha1_hash& req2) const;
  [[nodiscard]] sha1_hash id() const noexcept { return id_; }  // fixed when added (the session's key)
  [[nodiscard]] std::string name() const;
  [[nodiscard]] bool matches(const sha1_hash& h) const noexcept;
  [[nodiscard]] session_impl& session() noexcept { return ses_; }
  [[nodiscard]] const std::filesystem::path& save_path() const noexcept { return save_path_; }
  [[nodiscard]] storage::storage_index storage() const noexcept { return storage_; }
  [[nodiscard]] picker::piece_picker& picker() noexcept { return *picker_; }
  [[nodiscard]] const picker::piece_set& have_set() const noexcept { return have_; }
  [[nodiscard]] bool have_piece(std::uint32_t i) const noexcept { return i < have_.size() && have_.test(i); }
  [[nodiscard]] picker::pipeline_config pipeline_config() const noexcept;
  [[nodiscard]] torrent_status status() const;
  [[nodiscard]] std::vector<peer_info> peers_info() const;
  [[nodiscard]] bool is_seed() const noexcept { return info_ && have_.all(); }
  [[nodiscard]] std::size_t num_connections() const noexcept { return peers_.size(); }

  // ---- control -----------------------------------------------------------------------------
  void pause();
  void resume();
  void add_peer(const std::string& host_port);
  // A peer address learnt from any source, kept in the peer list (session/peer_list.hpp: ranking,
  // back-off, size cap); duplicates, our own listen endpoint and banned peers are ignored. Connects
  // when the torrent can.
  void add_candidate(const net::tcp::endpoint& ep, peer_source source);
  [[nodiscard]] const peer_list& candidates() const noexcept { return peer_list_; }
  // `mse`: the outcome of the MSE handshake that preceded the BitTorrent one (hs is then empty).
  // Our BitTorrent handshake under `info_hash` (reserved bits: extensions, fast, v2 where it applies).
  [[nodiscard]] wire::reserved_bits our_reserved() const;
  [[nodiscard]] std::string our_handshake(const sha1_hash& info_hash, const wire::reserved_bits& reserved) const;
  // `deadline`: of the whole handshake, counted from the accept (network.handshake_timeout_ms).
  void attach_incoming(net::tcp::socket socket, wire::handshake_parser hs, std::string endpoint,
                       clock::time_point deadline, mse_outcome* mse = nullptr);
  void set_file_priority(std::size_t file, std::uint8_t priority);
  void set_piece_priority(std::uint32_t piece, std::uint8_t priority);
  void set_strategy(piece_strategy s);
  void force_recheck();
  // Per-torrent overrides (torrent_overrides.cpp): limits, connections, slots, strategy, streaming.
  [[nodiscard]] const torrent_overrides& overrides() const noexcept { return overrides_; }
  void set_overrides(const torrent_overrides& o);
  void on_settings_changed();  // the session's settings changed: re-apply what is not overridden
  // Over max_connections() (a lowered limit): closes the least useful connections (connection_trim.cpp).
  void trim_connections();
  void append_connections(std::vector<std::shared_ptr<peer_connection>>& out) const;  // the open ones
  [[nodiscard]] int max_connections() const noexcept;
  [[nodiscard]] int unchoke_slots() const noexcept;
  [[nodiscard]] ratelimit::torrent_id bandwidth_slot() const noexcept { return bw_slot_; }
  // false: no such file.
  bool set_stream(const std::optional<stream_target>& target);
  [[nodiscard]] bool is_banned(const net::tcp::endpoint& ep) const;
  [[nodiscard]] bool accepts_connection() const noexcept;
  // Tracker announces (announcer.hpp); null before start().
  [[nodiscard]] announcer* trackers() noexcept { return announcer_.get(); }

  // ---- events from peers -------------------------------------------------------------------
  void on_peer_handshake(peer_connection& p);
  // An incoming peer told its listen port (BEP 10 "p"): its address joins the peer list.
  void on_peer_listen_port(peer_connection& p, std::uint16_t port);
  void on_peer_closed(peer_connection& p, const std::string& reason, bool protocol_error, bool had_availability);
  // Gives every open peer new requests (or metadata requests) once the current handler returns:
  // connections closed together (a trim, a ban wave) cost one pass, not one per closed peer.
  void post_refill();
  void on_peer_availability(peer_connection& p);
  void on_peer_interest_changed(peer_connection& p);
  void on_block(peer_connection& p, picker::block_ref b, storage::disk_buffer data);
  void on_hash_request(peer_connection& p, const wire::hash_request& r);
  void on_uploaded(std::uint32_t bytes) { up_.add(bytes); }
  void on_read_error(const ccbt::error& e);
  // A block that lies entirely in pad files: its bytes are zeros by definition (BEP 47), so it is
  // never requested from a peer. Returns true if `b` is such a block and it was filled locally.
  bool fill_pad_block(peer_connection& p, picker::block_ref b);
  [[nodiscard]] bool is_interesting(const peer_connection& p) const;

  // ---- peer exchange (session/pex.hpp) -------------------------------------------------------
  // BEP 11 for this torrent: on unless private (BEP 27) or switched off (settings::enable_pex).
  [[nodiscard]] bool pex_allowed() const noexcept;
  // Our connected peers whose listen address we know, as ut_pex entries, `except` left out.
  [[nodiscard]] std::vector<wire::pex_peer> pex_peers(picker::peer_token except) const;
  // ---- magnet links: BEP 9 metadata (torrent_metadata.cpp) ------------------------------------
  void on_peer_extensions(peer_connection& p, const wire::extension_handshake& hs);
  void on_metadata_message(peer_connection& p, const wire::ut_metadata_message& m);
  void on_hashes(peer_connection& p, const wire::hashes& m);          // torrent_piece_layers.cpp
  void on_hash_reject(peer_connection& p, const wire::hash_reject& m);

 private:
  // picker::torrent_view
  [[nodiscard]] picker::piece_index piece_count() const override { return info_->num_pieces(); }
  [[nodiscard]] std::uint32_t piece_size(picker::piece_index i) const override { return info_->piece_size(i); }

  void init_metadata_state();  // what needs the metainfo: picker, have set, file priorities
  void init_magnet(const magnet::magnet_link& link);
  void request_metadata(peer_connection& p);
  void metadata_tick(clock::time_point now);
  void on_metadata_complete();
  void use_metadata(metainfo::torrent_info&& ti, const std::string& note);
  void start_piece_layer_fetch(metainfo::torrent_info&& ti, const std::string& note);
  void request_piece_layers(peer_connection& p);
  void piece_layers_tick(clock::time_point now);
  void begin_downloading(std::vector<bool> verified);
  void on_piece_checked(const storage::piece_result& r);
  void on_piece_passed(std::uint32_t piece, bool fully_stored);
  void check_finished();
  void connect_candidates(clock::time_point now);
  net::awaitable<void> connect_to(net::tcp::endpoint ep);
  [[nodiscard]] bool is_own_endpoint(const net::tcp::endpoint& ep) const;
  // Two connections to the same peer id: closes one (keep_newer_duplicate). False if `p` was closed.
  bool resolve_duplicate(peer_connection& p);
  void choke_round(clock::time_point now, bool optimistic);
  void unchoke_if_slot_free(peer_connection& p);
  void strike(const std::string& key, int weight);
  [[nodiscard]] std::string ban_key(const std::string& endpoint) const;
  void apply_file_priorities();
  [[nodiscard]] std::uint64_t wanted_bytes_in_piece(std::uint32_t piece) const;
  void post_alert(alert_kind kind, std::string message, std::optional<std::uint32_t> piece = {},
                  std::string peer = {}, std::error_code ec = {});
  void set_error(const std::string& message);

  session_impl& ses_;
  std::shared_ptr<const metainfo::torrent_info> info_;  // null while fetching metadata (magnet)
  info_hash hashes_;
  mutable info_hash mse_keys_for_;                               // hashes_ when mse_keys_ was made
  mutable std::vector<std::pair<sha1_hash, sha1_hash>> mse_keys_;  // (HASH('req2', skey), skey)
  sha1_hash id_{};
  std::string magnet_name_;                              // dn= until the metadata arrives
  std::vector<magnet::file_range> select_only_;          // so= (BEP 53)
  std::unique_ptr<metainfo::metadata_download> metadata_;
  std::unique_ptr<hash_server> hash_server_;             // BEP 52 answers, made on the first request
  // Hash requests waiting for their file's tree, which a disk worker builds (file -> (peer, request));
  // at most max_waiting_hash_requests in all, the rest rejected.
  std::map<std::size_t, std::vector<std::pair<picker::peer_token, wire::hash_request>>> waiting_hash_requests_;
  std::size_t waiting_hash_request_count_ = 0;
  void on_hash_tree_built(std::size_t file);
  std::unique_ptr<metainfo::torrent_info> pending_info_;  // magnet v2: verified info, piece layers being fetched
  std::unique_ptr<piece_layer_fetch> layer_fetch_;
  std::string metadata_note_;                             // for metadata_received once the layers are in
  std::filesystem::path save_path_;
  storage::storage_index storage_ = 0;
  bool storage_added_ = false;
  std::unique_ptr<picker::piece_picker> picker_;
  picker::piece_set have_;
  std::vector<std::uint8_t> file_priorities_;
  bool seed_mode_ = false;
  std::vector<std::vector<std::string>> extra_trackers_;  // add_torrent_params::trackers
  std::shared_ptr<announcer> announcer_;

  std::map<picker::peer_token, std::shared_ptr<peer_connection>> peers_;
  picker::peer_token next_token_ = 1;
  peer_list peer_list_;
  std::unordered_map<picker::peer_token, net::tcp::endpoint> list_eps_;  // connection -> its peer list entry
  int half_open_ = 0;
  std::unordered_map<std::string, int> strikes_;
  std::unordered_map<picker::peer_token, std::string> token_keys_;  // every connection's ban key
  std::vector<bool> piece_has_pad_;                                  // piece overlaps a pad file
  std::unordered_set<std::string> banned_;

  torrent_state state_ = torrent_state::checking;
  bool paused_ = false;
  bool stopping_ = false;
  bool finished_announced_ = false;
  bool refill_posted_ = false;  // a refill of every peer's requests is queued (on_peer_closed)
  std::string error_;

  rate_meter down_;
  rate_meter up_;
  std::uint64_t failed_bytes_ = 0;
  std::uint64_t wanted_total_ = 0;
  std::uint64_t wanted_done_ = 0;

  clock::time_point next_choke_{};
  clock::time_point next_optimistic_{};
  std::int64_t seconds_ = 0;  // monotonic seconds for the choker
  std::mt19937_64 rng_;

  torrent_overrides overrides_;
  ratelimit::torrent_id bw_slot_ = ratelimit::no_torrent;
  std::optional<stream_target> stream_;
};

}  // namespace ccbt::session_detail
