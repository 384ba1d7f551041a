// `ccbt download` (also `ccbt <file.torrent> -o DIR`) and `ccbt seed`: run one torrent in-process
// with a ccbt::session, show progress, and exit when done (or keep seeding).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ccbt::apps {

struct transfer_options {
  std::string torrent;                 // path of the .torrent
  std::string directory;               // download directory (-o) or data directory (--data)
  std::vector<std::string> peers;      // --peer HOST:PORT
  std::vector<std::string> trackers;   // --tracker URL (each one a tier after the torrent's own)
  std::vector<std::string> listen;     // --listen PORT or IP:PORT (default 0.0.0.0:6881)
  bool seed = false;                   // keep seeding after the download (always for `seed`)
  bool seed_mode = false;              // trust the data without checking it (`seed --trust`)
  bool status_json = false;            // JSON lines on stdout (for scripts and tests)
  bool quiet = false;
  std::string resume_db;               // fast-resume store (default: <dir>/.ccbt-resume.sqlite)
  bool no_resume = false;
  double seconds = 0;                  // stop after this long (0 = no limit)
  std::string strategy;                // rarest-first | sequential | round-robin
  int max_peers = 0;
  std::string config;                  // --config FILE (else the search path of docs/configuration.md)
  std::vector<std::string> set;        // --set section.key=value
  std::string download_limit;          // --download-limit RATE: this torrent (per-torrent override)
  std::string upload_limit;            // --upload-limit RATE
  std::string stream;                  // --stream FILE[:OFFSET]: fetch this file position first, in order
};

// Returns the process exit code: 0 done (or seeding stopped by a signal), 1 error, 3 time limit.
[[nodiscard]] int run_transfer(const char* program, const transfer_options& opts, std::FILE* out, std::FILE* err);

}  // namespace ccbt::apps
