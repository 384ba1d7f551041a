// live_config — configuration hot reload for a running ccbt::session (used by `ccbt --config` and
// meant for the daemon too): watches the file through config::watcher, and on every edit applies
// the new live values with session::apply_settings(). A broken edit changes nothing (the running
// configuration stays); restart-only keys are reported, not applied.
//
// Every reload becomes an event, queued for the application's own thread: the watcher's thread
// never calls into the application. The session must outlive the live_config.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <ccbt/config.hpp>
#include <ccbt/error.hpp>
#include <ccbt/session.hpp>

namespace ccbt::apps {

struct reload_event {
  bool ok = false;
  std::string error;                  // why the edit was rejected (ok == false)
  std::vector<std::string> applied;   // live keys that changed and were applied
  std::vector<std::string> restart;   // changed keys that wait for a restart
  std::vector<std::string> warnings;  // unknown keys etc., one line each
  settings running;                   // what the session runs with now
};

class live_config {
 public:
  // `initial` and `opts` as given to config::load() (so environment and --set keep precedence).
  [[nodiscard]] static result<std::unique_ptr<live_config>> start(session& ses, config::loaded_config initial,
                                                                   config::load_options opts);
  ~live_config();
  live_config(const live_config&) = delete;
  live_config& operator=(const live_config&) = delete;

  // Events since the last call, oldest first.
  [[nodiscard]] std::vector<reload_event> take_events();
  // Reloads now (like a file edit); the event is queued as well.
  reload_event reload();

 private:
  explicit live_config(session& ses) : ses_(ses) {}
  reload_event on_report(const config::reload_report& r);

  session& ses_;
  std::mutex mutex_;
  std::deque<reload_event> events_;
  std::unique_ptr<config::watcher> watcher_;
};

}  // namespace ccbt::apps
