// ccbt::daemon: the composition of the state directory, daemon.db, the session, the engine and the
// HTTP server. See include/ccbt/daemon.hpp and docs/design/rpc.md.
#include <ccbt/daemon.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <cstdio>
#include <ctime>
#include <thread>

#include <ccbt/config.hpp>
#include <ccbt/session.hpp>

#include "rpc/http_server.hpp"
#include "rpc/session_engine.hpp"
#include "rpc/state_dir.hpp"
#include "rpc/state_store.hpp"

namespace ccbt {

namespace {

void log_line(const std::string& text) {
  const auto now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::fprintf(stderr, "%s %s\n", stamp, text.c_str());
  std::fflush(stderr);
}

bool worth_logging(alert_kind k) {
  switch (k) {
    case alert_kind::listen_succeeded:
    case alert_kind::listen_failed:
    case alert_kind::torrent_added:
    case alert_kind::torrent_removed:
    case alert_kind::torrent_finished:
    case alert_kind::torrent_error:
    case alert_kind::peer_banned:
    case alert_kind::storage_error:
    case alert_kind::resume_error:
    case alert_kind::metadata_received:
      return true;
    default:
      return false;
  }
}

}  // namespace

namespace {
// The keys a reload asked for through the API applied now / left for the next start.
struct api_reload_outcome {
  std::vector<std::string> live, restart;
};
thread_local api_reload_outcome* reload_outcome = nullptr;
}  // namespace

struct daemon::impl {
  std::filesystem::path dir;
  std::optional<rpc::instance_lock> lock;
  std::optional<rpc::state_store> store;
  std::unique_ptr<session> ses;
  std::unique_ptr<rpc::session_engine> engine;
  std::unique_ptr<rpc::http_server> server;
  std::unique_ptr<config::watcher> watcher;  // --config FILE: reloads it on edit
  std::string watcher_file;
  std::mutex engine_mutex;                   // the engine is used by the API and the watcher
  std::thread alert_thread;
  std::atomic<bool> shutdown_requested{false};
  std::atomic<bool> stopping{false};
  std::atomic<bool> engine_ready{false};     // restore() done: the alert thread may use the engine
  bool stopped = false;
  sigset_t signals{};
  bool signals_blocked = false;
  bool ses_started = false;

  ~impl() { shutdown(); }

  // Closes the API, stops the session (flushing resume data), releases the lock. Idempotent; also
  // undoes a start() that failed half-way.
  void shutdown() {
    if (stopped) return;
    stopped = true;
    if (watcher) watcher->stop();  // no reload runs after this
    if (server) server->stop();
    if (lock) ::unlink((dir / "api.endpoint").c_str());
    stopping = true;
    if (alert_thread.joinable()) alert_thread.join();
    if (engine) engine->persist_metadata();  // the API is closed: no request runs concurrently
    engine.reset();
    ses.reset();
    server.reset();
    store.reset();
    if (lock && ses_started) log_line("daemon " + std::to_string(::getpid()) + " stopped");
    lock.reset();
    if (signals_blocked) pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  }

