#include "transfer_command.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <ccbt/config.hpp>
#include <ccbt/magnet.hpp>
#include <ccbt/metainfo.hpp>
#include <ccbt/session.hpp>

#include "common/format.hpp"
#include "common/live_config.hpp"
#include "common/progress.hpp"

namespace ccbt::apps {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

void emit(std::FILE* out, const nlohmann::json& j) {
  const auto line = j.dump();
  std::fprintf(out, "%s\n", line.c_str());
  std::fflush(out);
}

nlohmann::json status_json(const torrent_status& st) {
  return {{"event", "status"},         {"state", to_string(st.state)},
          {"progress", st.progress},    {"pieces", st.pieces_done},
          {"num_pieces", st.num_pieces}, {"down", st.download_rate},
          {"up", st.upload_rate},       {"peers", st.num_peers},
          {"seeds", st.num_seeds},      {"total_download", st.total_downloaded},
          {"total_upload", st.total_uploaded}, {"failed_bytes", st.total_failed_bytes}};
}

nlohmann::json trackers_json(const std::vector<tracker_status>& ts) {
  auto arr = nlohmann::json::array();
  for (const auto& t : ts) {
    nlohmann::json j = {{"url", t.url}, {"tier", t.tier}, {"state", to_string(t.state)}, {"fails", t.fails}};
    if (!t.last_error.empty()) j["error"] = t.last_error;
    if (!t.warning.empty()) j["warning"] = t.warning;
    if (t.seeds) j["seeds"] = *t.seeds;
    if (t.leechers) j["leechers"] = *t.leechers;
    if (t.next_announce_s) j["next_announce"] = *t.next_announce_s;
    arr.push_back(std::move(j));
  }
  return arr;
}

// "downloading" plus what the trackers say: "downloading (trackers 1/2, 3 peers)".
std::string progress_label(const std::string& base, const std::vector<tracker_status>& ts, int peers) {
  if (ts.empty()) return base + " (" + std::to_string(peers) + " peers)";
  int working = 0;
  for (const auto& t : ts) working += t.state == tracker_state::working ? 1 : 0;
  return base + " (trackers " + std::to_string(working) + "/" + std::to_string(ts.size()) + ", " +
         std::to_string(peers) + " peers)";
}

std::optional<std::string> listen_interface(const std::string& s) {
  if (s.find(':') == std::string::npos) {
    for (char c : s)
      if (c < '0' || c > '9') return std::nullopt;
    if (s.empty() || std::stoul(s) > 65535) return std::nullopt;
    return "0.0.0.0:" + s;
  }
  return s;
}

nlohmann::json strings(const std::vector<std::string>& v) {
  auto j = nlohmann::json::array();
  for (const auto& s : v) j.push_back(s);
  return j;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void report_reloads(const char* program, const std::vector<reload_event>& events, bool json, std::FILE* out,
                    std::FILE* err) {
  for (const auto& e : events) {
    for (const auto& w : e.warnings) std::fprintf(err, "%s: configuration: warning: %s\n", program, w.c_str());
    if (!e.ok) std::fprintf(err, "%s: configuration not reloaded, the running one is kept: %s\n", program, e.error.c_str());
    else if (!e.applied.empty()) std::fprintf(err, "%s: configuration reloaded: %s\n", program, join(e.applied).c_str());
    if (e.ok && !e.restart.empty())
      std::fprintf(err, "%s: configuration: takes effect at the next start: %s\n", program, join(e.restart).c_str());
    if (json) {
      nlohmann::json j = {{"event", "config"}, {"ok", e.ok}, {"applied", strings(e.applied)},
                          {"restart", strings(e.restart)}, {"download_rate_limit", e.running.download_rate_limit},
                          {"upload_rate_limit", e.running.upload_rate_limit}};
      if (!e.ok) j["error"] = e.error;
      emit(out, j);
    }
  }
}

}  // namespace

int run_transfer(const char* program, const transfer_options& opts, std::FILE* out, std::FILE* err) {
  // A magnet link (BEP 9: the metadata comes from peers) or a .torrent file.
  std::optional<magnet::magnet_link> link;
  std::shared_ptr<const metainfo::torrent_info> ti;
  if (magnet::is_magnet_uri(opts.torrent)) {
    auto l = magnet::parse(opts.torrent);
    if (!l) {
      std::fprintf(err, "%s: %s\n", program, l.error().message().c_str());
      return 1;
    }
    if (opts.seed) {
      std::fprintf(err, "%s: seeding needs the .torrent file, not a magnet link\n", program);
      return 2;
    }
    link = std::move(*l);
  } else {
    std::ifstream in(opts.torrent, std::ios::binary);
    if (!in) {
      std::fprintf(err, "%s: %s: cannot read the file\n", program, opts.torrent.c_str());
      return 1;
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = metainfo::torrent_info::parse(bytes);
    if (!parsed) {
      std::fprintf(err, "%s: %s: %s\n", program, opts.torrent.c_str(), parsed.error().message().c_str());
      return 1;
    }
    ti = std::make_shared<const metainfo::torrent_info>(std::move(*parsed));
  }

  // Settings: defaults <- ccbt.toml <- CCBT_* environment <- --set <- the flags below. The flags that
  // map to settings become --set overrides, so a reload of the file keeps them.
  config::load_options lo;
  if (!opts.config.empty()) lo.config_path = opts.config;
  lo.overrides = opts.set;
  std::vector<std::string> listen_ifaces;
  for (const auto& l : opts.listen) {
    auto iface = listen_interface(l);
    if (!iface) {
      std::fprintf(err, "%s: --listen %s: expected PORT or IP:PORT\n", program, l.c_str());
      return 2;
    }
    listen_ifaces.push_back(*iface);
  }
  if (!listen_ifaces.empty()) {
    std::string list;
    for (const auto& i : listen_ifaces) list += (list.empty() ? "" : ",") + i;
    lo.overrides.push_back("network.listen_interfaces=" + list);
  }
  if (opts.max_peers > 0) lo.overrides.push_back("network.max_connections_per_torrent=" + std::to_string(opts.max_peers));
  if (!opts.strategy.empty()) {
    if (opts.strategy == "rarest-first") lo.overrides.push_back("strategy.piece_strategy=rarest_first");
    else if (opts.strategy == "sequential") lo.overrides.push_back("strategy.piece_strategy=sequential");
    else if (opts.strategy == "round-robin") lo.overrides.push_back("strategy.piece_strategy=round_robin");
    else {
      std::fprintf(err, "%s: --strategy %s: expected rarest-first, sequential or round-robin\n", program,
                   opts.strategy.c_str());
      return 2;
    }
  }
  torrent_overrides overrides;
  for (const auto& [flag, text, field] : {std::tuple{"--download-limit", &opts.download_limit, &overrides.download_rate_limit},
                                          std::tuple{"--upload-limit", &opts.upload_limit, &overrides.upload_rate_limit}}) {
    if (text->empty()) continue;
    const auto v = parse_size(*text);
    if (!v || *v > (std::uint64_t{1} << 50)) {
      std::fprintf(err, "%s: %s %s: expected a rate such as 500KiB or 2MiB\n", program, flag, text->c_str());
      return 2;
    }
    *field = static_cast<std::int64_t>(*v);
  }
  std::optional<stream_target> stream;
  if (!opts.stream.empty()) {
    stream_target st;
    const auto spec = parse_stream_spec(opts.stream);
    if (!spec) {
      std::fprintf(err, "%s: --stream %s: expected FILE[:OFFSET] (a file index, a byte offset)\n", program,
                   opts.stream.c_str());
      return 2;
    }
    st.file = spec->file;
    st.offset = spec->offset;
    stream = st;
  }
  auto loaded = config::load(lo);
  if (!loaded) {
    std::fprintf(err, "%s: configuration: %s\n", program, loaded.error().message().c_str());
    return 2;
  }
  for (const auto& w : loaded->warnings) std::fprintf(err, "%s: warning: %s\n", program, w.message.c_str());
  // The resume store: a restart-only key, so fixing it as an override keeps reloads quiet.
  std::optional<std::string> resume_db;
  if (opts.no_resume)
    resume_db = "";
  else if (!opts.resume_db.empty())
    resume_db = opts.resume_db;
  else if (loaded->values.resume_db.empty())
    resume_db = (std::filesystem::path(opts.directory) / ".ccbt-resume.sqlite").string();
  if (resume_db) {
    lo.overrides.push_back("state.resume_db=" + *resume_db);
    if (auto r = config::apply_override(*loaded, lo.overrides.back()); !r) {
      std::fprintf(err, "%s: --resume-db: %s\n", program, r.error().message().c_str());
      return 2;
    }
  }
  settings s = loaded->values;
  std::error_code ec;
  std::filesystem::create_directories(opts.directory, ec);
  if (ec) {
    std::fprintf(err, "%s: %s: %s\n", program, opts.directory.c_str(), ec.message().c_str());
    return 1;
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  session ses(s);
  // --config FILE: edits of the file apply while running.
  std::unique_ptr<live_config> live;
  if (!opts.config.empty()) {
    auto lc = live_config::start(ses, *loaded, lo);
    if (!lc) {
      std::fprintf(err, "%s: configuration %s: %s (edits will not be applied)\n", program, opts.config.c_str(),
                   lc.error().message().c_str());
    } else {
      live = std::move(*lc);
    }
  }
  bool listening = false;
  for (const auto& a : ses.pop_alerts()) {
    if (a.kind == alert_kind::listen_failed) std::fprintf(err, "%s: %s\n", program, a.message.c_str());
    if (a.kind == alert_kind::listen_succeeded) listening = true;
  }
  if (!listening && !opts.listen.empty()) return 1;

  add_torrent_params p;
  p.torrent = std::move(ti);
  p.magnet = std::move(link);
  p.save_path = opts.directory;
  p.peers = opts.peers;
  for (const auto& url : opts.trackers) p.trackers.push_back({url});
  p.seed_mode = opts.seed_mode;
  p.overrides = overrides;
  auto h = ses.add_torrent(std::move(p));
  if (!h) {
    std::fprintf(err, "%s: %s\n", program, h.error().message().c_str());
    return 1;
  }
  if (stream && !h->set_stream(stream)) {
    std::fprintf(err, "%s: --stream %s: the torrent has no file %zu\n", program, opts.stream.c_str(), stream->file);
    return 2;
  }
  // After the torrent is added, so a peer that connects on this news finds it.
  if (opts.status_json) emit(out, {{"event", "listening"}, {"port", ses.listen_port()}});

  const std::string bar_label = opts.seed ? "seeding" : "downloading";
  progress_bar bar(bar_label, !opts.quiet && !opts.status_json);
  const auto start = std::chrono::steady_clock::now();
  auto last_status = start;
  bool finished = false;
  int exit_code = 0;
  while (!g_stop.load()) {
    ses.wait_for_alert(std::chrono::milliseconds(200));
    for (const auto& a : ses.pop_alerts()) {
      switch (a.kind) {
        case alert_kind::torrent_finished:
          finished = true;
          break;
        case alert_kind::torrent_checked:
          break;
        case alert_kind::metadata_received:
        case alert_kind::metadata_failed:
          if (!opts.status_json && !opts.quiet) std::fprintf(err, "%s: %s\n", program, a.message.c_str());
          break;
        case alert_kind::torrent_error:
        case alert_kind::storage_error:
        case alert_kind::resume_error:
          if (!opts.status_json) std::fprintf(err, "%s: %s\n", program, a.message.c_str());
          if (a.kind == alert_kind::torrent_error) exit_code = 1;
          break;
        case alert_kind::tracker_error:
        case alert_kind::tracker_warning:
          if (!opts.status_json) {
            bar.finish();
            std::fprintf(err, "%s: %s\n", program, a.message.c_str());
          }
          break;
        default:
          break;
      }
      if (opts.status_json && a.kind != alert_kind::piece_finished) {
        nlohmann::json j = {{"event", "alert"}, {"kind", to_string(a.kind)}, {"message", a.message}, {"peer", a.peer}};
        if (!a.tracker_url.empty()) j["tracker"] = a.tracker_url;
        if (a.kind == alert_kind::tracker_reply) j["num_peers"] = a.num_peers;
        emit(out, j);
      }
    }
    if (live) report_reloads(program, live->take_events(), opts.status_json, out, err);
    if (exit_code != 0) break;
    const auto now = std::chrono::steady_clock::now();
    const auto st = h->status();
    if (st.state == torrent_state::seeding && !finished) finished = true;  // complete from the start
    const auto trackers = h->trackers();
    if (opts.status_json && now - last_status >= std::chrono::seconds(1)) {
      auto j = status_json(st);
      j["trackers"] = trackers_json(trackers);
      emit(out, j);
      last_status = now;
    }
    bar.set_label(progress_label(bar_label, trackers, st.num_peers));
    bar.update(st.total_wanted_done, st.total_wanted);
    if (finished && !opts.seed) break;
    if (opts.seconds > 0 && std::chrono::duration<double>(now - start).count() >= opts.seconds) {
      if (!finished) exit_code = 3;
      break;
    }
  }
  bar.finish();
  const auto st = h->status();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (opts.status_json) {
    auto j = status_json(st);
    j["event"] = finished ? "finished" : "stopped";
    j["seconds"] = secs;
    j["trackers"] = trackers_json(h->trackers());
    emit(out, j);
  } else if (!opts.quiet) {
    std::fprintf(err, "%s: %s %s: %s of %s in %s (%s), %d peers\n", program, st.name.c_str(),
                 finished ? "complete" : "stopped", format_size(st.total_wanted_done).c_str(),
                 format_size(st.total_wanted).c_str(), format_duration(secs).c_str(),
                 format_rate(static_cast<double>(st.total_downloaded) / std::max(secs, 0.001)).c_str(), st.num_peers);
  }
  return exit_code;
}

}  // namespace ccbt::apps
