// What the application gives the session to add a torrent.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ccbt/magnet.hpp>
#include <ccbt/metainfo.hpp>
#include <ccbt/settings.hpp>
#include <ccbt/torrent_overrides.hpp>

namespace ccbt {

struct add_torrent_params {
  // The metainfo. Either this or `magnet` is required; with both, the metainfo wins.
  std::shared_ptr<const metainfo::torrent_info> torrent;
  // A magnet link (BEP 9): the torrent starts in state downloading_metadata and fetches the info
  // dictionary from peers (x.pe and `peers`; tr= trackers are added to `trackers`, one tier each).
  // so= (BEP 53) sets priority 0 for the other files unless file_priorities is given. dn= is the
  // name until the metadata arrives. A v2-only link fails with metadata_failed once the metadata is
  // in: downloading v2 pieces needs BEP 52 piece layers, which this engine does not fetch yet.
  std::optional<magnet::magnet_link> magnet;
  std::filesystem::path save_path;                        // download directory
  std::vector<std::string> peers;                         // "host:port" to connect to
  // Tracker tiers (BEP 12) announced to in addition to the metainfo's announce / announce-list.
  std::vector<std::vector<std::string>> trackers;
  bool paused = false;
  // Per-file priorities 0 (skip) .. 7, indexed like torrent->files(); missing entries = 4.
  std::vector<std::uint8_t> file_priorities;
  std::optional<piece_strategy> strategy;                 // same as overrides.strategy (which wins)
  torrent_overrides overrides;                            // per-torrent limits, slots, strategy
  // Trust that the data on disk is complete (skip the check; pieces are verified when read).
  bool seed_mode = false;
};

}  // namespace ccbt
