#include "common/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "common/format.hpp"

namespace ccbt::apps {
namespace {

unsigned terminal_width() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  return 80;
}

}  // namespace

bool stderr_is_tty() noexcept { return ::isatty(STDERR_FILENO) == 1; }

progress_bar::progress_bar(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled && stderr_is_tty()), start_(std::chrono::steady_clock::now()) {}

progress_bar::~progress_bar() { finish(); }

std::string progress_bar::render(const std::string& label, std::uint64_t done, std::uint64_t total, double seconds,
                                 unsigned width) {
  const double frac = total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total - std::min(done, total)) / rate : -1.0;
  const std::string tail = fmt::format(" {:5.1f}%  {} / {}  {}  {}", frac * 100.0, format_size(done),
                                       format_size(total), format_rate(rate),
                                       done >= total ? format_duration(seconds) : format_duration(eta));
  const std::size_t fixed = label.size() + 3 + tail.size();  // "label [" + "]" + tail
  const std::size_t bar = width > fixed + 10 ? std::min<std::size_t>(width - fixed - 1, 40) : 10;
  const auto fill = static_cast<std::size_t>(frac * static_cast<double>(bar));
  return label + " [" + std::string(fill, '#') + std::string(bar - fill, '-') + "]" + tail;
}

void progress_bar::update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && done < total && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const std::string line = render(label_, done, total, secs, terminal_width());
  std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void progress_bar::finish() {
  if (!enabled_ || !drawn_) return;
  std::fputs("\r\x1b[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace ccbt::apps
