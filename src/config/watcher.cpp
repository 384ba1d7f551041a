// Hot reload: an inotify watch on the configuration file's directory and a worker thread that
// reloads, diffs and reports. The one part of src/config that is not pure.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include "config/keys.hpp"

namespace ccbt::config {

// ---- file_watcher

result<file_watcher> file_watcher::open(const std::filesystem::path& file) {
  file_watcher w;
  w.inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w.inotify_fd_ < 0) return make_error(errc::watch_failed, std::string("inotify_init1: ") + std::strerror(errno));
  w.wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (w.wake_fd_ < 0) return make_error(errc::watch_failed, std::string("eventfd: ") + std::strerror(errno));

  // Editors save by writing in place (close_write) or by writing a temporary and renaming it over
  // the file (moved_to); removal or renaming away is reported too, so the reload can say so. Plain
  // writes (IN_MODIFY) are not watched: the file is read once its writer has closed it.
  constexpr std::uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE;
  const auto add = [&](const std::filesystem::path& f) -> result<void> {
    auto dir = f.parent_path();
    if (dir.empty()) dir = ".";
    const int wd = ::inotify_add_watch(w.inotify_fd_, dir.c_str(), mask);
    if (wd < 0) return make_error(errc::watch_failed, dir.string() + ": " + std::strerror(errno));
    w.watches_.emplace_back(wd, f.filename().string());
    return {};
  };
  if (auto r = add(file); !r) return tl::unexpected(r.error());
  std::error_code ec;
  if (std::filesystem::is_symlink(file, ec)) {
    const auto target = std::filesystem::canonical(file, ec);
    if (!ec)
      if (auto r = add(target); !r) return tl::unexpected(r.error());
  }
  return w;
}

file_watcher::file_watcher(file_watcher&& o) noexcept
    : inotify_fd_(std::exchange(o.inotify_fd_, -1)), wake_fd_(std::exchange(o.wake_fd_, -1)), watches_(std::move(o.watches_)) {}

file_watcher& file_watcher::operator=(file_watcher&& o) noexcept {
  if (this != &o) {
    close_all();
    inotify_fd_ = std::exchange(o.inotify_fd_, -1);
    wake_fd_ = std::exchange(o.wake_fd_, -1);
    watches_ = std::move(o.watches_);
  }
  return *this;
}

file_watcher::~file_watcher() { close_all(); }

void file_watcher::close_all() noexcept {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  inotify_fd_ = wake_fd_ = -1;
}

void file_watcher::interrupt() noexcept {
  const std::uint64_t one = 1;
  if (wake_fd_ >= 0) {
    [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
  }
}

file_watcher::event file_watcher::wait_for_change(std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 1'000'000'000)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return event::timeout;
    }
    if (fds[1].revents & POLLIN) {
      std::uint64_t v = 0;
      [[maybe_unused]] const auto r = ::read(wake_fd_, &v, sizeof v);
      return event::interrupted;
    }
    bool changed = false;
    if (fds[0].revents & POLLIN) {
      alignas(inotify_event) char buf[8192];
      while (true) {
        const auto len = ::read(inotify_fd_, buf, sizeof buf);
        if (len <= 0) break;
        for (std::size_t off = 0; off < static_cast<std::size_t>(len);) {
          inotify_event ev;
          std::memcpy(&ev, buf + off, sizeof ev);
          if (ev.mask & IN_Q_OVERFLOW) changed = true;
          if (ev.len > 0) {
            const std::string_view name(buf + off + sizeof ev);  // NUL-padded
            for (const auto& [wd, file] : watches_)
              if (wd == ev.wd && name.substr(0, name.find('\0')) == file) changed = true;
          }
          off += sizeof ev + ev.len;
        }
      }
    }
    if (changed) return event::changed;
    if (clock::now() >= deadline) return event::timeout;
  }
}

// ---- reload_report

std::string reload_report::summary() const {
  const auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  };
  std::string out;
  if (failure) {
    out = "configuration reload failed, the running configuration is kept: " + failure->message() + "\n";
  } else if (changes.empty()) {
    out = "configuration reloaded: no changes\n";
  } else {
    out = "configuration reloaded\n";
    if (!changes.live.empty()) out += "applied: " + join(changes.live) + "\n";
    if (!changes.restart.empty()) out += "restart needed for: " + join(changes.restart) + "\n";
  }
  for (const auto& w : warnings) out += "warning: " + w.message + "\n";
  return out;
}

// ---- watcher

struct watcher::impl {
  impl(file_watcher w, std::filesystem::path f, load_options o, callback c, std::chrono::milliseconds d, settings s)
      : fw(std::move(w)), file(std::move(f)), opts(std::move(o)), cb(std::move(c)), debounce(d), current(std::move(s)) {}

  file_watcher fw;
  const std::filesystem::path file;
  const load_options opts;
  const callback cb;
  const std::chrono::milliseconds debounce;

  mutable std::mutex state_mutex;  // guards current
  settings current;
  std::mutex reload_mutex;         // one reload at a time (file change vs `btbt config reload`)
  std::atomic<bool> stopping{false};
  std::thread thread;

  reload_report reload() {
    std::lock_guard serial(reload_mutex);
    reload_report r;
    auto loaded = load_file(file, opts);
    {
      std::lock_guard lock(state_mutex);
      if (!loaded) {
        r.failure = loaded.error();
        r.running = current;
      } else {
        r.changes = diff(current, loaded->values);
        current = merge_live(current, loaded->values);
        r.running = current;
        r.warnings = std::move(loaded->warnings);
      }
    }
    if (cb) cb(r);
    return r;
  }

  void run() {
    while (!stopping.load()) {
      auto e = fw.wait_for_change(std::chrono::hours(1));
      if (e != file_watcher::event::changed) continue;
      // Coalesce a burst of writes (an editor's truncate + write + close, or several saves).
      while ((e = fw.wait_for_change(debounce)) == file_watcher::event::changed) {
      }
      if (e == file_watcher::event::interrupted || stopping.load()) continue;
      reload();
    }
  }
};

watcher::watcher(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

result<std::unique_ptr<watcher>> watcher::start(loaded_config initial, load_options opts, callback cb,
                                                std::chrono::milliseconds debounce) {
  if (!initial.file) return make_error(errc::no_file, "the defaults are in use; create a ccbt.toml to enable hot reload");
  auto fw = file_watcher::open(*initial.file);
  if (!fw) return tl::unexpected(fw.error());
  auto p = std::make_unique<impl>(std::move(*fw), *initial.file, std::move(opts), std::move(cb), debounce,
                                  std::move(initial.values));
  auto* raw = p.get();
  p->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<watcher>(new watcher(std::move(p)));
}

watcher::~watcher() { stop(); }

reload_report watcher::reload() { return impl_->reload(); }

settings watcher::running() const {
  std::lock_guard lock(impl_->state_mutex);
  return impl_->current;
}

void watcher::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->stopping.store(true);
  impl_->fw.interrupt();
  impl_->thread.join();
}

}  // namespace ccbt::config
