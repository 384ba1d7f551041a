// btbt create PATH -o OUT.torrent [--v1|--v2|--hybrid] [--piece-size SIZE] [-t URL[,URL...]]...
//   [-w URL]... [--private] [--comment TEXT] [--source TEXT] [--no-date] [--threads N] [--quiet]
//   [--force] [--json]
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ccbt/create_torrent.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common/format.hpp"
#include "common/progress.hpp"

namespace ccbt::btbt {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) { g_interrupted.store(true); }

struct create_args {
  std::string path;
  std::string output;
  bool v1 = false;
  bool v2 = false;
  bool hybrid = false;
  std::string piece_size;
  std::vector<std::string> trackers;
  std::vector<std::string> web_seeds;
  bool is_private = false;
  std::string comment;
  std::string source;
  std::string created_by = "ccbt/0.1.0";
  bool no_date = false;
  std::optional<std::int64_t> date;
  unsigned threads = 0;
  bool quiet = false;
  bool force = false;
  bool json = false;
};

int fail(const std::string& msg) {
  std::fprintf(stderr, "btbt: %s\n", msg.c_str());
  return 1;
}

// "-t a,b -t c" -> {{a, b}, {c}}
std::vector<std::vector<std::string>> parse_tiers(const std::vector<std::string>& args) {
  std::vector<std::vector<std::string>> tiers;
  for (const auto& arg : args) {
    std::vector<std::string> tier;
    std::size_t start = 0;
    for (;;) {
      const auto comma = arg.find(',', start);
      std::string url = arg.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!url.empty()) tier.push_back(std::move(url));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (!tier.empty()) tiers.push_back(std::move(tier));
  }
  return tiers;
}

// The output .torrent, created before hashing so that a bad path fails at once. Without `force`
// the file must not exist (O_EXCL); with `force` a temporary file in the same directory replaces it
// atomically at commit(). Removed again unless committed.
class output_file {
 public:
  explicit output_file(std::filesystem::path out, bool force) : out_(std::move(out)), force_(force) {}
  output_file(const output_file&) = delete;
  output_file& operator=(const output_file&) = delete;
  ~output_file() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !path_.empty()) ::unlink(path_.c_str());
  }

  std::optional<std::string> open() {
    path_ = force_ ? std::filesystem::path(out_.string() + ".tmp." + std::to_string(::getpid())) : out_;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      const int err = errno;
      path_.clear();
      if (err == EEXIST && !force_) return out_.string() + " already exists (use --force to overwrite)";
      return fmt::format("cannot create {}: {}", out_.string(), std::strerror(err));
    }
    return std::nullopt;
  }

  std::optional<std::string> commit(const std::string& data) {
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
      const ssize_t w = ::write(fd_, p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return fmt::format("cannot write {}: {}", out_.string(), std::strerror(errno));
      p += w;
      left -= static_cast<std::size_t>(w);
    }
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return fmt::format("cannot write {}: {}", out_.string(), std::strerror(errno));
    if (force_ && ::rename(path_.c_str(), out_.c_str()) != 0)
      return fmt::format("cannot replace {}: {}", out_.string(), std::strerror(errno));
    committed_ = true;
    return std::nullopt;
  }

 private:
  std::filesystem::path out_;
  bool force_;
  std::filesystem::path path_;
  int fd_ = -1;
  bool committed_ = false;
};

const char* kind_name(creator::torrent_kind k) {
  switch (k) {
    case creator::torrent_kind::v1: return "v1";
    case creator::torrent_kind::v2: return "v2";
    case creator::torrent_kind::hybrid: return "hybrid";
  }
  return "?";
}

