// peer_connection — one BitTorrent connection (BEP 3, 6, 10) as coroutines on the network thread.
//
// A connection runs two coroutines: the reader (handshake, then the sans-io wire::decoder fed from
// the socket, piece payloads read straight into pooled disk buffers) and the writer (a send queue
// flushed with scatter-gather writes; block payloads go out from the disk buffers without a copy).
// It owns no torrent state: everything it learns goes to its torrent, which decides (picker, choker,
// storage). A protocol violation ends this connection with a logged reason; nothing else.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/asio.hpp"
#include "picker/piece_picker.hpp"
#include "picker/piece_set.hpp"
#include "picker/request_pipeline.hpp"
#include "session/pex.hpp"
#include "session/bandwidth.hpp"
#include "session/mse_handshake.hpp"
#include "session/rate.hpp"
#include "storage/disk_buffer.hpp"
#include "storage/read_view.hpp"
#include "wire/decoder.hpp"
#include "wire/extension_handshake.hpp"
#include "wire/handshake.hpp"

namespace ccbt::session_detail {

class torrent;
using clock = std::chrono::steady_clock;

class peer_connection : public std::enable_shared_from_this<peer_connection> {
 public:
  peer_connection(std::shared_ptr<torrent> t, net::tcp::socket socket, bool incoming, picker::peer_token token,
                  std::string endpoint);
  ~peer_connection();

  // Outgoing: sends our handshake then reads theirs. Incoming: `theirs` holds the part already read
  // (protocol, reserved bits, info-hash); we answer and read the peer id.
  // `handshake_deadline`: when the whole handshake (from the accept or connect, MSE included) must be
  // done; tick() closes the connection after it.
  void start(std::optional<wire::handshake_parser> theirs, clock::time_point handshake_deadline);
  void disconnect(const std::string& reason, bool protocol_error = false);
  // Before start(): an MSE handshake ran on the socket (mse_handshake.hpp). RC4 (if selected) then
  // applies to every byte after it; the plaintext it already received is parsed first.
  void set_encryption(mse_outcome mse);

  // ---- called by the torrent ---------------------------------------------------------------
  void send_have(std::uint32_t piece);
  void set_choked(bool choke);                 // our choke state towards the peer
  void update_interest();                      // recompute whether we want something from it
  void cancel_request(picker::block_ref b);    // an endgame duplicate arrived elsewhere
  void fill_requests();                        // top up the request pipeline
  void tick(clock::time_point now);            // once a second: rates, timeouts, keep-alives
  void on_torrent_complete();                  // we became a seed
  void send_hash_reject(const wire::hash_request& r);
  void send_hashes(const wire::hash_request& r, std::span<const sha256_hash> hashes);
  void send_hash_request(const wire::hash_request& r);
  // Magnet links (BEP 9): the metadata arrived; apply the availability the peer sent before it.
  void on_metadata();
  void send_extended(std::uint8_t id, const std::string& payload);
  [[nodiscard]] bool send_queue_full() const noexcept;
  [[nodiscard]] std::optional<std::uint8_t> ut_metadata_id() const noexcept { return their_ut_metadata_; }

  // ---- state the torrent reads -------------------------------------------------------------
  [[nodiscard]] picker::peer_token token() const noexcept { return token_; }
  [[nodiscard]] const std::string& endpoint() const noexcept { return endpoint_; }
  [[nodiscard]] bool connected() const noexcept { return handshake_done_ && !closed_; }
  [[nodiscard]] bool handshake_done() const noexcept { return handshake_done_; }
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  [[nodiscard]] bool incoming() const noexcept { return incoming_; }
  [[nodiscard]] bool is_seed() const noexcept { return has_all_ || (has_.size() > 0 && has_.all()); }
  [[nodiscard]] bool peer_interested() const noexcept { return peer_interested_; }
  [[nodiscard]] bool am_choking() const noexcept { return am_choking_; }
  [[nodiscard]] bool peer_choking() const noexcept { return peer_choking_; }
  [[nodiscard]] bool am_interested() const noexcept { return am_interested_; }
  [[nodiscard]] bool snubbed() const noexcept { return snubbed_; }
  [[nodiscard]] const rate_meter& download() const noexcept { return down_; }
  [[nodiscard]] const rate_meter& upload() const noexcept { return up_; }
  [[nodiscard]] std::size_t outstanding() const noexcept { return requests_.size(); }
  [[nodiscard]] std::uint32_t target_depth() const noexcept;
  [[nodiscard]] const std::string& client() const noexcept { return client_; }
  [[nodiscard]] double progress() const noexcept;
  [[nodiscard]] picker::peer_view view() const noexcept;
  [[nodiscard]] clock::time_point connected_at() const noexcept { return connected_at_; }
  [[nodiscard]] const wire::peer_id& peer_id() const noexcept { return peer_id_; }  // after the handshake
  [[nodiscard]] pex_state& pex() noexcept { return pex_; }
  [[nodiscard]] std::uint32_t mse_method() const noexcept { return mse_method_; }  // 0: no MSE handshake

