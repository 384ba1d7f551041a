// session_impl — the engine behind ccbt::session: one network thread running an io_context that
// owns every torrent and connection, the shared disk pool, listeners, the alert queue and the
// fast-resume store. Public calls cross threads through call(): posted to the network thread and
// waited for, so nothing else needs a lock (the alert queue excepted).
#pragma once

#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include <ccbt/session.hpp>

#include "net/asio.hpp"
#include "picker/piece_set.hpp"
#include "resume/resume_store.hpp"
#include "session/bandwidth.hpp"
#include "storage/disk_io.hpp"
#include "wire/handshake.hpp"

namespace ccbt::session_detail {

class torrent;
struct announce_context;

class session_impl : public std::enable_shared_from_this<session_impl> {
 public:
  explicit session_impl(const settings& s);
  ~session_impl();

  // Opens the listeners and the resume store and starts the network thread. Errors are alerts
  // (listen_failed, resume_error); the session still runs.
  void start();
  // Stops every torrent (flushing disk and resume state), closes the listeners, joins the thread.
  void shutdown();

  // Runs f on the network thread and returns its result (inline when already there).
  template <class F>
  auto call(F&& f) -> std::invoke_result_t<F> {
    using R = std::invoke_result_t<F>;
    if (ioc_.get_executor().running_in_this_thread() || !running_) return f();
    std::packaged_task<R()> task(std::forward<F>(f));
    auto fut = task.get_future();
    net::asio::post(ioc_, [&task] { task(); });
    return fut.get();
  }

  // ---- public API (any thread) -----------------------------------------------------------------
  result<torrent_handle> add_torrent(add_torrent_params p);
  void remove_torrent(const sha1_hash& id, bool delete_files);
  [[nodiscard]] std::vector<sha1_hash> torrent_ids();
  [[nodiscard]] std::shared_ptr<torrent> find(const sha1_hash& id);  // network thread
  [[nodiscard]] std::uint16_t listen_port() const noexcept { return listen_port_; }
  [[nodiscard]] session_stats stats();
  // Applies the live keys at once; returns the changed keys that need a restart (config names).
  std::vector<std::string> apply_settings(const settings& s);
  void post_alert(alert a);
  std::vector<alert> pop_alerts();
  bool wait_for_alert(std::chrono::milliseconds timeout);
  torrent_handle make_handle(const sha1_hash& id) { return torrent_handle(weak_from_this(), id); }

  // ---- for torrents and peers (network thread) ---------------------------------------------------
  [[nodiscard]] net::asio::io_context& io() noexcept { return ioc_; }
  [[nodiscard]] const settings& settings_ref() const noexcept { return settings_; }
  [[nodiscard]] const wire::peer_id& peer_id() const noexcept { return peer_id_; }
  [[nodiscard]] storage::disk_io& disk() noexcept { return *disk_; }
  [[nodiscard]] bool disk_writable() const noexcept { return disk_->writable(); }
  net::awaitable<void> wait_disk_writable();
  [[nodiscard]] std::uint16_t listen_port_value() const noexcept { return listen_port_; }
  bool reserve_half_open();
  void release_half_open() { --half_open_; }
  [[nodiscard]] int half_open_count() const noexcept { return half_open_; }
  [[nodiscard]] int connection_count() const;
  // Over settings.max_connections (a lowered limit): closes the least useful connections of all
  // torrents (connection_trim.cpp).
  void trim_connections();
  // The tracker client shared by every torrent's announcer (announcer.hpp).
  [[nodiscard]] announce_context& announces() noexcept { return *announce_; }
  [[nodiscard]] session_detail::bandwidth& bandwidth() noexcept { return *bandwidth_; }

  // Per-torrent overrides in the resume store (session_overrides.cpp).
  void restore_overrides(add_torrent_params& p);  // fills unset fields from the saved ones
  void save_overrides(torrent& t);

  // Fast resume (no-ops without a resume store).
  std::optional<std::vector<bool>> load_resume(torrent& t);
  void resume_set_pieces(torrent& t, const picker::piece_set& have);
  void resume_piece_verified(torrent& t, std::uint32_t piece);
  void resume_flush(torrent& t);

 private:
  net::awaitable<void> accept_loop(net::tcp::acceptor& acceptor);
  net::awaitable<void> handle_incoming(net::tcp::socket socket);
  // Incoming connections still in their handshake (not yet a peer_connection): they count against
  // network.max_connections too, so a flood of connections that never finish (each MSE one costs
  // two 768-bit exponentiations) stays bounded.
  int incoming_handshakes_ = 0;
  void refused_incoming(const net::tcp::endpoint& remote, const std::string& why);
  net::awaitable<void> handle_incoming_mse(net::tcp::socket& socket, const net::tcp::endpoint& remote,
                                           std::string_view first, std::chrono::steady_clock::time_point deadline);
  net::awaitable<void> tick_loop();
  void record_file_stats(torrent& t);
  std::optional<resume::torrent_id> resume_id(torrent& t);

  settings settings_;
  std::unique_ptr<announce_context> announce_;  // before ioc_: announces in flight refer to it
  // Before ioc_: peers destroyed with the io_context still detach from it (its timer goes in stop()).
  std::unique_ptr<session_detail::bandwidth> bandwidth_;
  net::asio::io_context ioc_{1};
  std::unique_ptr<storage::disk_io> disk_;
  net::asio::steady_timer writable_signal_{ioc_};
  std::vector<std::unique_ptr<net::tcp::acceptor>> acceptors_;
  std::uint16_t listen_port_ = 0;
  wire::peer_id peer_id_{};
  std::map<sha1_hash, std::shared_ptr<torrent>> torrents_;
  int half_open_ = 0;
  bool running_ = false;
  bool stopped_ = false;
  std::thread thread_;

  std::unique_ptr<resume::resume_store> resume_;
  std::map<std::string, resume::torrent_resume> resume_loaded_;  // key: info-hash id hex
  std::map<sha1_hash, resume::torrent_id> resume_ids_;

  mutable std::mutex alerts_mutex_;
  std::condition_variable alerts_cv_;
  std::deque<alert> alerts_;
  static constexpr std::size_t max_alerts = 10000;
};

}  // namespace ccbt::session_detail
