// `btbt daemon start [--foreground] | stop | status [--json]`.
//
// start (background): forks; the child becomes a session leader, sends its output to
// <state_dir>/daemon.log, starts the daemon and reports "ok ENDPOINT" or the error through a pipe;
// the parent prints it and exits 0 or 1, so `btbt daemon start && btbt add ...` works.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <ccbt/daemon.hpp>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common/format.hpp"
#include "daemon_client.hpp"

namespace ccbt::btbt {
namespace {

daemon_options make_options() {
  auto loaded = load_settings();
  daemon_options o;
  o.config = loaded.values;
  o.config_file = loaded.file;
  o.set_overrides = globals().set;
  o.state_dir = state_dir();
  return o;
}

int run_foreground(daemon_options o) {
  auto d = daemon::start(std::move(o));
  if (!d) {
    std::fprintf(stderr, "btbt: daemon: %s\n", d.error().message().c_str());
    return 1;
  }
  std::printf("ccbt daemon %ld: API on %s, state in %s\n", static_cast<long>(::getpid()), (*d)->api_endpoint().c_str(),
              (*d)->state_dir().c_str());
  std::fflush(stdout);
  (*d)->wait();
  (*d)->stop();
  return 0;
}

void write_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const auto n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

int run_background(daemon_options o) {
  if (auto pid = rpc::running_daemon_pid(o.state_dir)) {
    std::fprintf(stderr, "btbt: daemon: already running (pid %ld) for %s\n", *pid, o.state_dir.c_str());
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(o.state_dir, ec);
  ::chmod(o.state_dir.c_str(), 0700);
  const auto log = o.state_dir / "daemon.log";
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(fds[0]);
    ::setsid();
    const int null_fd = ::open("/dev/null", O_RDONLY);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    if (log_fd >= 0) {
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
    }
    auto d = daemon::start(std::move(o));
    if (!d) {
      std::fprintf(stderr, "daemon: %s\n", d.error().message().c_str());
      write_all(fds[1], "error " + d.error().message() + "\n");
      ::_exit(1);
    }
    write_all(fds[1], "ok " + std::to_string(::getpid()) + " " + (*d)->api_endpoint() + "\n");
    ::close(fds[1]);
    (*d)->wait();
    (*d)->stop();
    d->reset();
    std::fflush(nullptr);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buf[512];
    const auto n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (answer.rfind("ok ", 0) == 0) {
    std::printf("daemon started: pid %s", answer.substr(3).c_str());  // "PID ENDPOINT\n"
    return 0;
  }
  if (answer.rfind("error ", 0) == 0) answer = answer.substr(6);
  std::fprintf(stderr, "btbt: daemon: %s", answer.empty() ? "did not start (see the log)\n" : answer.c_str());
  std::fprintf(stderr, "btbt: daemon log: %s\n", log.c_str());
  return 1;
}

bool wait_gone(const std::filesystem::path& dir, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!rpc::running_daemon_pid(dir)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

int stop_daemon() {
  const auto dir = state_dir();
  const auto pid = rpc::running_daemon_pid(dir);
  if (!pid) {
    std::printf("daemon not running (%s)\n", dir.c_str());
    return 0;
  }
  try {
    (void)api("POST", "/api/v1/shutdown");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "btbt: daemon: API: %s; sending SIGTERM to %ld\n", e.what(), *pid);
    if (*pid > 0) ::kill(static_cast<pid_t>(*pid), SIGTERM);
  }
  if (!wait_gone(dir, std::chrono::seconds(60))) {
    std::fprintf(stderr, "btbt: daemon %ld did not stop within 60 s\n", *pid);
    return 1;
  }
  std::printf("daemon stopped (pid %ld)\n", *pid);
  return 0;
}

int status_daemon(bool as_json) {
  const auto dir = state_dir();
  const auto pid = rpc::running_daemon_pid(dir);
  if (!pid) {
    if (as_json) std::printf("%s\n", nlohmann::json{{"running", false}, {"state_dir", dir.string()}}.dump().c_str());
    else std::printf("daemon not running (%s)\n", dir.c_str());
    return 3;
  }
  auto j = api("GET", "/api/v1/session");
  if (as_json) {
    j["running"] = true;
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  const auto& st = j["stats"];
  std::printf("daemon:    running, pid %ld\n", j["pid"].get<long>());
  std::printf("api:       %s\n", j["api_endpoint"].get<std::string>().c_str());
  std::printf("state dir: %s\n", j["state_dir"].get<std::string>().c_str());
  std::printf("peer port: %d\n", j["listen_port"].get<int>());
  std::printf("torrents:  %zu\n", j["num_torrents"].get<std::size_t>());
  std::printf("peers:     %d\n", st["num_peers"].get<int>());
  std::printf("rates:     down %s, up %s\n", apps::format_rate(st["download_rate"].get<double>()).c_str(),
              apps::format_rate(st["upload_rate"].get<double>()).c_str());
  return 0;
}

}  // namespace

command add_daemon(CLI::App& app) {
  struct opts {
    bool foreground = false;
    bool json = false;
  };
  auto o = std::make_shared<opts>();
  auto* cmd = app.add_subcommand("daemon", "Start, stop or query the ccbt daemon");
  cmd->require_subcommand(1);
  auto* start = cmd->add_subcommand("start", "Start the daemon (in the background unless --foreground)");
  start->add_flag("--foreground", o->foreground, "stay in the foreground, logging to stderr");
  auto* stop = cmd->add_subcommand("stop", "Ask the daemon to stop and wait until it has");
  auto* status = cmd->add_subcommand("status", "Is the daemon running? (exit code 3 when not)");
  status->add_flag("--json", o->json, "JSON output");
  return [o, start, stop, status]() -> int {
    if (start->parsed()) {
      auto opts = make_options();
      return o->foreground ? run_foreground(std::move(opts)) : run_background(std::move(opts));
    }
    if (stop->parsed()) return stop_daemon();
    if (status->parsed()) return status_daemon(o->json);
    return 1;
  };
}

}  // namespace ccbt::btbt
