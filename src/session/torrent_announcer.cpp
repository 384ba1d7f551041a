// make_torrent_announcer: the glue between a torrent and its announcer (numbers, peers, alerts).
#include <random>

#include "session/announcer.hpp"
#include "session/session_impl.hpp"
#include "session/torrent.hpp"

namespace ccbt::session_detail {

std::vector<std::vector<std::string>> merge_tiers(const std::vector<std::vector<std::string>>& first,
                                                  const std::vector<std::vector<std::string>>& extra) {
  std::vector<std::vector<std::string>> out;
  for (const auto* list : {&first, &extra})
    for (const auto& tier : *list)
      if (!tier.empty()) out.push_back(tier);
  return out;
}

std::shared_ptr<announcer> make_torrent_announcer(torrent& t, const sha1_hash& hash,
                                                  const std::vector<std::vector<std::string>>& tiers) {
  auto& ses = t.session();
  const auto& s = ses.settings_ref();
  std::random_device rd;
  announcer_config cfg;
  cfg.info_hash = hash;
  std::copy(ses.peer_id().begin(), ses.peer_id().end(), cfg.pid.bytes.begin());
  cfg.key = rd();
  cfg.num_want = s.tracker_num_want;
  cfg.list.announce_to_all_tiers = s.announce_to_all_tiers;
  cfg.shuffle_seed = (std::uint64_t{rd()} << 32) | rd();

  std::weak_ptr<torrent> weak = t.weak_from_this();
  announcer_callbacks cb;
  cb.numbers = [weak]() -> announce_numbers {
    announce_numbers n;
    auto self = weak.lock();
    if (!self) return n;
    const auto st = self->status();
    n.uploaded = st.total_uploaded;
    n.downloaded = st.total_downloaded;
    // Without metadata (a magnet) the size is unknown; a non-zero left keeps us a leecher for the tracker.
    n.left = !self->has_metadata() ? 16384
             : st.total_wanted > st.total_wanted_done ? st.total_wanted - st.total_wanted_done : 0;
    n.port = self->session().listen_port_value();
    return n;
  };
  cb.peers = [weak](const std::vector<tracker::peer_entry>& peers) {
    auto self = weak.lock();
    if (!self) return;
    const auto own_port = self->session().listen_port_value();
    for (const auto& p : peers) {
      const auto a = p.address.unmapped();
      if (a.port == 0) continue;
      const auto ep = tracker::to_endpoint(a);
      // Ourselves, as a tracker on this machine sees us (the handshake would refuse it anyway).
      if (ep.port() == own_port && (ep.address().is_loopback() || ep.address().is_unspecified())) continue;
      self->add_candidate(ep, peer_source::tracker);
    }
  };
  cb.report = [weak](const announce_report& r) {
    auto self = weak.lock();
    if (!self) return;
    alert a;
    a.torrent = self->id();
    a.torrent_name = self->name();
    a.tracker_url = r.url;
    a.error = r.error;
    switch (r.outcome) {
      case announce_outcome::reply:
        a.kind = alert_kind::tracker_reply;
        a.num_peers = static_cast<int>(r.peers);
        a.message = a.torrent_name + ": tracker " + r.url + ": " + std::to_string(r.peers) + " peers";
        break;
      case announce_outcome::warning:
        a.kind = alert_kind::tracker_warning;
        a.message = a.torrent_name + ": tracker " + r.url + " warns: " + r.message;
        break;
      case announce_outcome::error:
        a.kind = alert_kind::tracker_error;
        a.message = a.torrent_name + ": tracker " + r.url + ": " + r.message;
        break;
    }
    self->session().post_alert(std::move(a));
  };
  return std::make_shared<announcer>(ses.io(), ses.announces(), std::move(cfg), tiers, std::move(cb));
}

}  // namespace ccbt::session_detail
