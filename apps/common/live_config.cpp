#include "common/live_config.hpp"

#include <algorithm>

namespace ccbt::apps {

result<std::unique_ptr<live_config>> live_config::start(session& ses, config::loaded_config initial,
                                                        config::load_options opts) {
  std::unique_ptr<live_config> lc(new live_config(ses));
  auto* self = lc.get();
  auto w = config::watcher::start(std::move(initial), std::move(opts),
                                  [self](const config::reload_report& r) { (void)self->on_report(r); });
  if (!w) return tl::unexpected(std::move(w.error()));
  lc->watcher_ = std::move(*w);
  return lc;
}

live_config::~live_config() {
  if (watcher_) watcher_->stop();  // no callback runs after this
}

reload_event live_config::on_report(const config::reload_report& r) {
  reload_event e;
  e.ok = r.ok();
  e.running = r.running;
  for (const auto& w : r.warnings) e.warnings.push_back(w.message);
  if (!r.ok()) {
    e.error = r.failure->message();
  } else {
    e.applied = r.changes.live;
    e.restart = r.changes.restart;
    // The session has the final word on what it can change live.
    for (auto& k : ses_.apply_settings(r.running))
      if (std::find(e.restart.begin(), e.restart.end(), k) == e.restart.end()) e.restart.push_back(std::move(k));
  }
  std::lock_guard lk(mutex_);
  events_.push_back(e);
  return e;
}

std::vector<reload_event> live_config::take_events() {
  std::lock_guard lk(mutex_);
  std::vector<reload_event> out(std::make_move_iterator(events_.begin()), std::make_move_iterator(events_.end()));
  events_.clear();
  return out;
}

reload_event live_config::reload() {
  // watcher::reload() calls the callback, which applies and queues the event.
  (void)watcher_->reload();
  std::lock_guard lk(mutex_);
  return events_.empty() ? reload_event{} : events_.back();
}

}  // namespace ccbt::apps
