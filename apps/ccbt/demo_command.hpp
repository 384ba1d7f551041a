// `ccbt demo`: a complete swarm in one process, on loopback, with nothing from the internet.
// Makes sample content in a temporary directory, starts the embedded tracker (ccbt::tracker_server)
// on free loopback ports, creates a hybrid torrent that announces to it, then runs a seeding
// session and a downloading session that find each other through the tracker only; verifies the
// download byte for byte and prints a summary. The temporary directory is removed unless --keep.
#pragma once

#include <cstdio>

namespace ccbt::apps {

struct demo_options {
  double size_mib = 32;      // size of the largest sample file
  double timeout_s = 180;    // give up (exit 1) after this long
  bool keep = false;         // keep the temporary directory
  bool quiet = false;        // no progress bar
};

// Exit code: 0 when the download completed and matches the source, 1 otherwise.
[[nodiscard]] int run_demo(const char* program, const demo_options& opts, std::FILE* out, std::FILE* err);

}  // namespace ccbt::apps