int run_create(const create_args& a) {
  creator::create_options o;
  o.kind = a.v1 ? creator::torrent_kind::v1 : a.v2 ? creator::torrent_kind::v2 : creator::torrent_kind::hybrid;
  if (!a.piece_size.empty() && a.piece_size != "auto") {
    const auto ps = apps::parse_size(a.piece_size);
    if (!ps || *ps == 0) return fail(fmt::format("--piece-size: cannot read '{}' (e.g. 256KiB, 1MiB, 4M)", a.piece_size));
    o.piece_length = *ps;
  }
  o.trackers = parse_tiers(a.trackers);
  o.web_seeds = a.web_seeds;
  o.is_private = a.is_private;
  o.comment = a.comment;
  o.source = a.source;
  o.created_by = a.created_by;
  if (a.date) {
    o.creation_date = *a.date;
  } else if (!a.no_date) {
    o.creation_date = static_cast<std::int64_t>(std::time(nullptr));
  }
  o.threads = a.threads;

  const std::filesystem::path out(a.output);
  output_file file(out, a.force);
  if (auto err = file.open()) return fail(*err);

  apps::progress_bar bar("hashing", !a.quiet && !a.json);
  o.progress = [&bar](std::uint64_t done, std::uint64_t total) { bar.update(done, total); };
  o.cancel = &g_interrupted;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {}, old_term {};
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);

  const auto t0 = std::chrono::steady_clock::now();
  auto r = creator::create(a.path, o);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  bar.finish();
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  if (!r) return fail(r.error().message());

  if (auto err = file.commit(r->data)) return fail(*err);

  const std::string v1 = r->hashes.v1 ? r->hashes.v1->to_hex() : std::string();
  const std::string v2 = r->hashes.v2 ? r->hashes.v2->to_hex() : std::string();
  if (a.json) {
    nlohmann::json j;
    j["output"] = out.string();
    j["name"] = r->name;
    j["kind"] = kind_name(r->kind);
    j["files"] = r->num_files;
    j["total_size"] = r->total_size;
    j["piece_length"] = r->piece_length;
    j["num_pieces"] = r->num_pieces;
    j["info_hash_v1"] = r->hashes.v1 ? nlohmann::json(v1) : nlohmann::json(nullptr);
    j["info_hash_v2"] = r->hashes.v2 ? nlohmann::json(v2) : nlohmann::json(nullptr);
    j["seconds"] = secs;
    std::fputs((j.dump(2) + "\n").c_str(), stdout);
    return 0;
  }
  if (a.quiet) {
    // Just the hashes, one per line, for scripts.
    if (!v1.empty()) std::printf("%s\n", v1.c_str());
    if (!v2.empty()) std::printf("%s\n", v2.c_str());
    return 0;
  }
  std::printf("created %s\n", out.string().c_str());
  std::printf("  name          %s\n", r->name.c_str());
  std::printf("  kind          %s\n", r->kind == creator::torrent_kind::hybrid ? "hybrid (v1 + v2)" : kind_name(r->kind));
  std::printf("  files         %zu (%s)\n", r->num_files, apps::format_size(r->total_size).c_str());
  std::printf("  pieces        %llu x %s\n", static_cast<unsigned long long>(r->num_pieces),
              apps::format_size(r->piece_length).c_str());
  if (!v1.empty()) std::printf("  info-hash v1  %s\n", v1.c_str());
  if (!v2.empty()) std::printf("  info-hash v2  %s\n", v2.c_str());
  std::printf("  hashed in     %.2f s (%s)\n", secs,
              apps::format_rate(secs > 0 ? static_cast<double>(r->total_size) / secs : 0.0).c_str());
  return 0;
}

}  // namespace

command add_create(CLI::App& app) {
  auto a = std::make_shared<create_args>();
  CLI::App* sub = app.add_subcommand("create", "Create a .torrent (v1, v2 or hybrid) from a file or folder");
  sub->add_option("PATH", a->path, "File or folder to share")->required();
  sub->add_option("-o,--output", a->output, "Where to write the .torrent")->required();
  auto* v1 = sub->add_flag("--v1", a->v1, "BitTorrent v1 only");
  auto* v2 = sub->add_flag("--v2", a->v2, "BitTorrent v2 only (BEP 52)");
  auto* hy = sub->add_flag("--hybrid", a->hybrid, "v1 + v2 in one torrent (default)");
  v1->excludes(v2)->excludes(hy);
  v2->excludes(hy);
  sub->add_option("--piece-size", a->piece_size, "Piece size, e.g. 256KiB, 1MiB, 4M (default: automatic)");
  sub->add_option("-t,--tracker", a->trackers,
                  "Tracker URL; commas put several in one tier, each -t starts a new tier")
      ->allow_extra_args(false);
  sub->add_option("-w,--web-seed", a->web_seeds, "Web seed URL (BEP 19), repeatable")->allow_extra_args(false);
  sub->add_flag("--private", a->is_private, "Private torrent (BEP 27): trackers only, no DHT/PEX");
  sub->add_option("--comment", a->comment, "Comment");
  sub->add_option("--source", a->source, "Source tag in the info dict (changes the info-hash)");
  sub->add_option("--created-by", a->created_by, "'created by' field (default ccbt/0.1.0; empty: none)");
  auto* nd = sub->add_flag("--no-date", a->no_date, "Leave out the creation date");
  sub->add_option("--date", a->date, "Creation date as Unix seconds (default: now)")->excludes(nd);
  sub->add_option("--threads", a->threads, "Hashing threads (default: all cores)")->check(CLI::Range(0u, 1024u));
  sub->add_flag("-q,--quiet", a->quiet, "No progress bar; print only the info-hash(es)");
  sub->add_flag("-f,--force", a->force, "Overwrite OUT if it exists");
  sub->add_flag("--json", a->json, "Print the result as JSON");
  return [a] { return run_create(*a); };
}

}  // namespace ccbt::btbt
