// session_engine — the router's engine on a real ccbt::session: keeps the daemon's torrent list
// (in list order, each with its metainfo and its stored record) and mirrors every change into the
// state_store before answering.
//
// A torrent added from a magnet link is stored as the link (its `torrent` column starts with
// "magnet:") and has no `info` until the session has fetched the metadata; persist_metadata()
// (called by the daemon on the metadata_received alert, and at shutdown) or any API call that sees
// the metadata replaces the stored link by a .torrent holding the info dict, the link's tr=
// trackers becoming trackers_added.
//
// Invariant: a torrent is in `torrents_` iff it is in the session and in daemon.db. Called only
// from the API thread (the session's public calls are thread-safe and block for their answer).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ccbt/config.hpp>
#include <ccbt/magnet.hpp>
#include <ccbt/metainfo.hpp>
#include <ccbt/session.hpp>

#include "rpc/router.hpp"
#include "rpc/state_store.hpp"

namespace ccbt::rpc {

struct engine_context {
  std::filesystem::path state_dir;
  std::optional<std::filesystem::path> config_file;
  settings base;    // from the defaults, ccbt.toml, the environment and --set
  settings config;  // what the session runs with: base + the overrides stored in daemon.db
  std::function<std::string()> api_endpoint;
  std::function<void()> request_shutdown;
  // Reloads the configuration file now (the daemon's watcher); empty: no file. Called without the
  // engine's lock held (it takes it to apply the file through reload()).
  std::function<api_result<json>()> reload_config;
};

class session_engine final : public engine {
 public:
  session_engine(session& s, state_store& store, engine_context ctx);

  // Adds every torrent of daemon.db to the session; returns one message per torrent that could not
  // be restored (it stays in daemon.db).
  std::vector<std::string> restore();

  // The configuration file was reloaded: `base` is the new defaults+file+environment+--set. The
  // overrides stored in daemon.db still apply over it; live keys reach the session at once, the
  // others wait for a restart. Returns log lines.
  // `file_restart`: restart keys the file changed (not in `base`, which keeps their running values).
  // `live` / `restart` (optional) receive the keys applied now / waiting for the next start.
  std::vector<std::string> reload(const settings& base, const std::vector<std::string>& file_restart,
                                  std::vector<std::string>* live = nullptr, std::vector<std::string>* restart = nullptr);

  // Stores the metainfo of every magnet torrent whose metadata has arrived since the last call.
  void persist_metadata();

  api_result<json> session_info() override;
  api_result<json> shutdown() override;
  api_result<json> list() override;
  api_result<json> add(add_request r) override;
  api_result<json> status(const sha1_hash& id) override;
  api_result<json> pause(const sha1_hash& id) override;
  api_result<json> resume(const sha1_hash& id) override;
  api_result<json> recheck(const sha1_hash& id) override;
  api_result<json> remove(const sha1_hash& id, bool delete_data) override;
  api_result<json> files(const sha1_hash& id) override;
  api_result<json> set_file_priorities(const sha1_hash& id,
                                       const std::vector<std::pair<std::uint32_t, std::uint8_t>>& p) override;
  api_result<json> peers(const sha1_hash& id) override;
  api_result<json> add_peers(const sha1_hash& id, const std::vector<std::string>& peers) override;
  api_result<json> set_options(const sha1_hash& id, const options_request& o) override;
  api_result<json> trackers(const sha1_hash& id) override;
  api_result<json> add_tracker(const sha1_hash& id, const tracker_request& t) override;
  api_result<json> remove_tracker(const sha1_hash& id, const std::string& url) override;
  api_result<json> reannounce(const sha1_hash& id) override;
  api_result<json> config() override;
  api_result<json> config_get(std::string_view key) override;
  api_result<json> config_set(std::string_view key, const std::string& value) override;
  api_result<json> config_unset(std::string_view key) override;
  api_result<json> config_reload() override;
  // Set once, before the API serves (the daemon's watcher exists only after the engine).
  void set_reload_config(std::function<api_result<json>()> f) { ctx_.reload_config = std::move(f); }

  // base + overrides (each "section.key" -> value as for --set); the ones that do not apply are
  // skipped and described in `problems`.
  [[nodiscard]] static settings apply_overrides(const settings& base,
                                                const std::vector<std::pair<std::string, std::string>>& overrides,
                                                std::vector<std::string>& problems);

 private:
  struct entry {
    sha1_hash id;
    std::shared_ptr<const metainfo::torrent_info> info;  // null: a magnet still fetching its metadata
    std::string name;                                     // info->name(), else the link's dn=
    std::optional<info_hash> hashes;                      // the magnet's, while info is null
    torrent_handle handle;
    stored_torrent rec;
  };
  entry* find(const sha1_hash& id);
  api_result<entry*> lookup(const sha1_hash& id);
  result<torrent_handle> start(const stored_torrent& rec, const std::shared_ptr<const metainfo::torrent_info>& info,
                               std::optional<magnet::magnet_link> link = std::nullopt);
  void refresh(entry& e);
  api_result<json> set_paused(const sha1_hash& id, bool paused);  // persisted, then applied
  static api_error no_metadata(const entry& e);
  json summary(const entry& e, std::size_t index, const torrent_status& st) const;
  json key_json(const config::key_info& k) const;

  session& ses_;
  state_store& store_;
  engine_context ctx_;
  std::vector<entry> torrents_;
  std::map<std::string, std::string, std::less<>> overrides_;  // as stored in daemon.db
  std::set<std::string, std::less<>> pending_restart_;         // restart keys changed since the start
};

}  // namespace ccbt::rpc