  // Logs the alerts worth it; a magnet's metadata is written to daemon.db as soon as it arrives
  // (so a kill -9 right after loses nothing), once the engine has restored its list.
  void alert_loop() {
    bool metadata_pending = false;
    while (!stopping) {
      if (ses->wait_for_alert(std::chrono::milliseconds(200))) {
        for (const auto& a : ses->pop_alerts()) {
          if (a.kind == alert_kind::metadata_received) metadata_pending = true;
          if (worth_logging(a.kind)) log_line(std::string(to_string(a.kind)) + ": " + a.message);
        }
      }
      if (metadata_pending && engine_ready) {
        std::lock_guard lk(engine_mutex);
        engine->persist_metadata();
        metadata_pending = false;
      }
    }
  }
};

daemon::daemon(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
daemon::~daemon() { stop(); }

result<std::unique_ptr<daemon>> daemon::start(daemon_options opts) {
  auto p = std::make_unique<impl>();
  p->dir = opts.state_dir.empty() ? rpc::state_dir_of(opts.config) : opts.state_dir;
  p->dir = std::filesystem::absolute(p->dir);
  // SIGINT/SIGTERM are taken by wait() through sigtimedwait: block them before any thread starts
  // so that every thread inherits the mask.
  sigemptyset(&p->signals);
  sigaddset(&p->signals, SIGINT);
  sigaddset(&p->signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &p->signals, nullptr);
  p->signals_blocked = true;

  if (auto r = rpc::make_state_dir(p->dir); !r) return tl::unexpected(r.error());
  auto lock = rpc::instance_lock::acquire(p->dir);
  if (!lock) return tl::unexpected(lock.error());
  p->lock.emplace(std::move(*lock));
  ::unlink((p->dir / "api.endpoint").c_str());  // stale from a killed daemon
  auto token = rpc::load_or_create_token(p->dir);
  if (!token) return tl::unexpected(token.error());
  auto store = rpc::state_store::open(p->dir / "daemon.db");
  if (!store) return tl::unexpected(store.error());
  p->store.emplace(std::move(*store));

  settings base = opts.config;
  if (base.resume_db.empty()) base.resume_db = (p->dir / "resume.db").string();
  // Settings changed through the API (PUT /api/v1/config/KEY) override the file.
  std::vector<std::string> problems;
  auto stored = p->store->load_settings();
  if (!stored) problems.push_back(stored.error().message());
  settings s = rpc::session_engine::apply_overrides(base, stored ? *stored : decltype(stored)::value_type{}, problems);
  if (s.resume_db.empty()) s.resume_db = (p->dir / "resume.db").string();
  for (const auto& pr : problems) log_line(pr);
  p->ses = std::make_unique<session>(s);
  p->ses_started = true;
  p->alert_thread = std::thread([raw = p.get()] { raw->alert_loop(); });

  rpc::engine_context ctx;
  ctx.state_dir = p->dir;
  ctx.config_file = opts.config_file;
  ctx.base = base;
  ctx.config = s;
  auto* raw = p.get();
  ctx.api_endpoint = [raw] { return raw->server ? raw->server->endpoint() : std::string(); };
  ctx.request_shutdown = [raw] {
    raw->shutdown_requested = true;
    ::kill(::getpid(), SIGTERM);  // wakes wait() at once
  };
  {
    std::lock_guard lk(p->engine_mutex);
    p->engine = std::make_unique<rpc::session_engine>(*p->ses, *p->store, std::move(ctx));
    for (const auto& problem : p->engine->restore()) log_line("restore: " + problem);
    p->engine->persist_metadata();  // metadata that arrived while restoring
  }
  p->engine_ready = true;

  if (opts.config_file) {
    config::loaded_config initial;
    initial.values = opts.config;
    initial.file = opts.config_file;
    config::load_options lo;
    lo.config_path = opts.config_file;
    lo.overrides = opts.set_overrides;
    auto w = config::watcher::start(std::move(initial), std::move(lo), [raw](const config::reload_report& r) {
      if (!r.ok()) {
        log_line("config reload: " + r.failure->message() + " (the running configuration stays)");
        return;
      }
      for (const auto& d : r.warnings) log_line("config reload: warning: " + d.message);
      settings now = r.running;
      if (now.resume_db.empty()) now.resume_db = (raw->dir / "resume.db").string();
      std::lock_guard lk(raw->engine_mutex);
      auto* out = reload_outcome;  // set when the API asked for this reload (same thread)
      for (const auto& line : raw->engine->reload(now, r.changes.restart, out ? &out->live : nullptr,
                                                  out ? &out->restart : nullptr))
        log_line("config reload: " + line);
    });
    if (w) {
      p->watcher = std::move(*w);
      p->watcher_file = opts.config_file->string();
      // Before the API serves. No lock is held when it runs (see the server's handler): watcher -> callback -> engine lock.
      p->engine->set_reload_config([raw]() -> rpc::api_result<nlohmann::json> {
        if (!raw->watcher) return tl::unexpected(rpc::api_error{409, "no_config_file", "the configuration file is not watched"});
        api_reload_outcome outcome;
        reload_outcome = &outcome;
        const auto r = raw->watcher->reload();
        reload_outcome = nullptr;
        if (!r.ok())
          return tl::unexpected(rpc::api_error{422, "invalid_config", r.failure->message() + " (the running configuration stays)"});
        nlohmann::json warnings = nlohmann::json::array();
        for (const auto& d : r.warnings) warnings.push_back(d.message);
        return nlohmann::json{{"file", raw->watcher_file}, {"applied", outcome.live}, {"restart", outcome.restart},
                              {"warnings", std::move(warnings)}};
      });
    } else {
      log_line("config: not watching " + opts.config_file->string() + ": " + w.error().message());
    }
  }
  rpc::server_options so;
  so.bind_address = s.api_bind;
  so.port = static_cast<std::uint16_t>(s.api_port);
  so.max_connections = s.api_max_connections;
  so.max_body = s.api_max_body_bytes;
  so.token = *token;
  auto server = rpc::http_server::start(so, [raw](std::string_view method, std::string_view target, std::string_view body) {
    // The reload takes the watcher's lock, then the engine's (as a reload on a file edit does).
    if (target == "/api/v1/config/reload") return rpc::route(*raw->engine, method, target, body);
    std::lock_guard lk(raw->engine_mutex);
    return rpc::route(*raw->engine, method, target, body);
  });
  if (!server) return tl::unexpected(server.error());
  p->server = std::move(*server);
  if (auto r = rpc::write_file_atomic(p->dir / "api.endpoint", p->server->endpoint() + "\n"); !r) return tl::unexpected(r.error());
  log_line("daemon " + std::to_string(::getpid()) + " serving the API on " + p->server->endpoint() + ", state in " +
           p->dir.string() + ", peers on port " + std::to_string(p->ses->listen_port()));
  return std::unique_ptr<daemon>(new daemon(std::move(p)));
}

int daemon::wait() {
  while (!impl_->shutdown_requested) {
    timespec ts{0, 500'000'000};
    const int sig = ::sigtimedwait(&impl_->signals, nullptr, &ts);
    if (sig > 0) return impl_->shutdown_requested ? 0 : sig;
  }
  return 0;
}

void daemon::stop() { impl_->shutdown(); }

std::string daemon::api_endpoint() const { return impl_->server ? impl_->server->endpoint() : std::string(); }
const std::filesystem::path& daemon::state_dir() const { return impl_->dir; }

}  // namespace ccbt
