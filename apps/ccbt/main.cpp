// ccbt — the basic command line.
//   ccbt <file.torrent|magnet:?...> -o DIR [--peer HOST:PORT ...] [--listen PORT] [--seed]
//   ccbt download <file.torrent> -o DIR ...      (the same, spelled out)
//   ccbt seed <file.torrent> --data DIR [--listen PORT]
//   ccbt info <torrent|magnet> [--json]
//   ccbt demo [--size-mib N]                     (a local swarm: embedded tracker, seeder, downloader)
// Errors: one line "ccbt: ..." on stderr; exit code 1 for bad input, 2 for usage errors.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "demo_command.hpp"
#include "info_command.hpp"
#include "transfer_command.hpp"

namespace {

void add_transfer_options(CLI::App* cmd, ccbt::apps::transfer_options& o) {
  cmd->add_option("--peer", o.peers, "connect to this peer (IP:PORT, repeatable)");
  cmd->add_option("--tracker", o.trackers, "also announce to this tracker URL (repeatable; each one a tier)")
      ->allow_extra_args(false);
  cmd->add_option("--listen", o.listen, "listen on PORT or IP:PORT (repeatable; default 0.0.0.0:6881, 0 = any)");
  cmd->add_flag("--status-json", o.status_json, "print JSON status lines on stdout (for scripts)");
  cmd->add_flag("-q,--quiet", o.quiet, "no progress bar");
  cmd->add_option("--resume-db", o.resume_db, "fast-resume database (default DIR/.ccbt-resume.sqlite)");
  cmd->add_flag("--no-resume", o.no_resume, "do not keep fast-resume state");
  cmd->add_option("--seconds", o.seconds, "stop after this many seconds (exit code 3 if not complete)");
  cmd->add_option("--strategy", o.strategy, "piece picking: rarest-first (default), sequential, round-robin");
  cmd->add_option("--max-peers", o.max_peers, "connections for this torrent (default 60)");
  cmd->add_option("--config", o.config, "configuration file (default: ./ccbt.toml, ~/.config/ccbt/ccbt.toml, ~/.ccbt.toml)");
  cmd->add_option("--set", o.set, "override one setting: --set section.key=value (repeatable)");
  cmd->add_option("--download-limit", o.download_limit, "download rate limit of this torrent (e.g. 2MiB; 0 = none)");
  cmd->add_option("--upload-limit", o.upload_limit, "upload rate limit of this torrent (e.g. 500KiB; 0 = none)");
  cmd->add_option("--stream", o.stream, "stream FILE[:OFFSET] (file index, byte offset): fetch from there first, in order");
}

}  // namespace

int main(int argc, char** argv) {
  // `ccbt file.torrent ...` is short for `ccbt download file.torrent ...`.
  std::vector<char*> args(argv, argv + argc);
  static char download_word[] = "download";
  if (argc >= 2 && argv[1][0] != '-' && std::strcmp(argv[1], "info") != 0 && std::strcmp(argv[1], "seed") != 0 &&
      std::strcmp(argv[1], "demo") != 0 &&
      std::strcmp(argv[1], "download") != 0 && std::strcmp(argv[1], "help") != 0)
    args.insert(args.begin() + 1, download_word);

  CLI::App app{"ccbt: a BitTorrent client", "ccbt"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("ccbt 0.1.0"));

  std::string info_input;
  bool info_json = false;
  CLI::App* info = app.add_subcommand("info", "Describe a .torrent file or a magnet link");
  info->add_option("input", info_input, "a .torrent file or a magnet: link")->required();
  info->add_flag("--json", info_json, "print JSON (see docs/cli.md)");

  ccbt::apps::transfer_options dl;
  CLI::App* download = app.add_subcommand("download", "Download a torrent (`ccbt FILE.torrent -o DIR` for short)");
  download->add_option("torrent", dl.torrent, "the .torrent file or a magnet: link")->required();
  download->add_option("-o,--output", dl.directory, "download directory")->required();
  download->add_flag("--seed", dl.seed, "keep seeding when the download is complete (until Ctrl-C)");
  add_transfer_options(download, dl);

  ccbt::apps::transfer_options sd;
  CLI::App* seed = app.add_subcommand("seed", "Seed a torrent from data already on disk");
  seed->add_option("torrent", sd.torrent, "the .torrent file")->required();
  seed->add_option("--data", sd.directory, "directory that holds the torrent's data")->required();
  seed->add_flag("--trust", sd.seed_mode, "skip the check of the data (pieces are served as they are)");
  add_transfer_options(seed, sd);

  ccbt::apps::demo_options demo_opts;
  CLI::App* demo = app.add_subcommand("demo", "Run a local swarm: embedded tracker, a seeder and a downloader on loopback");
  demo->add_option("--size-mib", demo_opts.size_mib, "size of the largest sample file in MiB (default 32)");
  demo->add_option("--timeout", demo_opts.timeout_s, "give up after this many seconds (default 180)");
  demo->add_flag("--keep", demo_opts.keep, "keep the temporary directory");
  demo->add_flag("-q,--quiet", demo_opts.quiet, "no progress bar");

  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "ccbt: %s (see ccbt --help)\n", e.what());
    return 2;
  }
  try {
    if (info->parsed()) return ccbt::apps::run_info("ccbt", info_input, info_json, stdout, stderr);
    if (download->parsed()) return ccbt::apps::run_transfer("ccbt", dl, stdout, stderr);
    if (demo->parsed()) return ccbt::apps::run_demo("ccbt", demo_opts, stdout, stderr);
    if (seed->parsed()) {
      sd.seed = true;
      return ccbt::apps::run_transfer("ccbt", sd, stdout, stderr);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ccbt: %s\n", e.what());
    return 1;
  }
  return 2;
}
