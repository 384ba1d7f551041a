// A one-line progress bar on stderr for long operations (hashing, downloads):
//   hashing [##########----------]  48.2%  1.21 GiB / 2.5 GiB  1.6 GiB/s  0:01
// Drawn only when enabled and stderr is a terminal; redrawn at most 10 times a second; finish()
// clears the line so the next output starts clean. Not thread-safe: call from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ccbt::apps {

class progress_bar {
 public:
  // enabled = false (e.g. --quiet) or a stderr that is not a TTY draws nothing.
  progress_bar(std::string label, bool enabled);
  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;
  ~progress_bar();

  void update(std::uint64_t done, std::uint64_t total);
  // The text before the bar (e.g. to show peers and trackers); drawn at the next update().
  void set_label(std::string label) { label_ = std::move(label); }
  void finish();
  [[nodiscard]] bool active() const noexcept { return enabled_; }

  // The line as drawn for a terminal of `width` columns (exported for tests).
  [[nodiscard]] static std::string render(const std::string& label, std::uint64_t done, std::uint64_t total,
                                          double seconds, unsigned width);

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

// Whether stderr is a terminal.
[[nodiscard]] bool stderr_is_tty() noexcept;

}  // namespace ccbt::apps