  // choker bookkeeping (owned by the torrent's choking rounds)
  bool optimistic = false;
  std::int64_t last_unchoked = 0;
  std::uint64_t round_down_start = 0;  // download().total() at the start of the choke round
  std::uint64_t round_up_start = 0;

 private:
  struct outstanding_request {
    picker::block_ref block;
    std::uint32_t length = 0;
    clock::time_point sent;
  };
  struct upload_job {
    std::uint32_t piece = 0, begin = 0, length = 0;
    bool cancelled = false;
    [[nodiscard]] bool same(std::uint32_t p, std::uint32_t b, std::uint32_t l) const noexcept {
      return piece == p && begin == b && length == l;
    }
  };
  // One entry of the send queue: protocol bytes, optionally followed by a block payload — a slice of
  // the read_view (file mappings or a disk buffer) that several blocks of one coalesced read share.
  struct send_item {
    std::string head;
    std::shared_ptr<const storage::read_view> buffer;
    std::size_t offset = 0;
    std::size_t length = 0;
  };

  net::awaitable<void> run(std::optional<wire::handshake_parser> theirs);
  net::awaitable<bool> do_handshake(std::optional<wire::handshake_parser> theirs);
  net::awaitable<void> read_loop();
  net::awaitable<void> write_loop();
  net::awaitable<bool> read_block(const wire::piece_header& h);
  net::awaitable<void> wait_writable();

  bool handle(const wire::message& m);   // false: disconnect was called
  bool on_bitfield(const wire::bitfield& m);
  bool on_have_all();
  bool on_early_availability(const wire::message& m);  // before the metadata (magnet)
  bool on_have(std::uint32_t piece);
  bool on_request(const wire::request& r);
  void on_cancel(const wire::cancel& c);
  bool on_reject(const wire::reject& r);
  void on_choke();
  void on_unchoke();
  bool on_extended(const wire::extended& m);
  void on_block(picker::block_ref b, std::uint32_t length, storage::disk_buffer data);
  void serve_uploads();
  void send_extension_handshake();
  void send_initial_state();
  void drop_request(std::size_t index);

  template <class M>
  void send(const M& m);
  void queue(send_item item);

  std::shared_ptr<torrent> torrent_;
  net::tcp::socket socket_;
  net::asio::steady_timer send_signal_;
  bool incoming_;
  picker::peer_token token_;
  std::string endpoint_;
  std::string client_;
  wire::peer_id peer_id_{};
  pex_state pex_;

  wire::decoder decoder_;
  wire::features features_;
  std::uint32_t their_reqq_ = 0;

  bool handshake_done_ = false;
  bool closed_ = false;
  bool am_choking_ = true;
  bool am_interested_ = false;
  bool peer_choking_ = true;
  bool peer_interested_ = false;
  bool snubbed_ = false;
  bool has_all_ = false;
  bool availability_reported_ = false;  // our picker counts its pieces
  picker::piece_set has_;
  std::vector<std::uint32_t> allowed_fast_;      // pieces it lets us request while choked

  // BEP 9. Before the metadata, availability is kept raw and applied by on_metadata().
  std::optional<std::uint8_t> their_ut_metadata_;
  std::optional<std::uint64_t> their_metadata_size_;
  std::vector<std::uint8_t> early_bitfield_;
  std::vector<std::uint32_t> early_haves_;
  bool early_have_all_ = false;
  bool early_reported_ = false;                  // bitfield / have_all / have_none seen before metadata

  std::vector<outstanding_request> requests_;    // our requests to it, oldest first
  picker::request_pipeline pipeline_;
  std::vector<picker::block_ref> pick_scratch_;
  clock::time_point last_block_ = clock::now();
  clock::time_point last_receive_ = clock::now();
  clock::time_point last_send_ = clock::now();
  clock::time_point connected_at_ = clock::now();
  clock::time_point handshake_deadline_ = clock::time_point::max();

  std::deque<upload_job> uploads_;               // requests it sent us, not yet read from disk
  std::vector<upload_job> reading_;              // requests whose disk read is in flight
  std::deque<send_item> send_queue_;
  std::size_t send_queue_bytes_ = 0;
  std::size_t writing_items_ = 0;                // items at the front of send_queue_ being written

  rate_meter down_;   // payload bytes received
  rate_meter up_;     // payload bytes sent
  bandwidth_channel bw_;  // rate limits: every byte read or written passes through it

  // MSE/PE: the RC4 streams (set only when RC4 was selected), the plaintext received during the MSE
  // handshake and not yet parsed, the info-hash an incoming MSE peer asked for, and the buffer a
  // batch is encrypted into (block payloads are shared read views: never encrypted in place).
  std::uint32_t mse_method_ = 0;
  std::optional<crypto::rc4> send_rc4_, recv_rc4_;
  std::string mse_pending_;
  std::optional<sha1_hash> mse_skey_;
  bool handshake_sent_ = false;  // our BitTorrent handshake went inside the MSE handshake
  wire::reserved_bits sent_reserved_;  // the reserved bits our handshake carried
  std::vector<char> send_crypt_;
};

}  // namespace ccbt::session_detail
