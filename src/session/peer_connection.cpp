#include "session/peer_connection.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>

#include "net/endpoint.hpp"
#include "session/session_impl.hpp"
#include "session/torrent.hpp"
#include "storage/error.hpp"
#include "wire/ut_metadata.hpp"

namespace ccbt::session_detail {

namespace asio = net::asio;
using net::use_nothrow;
using net::error_code;

namespace {
constexpr std::size_t max_send_queue_bytes = std::size_t{4} << 20;  // stop serving uploads above
constexpr std::size_t max_pending_uploads = 500;                     // our reqq
constexpr auto keep_alive_interval = std::chrono::seconds(60);
constexpr std::uint8_t our_ut_metadata_id = 2;                       // our "m" entry (as libtorrent)

// Completion condition for asio::async_write: no per-call byte cap (see write_loop).
std::size_t whole_write(const error_code& ec, std::size_t /*written*/) {
  return ec ? 0 : std::numeric_limits<std::size_t>::max();
}

// The download rate that sizes the request pipeline. The meter reads 0 until its first one-second
// tick: until then it is estimated from what arrived since we connected, so a fast peer gets a deep
// queue (and our requests go out in batches, not one send per few blocks) from the start.
std::uint64_t download_rate(const rate_meter& m, clock::time_point connected_at) {
  const auto rate = static_cast<std::uint64_t>(m.rate());
  if (rate != 0 || m.total() == 0) return rate;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - connected_at).count();
  return m.total() * 1000 / static_cast<std::uint64_t>(std::max<std::int64_t>(ms, 100));
}
}  // namespace

peer_connection::peer_connection(std::shared_ptr<torrent> t, net::tcp::socket socket, bool incoming,
                                 picker::peer_token token, std::string endpoint)
    : torrent_(std::move(t)),
      socket_(std::move(socket)),
      send_signal_(socket_.get_executor()),
      incoming_(incoming),
      token_(token),
      endpoint_(std::move(endpoint)),
      decoder_(wire::decoder_options{}),
      pipeline_(torrent_->pipeline_config()),
      bw_(torrent_->session().bandwidth(), socket_.get_executor(), torrent_->bandwidth_slot()) {
  send_signal_.expires_at(clock::time_point::max());
}

peer_connection::~peer_connection() = default;

void peer_connection::set_encryption(mse_outcome mse) {
  mse_method_ = mse.selected;
  send_rc4_ = std::move(mse.encrypt);
  recv_rc4_ = std::move(mse.decrypt);
  mse_pending_ = std::move(mse.payload);
  mse_skey_ = mse.skey;
  handshake_sent_ = mse.ia_sent;
  sent_reserved_ = mse.ia_reserved;
}

void peer_connection::start(std::optional<wire::handshake_parser> theirs, clock::time_point handshake_deadline) {
  handshake_deadline_ = handshake_deadline;
  asio::co_spawn(socket_.get_executor(), run(std::move(theirs)), asio::detached);
}

net::awaitable<void> peer_connection::run(std::optional<wire::handshake_parser> theirs) {
  auto self = shared_from_this();
  if (!co_await do_handshake(std::move(theirs))) co_return;
  handshake_done_ = true;
  connected_at_ = last_receive_ = last_send_ = last_block_ = clock::now();
  torrent_->on_peer_handshake(*this);
  if (closed_) co_return;
  send_extension_handshake();
  send_initial_state();
  asio::co_spawn(socket_.get_executor(), write_loop(), asio::detached);
  co_await read_loop();
}

net::awaitable<bool> peer_connection::do_handshake(std::optional<wire::handshake_parser> theirs) {
  // Our handshake: answer an incoming peer with the id it asked for (v1 or truncated v2). On our
  // own MSE connections it already went inside the MSE handshake (its initial payload).
  if (!handshake_sent_) {
    sent_reserved_ = torrent_->our_reserved();
    std::string out = torrent_->our_handshake(
        !theirs ? torrent_->id() : theirs->has_info_hash() ? theirs->info_hash() : mse_skey_.value_or(torrent_->id()),
        sent_reserved_);
    if (send_rc4_) send_rc4_->process(out.data(), out.size());
    auto [wec, wn] = co_await asio::async_write(socket_, asio::buffer(out), use_nothrow);
    bw_.consume(direction::upload, static_cast<std::int64_t>(wn));  // handshakes cannot wait
    if (wec) {
      disconnect("handshake send: " + wec.message());
      co_return false;
    }
  }

  wire::handshake_parser parser = theirs ? std::move(*theirs) : wire::handshake_parser{};
  std::array<char, wire::handshake_size> buf{};
  while (!parser.done()) {
    const std::size_t need = parser.bytes_needed();
    std::size_t n = std::min(need, mse_pending_.size());
    if (n != 0) {  // received with the MSE handshake
      std::copy_n(mse_pending_.data(), n, buf.data());
      mse_pending_.erase(0, n);
    } else {
      auto [ec, got] = co_await asio::async_read(socket_, asio::buffer(buf.data(), need), use_nothrow);
      n = got;
      bw_.consume(direction::download, static_cast<std::int64_t>(n));
      if (ec) {
        disconnect("handshake: " + ec.message());
        co_return false;
      }
      if (recv_rc4_) recv_rc4_->process(buf.data(), n);
    }
    auto used = parser.feed(std::string_view(buf.data(), n));
    if (!used) {
      disconnect("handshake: " + used.error().message(), true);
      co_return false;
    }
  }
  const auto hs = parser.value();
  if (!torrent_->matches(hs.info_hash)) {
    disconnect("handshake: peer answered for another torrent", true);
    co_return false;
  }
  if (hs.id == torrent_->session().peer_id()) {
    disconnect("connected to ourselves");
    co_return false;
  }
  peer_id_ = hs.id;
  const auto ours = sent_reserved_;  // what we announced, in this connection's handshake
  features_ = wire::negotiate(ours, hs.reserved);
  // BEP 52 hash messages follow the torrent, not the peer's bit: libtorrent asks for the piece layers
  // of a v2 torrent it fetched by magnet link with a handshake (sent before it had the metadata)
  // that does not set the v2 bit.
  features_.v2 = ours.test(wire::feature::v2);
  decoder_.set_features(features_);
  if (torrent_->has_metadata()) {
    decoder_.set_geometry(torrent_->info().num_pieces(), torrent_->info().piece_length());
    has_ = picker::piece_set(torrent_->info().num_pieces());
  }
  if (!mse_pending_.empty()) {  // messages that came with the MSE handshake (small: one read)
    if (decoder_.feed(mse_pending_) != mse_pending_.size()) {
      disconnect("encrypted handshake: initial payload larger than the receive buffer", true);
      co_return false;
    }
    mse_pending_.clear();
  }
  // Azureus-style peer ids ("-LT2080-", "-TR3000-") name the client until the extension handshake.
  if (hs.id[0] == '-' && hs.id[7] == '-')
    client_.assign(reinterpret_cast<const char*>(hs.id.data()) + 1, 6);
  co_return true;
}

void peer_connection::disconnect(const std::string& reason, bool protocol_error) {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  socket_.shutdown(net::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  send_signal_.cancel();
  bw_.close();
  // Our requests go back to the pool; its pieces no longer count.
  torrent_->on_peer_closed(*this, reason, protocol_error, availability_reported_);
  requests_.clear();
  uploads_.clear();
  reading_.clear();
  // The send queue is left to the writer: a write in flight still references its buffers; the
  // writer ends on the closed socket and the queue dies with the connection.
}

// ---- reading -----------------------------------------------------------------------------------

net::awaitable<void> peer_connection::wait_writable() {
  // Back-pressure: while the write-back buffer is full, stop reading (TCP pushes back on the peer).
  while (!closed_ && !torrent_->session().disk_writable()) co_await torrent_->session().wait_disk_writable();
}

net::awaitable<void> peer_connection::read_loop() {
  auto self = shared_from_this();
  while (!closed_) {
    for (;;) {
      auto m = decoder_.next();
      if (!m) {
        disconnect(m.error().message(), true);
        co_return;
      }
      if (!*m) break;
      if (const auto* ph = std::get_if<wire::piece_header>(&**m)) {
        const wire::piece_header h = *ph;
        if (!co_await read_block(h)) co_return;
        continue;
      }
      if (!handle(**m)) co_return;
      if (closed_) co_return;
    }
    // Requests arrive in bursts: reading them from disk after the whole burst was decoded lets
    // serve_uploads coalesce consecutive blocks into one disk read.
    serve_uploads();
    co_await wait_writable();
    if (closed_) co_return;
    // Several messages per read (fewer system calls and wake-ups), as far as the rate limits allow;
    // blocks already read ahead are copied out of the receive buffer, the rest of a block is read
    // straight into its buffer.
    auto space = decoder_.prepare(64 * 1024);
    const auto allowed = bw_.chunk(direction::download, static_cast<std::int64_t>(space.size()));
    if (!co_await bw_.acquire(direction::download, allowed)) co_return;
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(space.data(), static_cast<std::size_t>(allowed)), use_nothrow);
    bw_.refund(direction::download, allowed - static_cast<std::int64_t>(n));
    if (ec) {
      disconnect(ec == asio::error::eof ? "connection closed by peer" : "read: " + ec.message());
      co_return;
    }
    last_receive_ = clock::now();
    if (recv_rc4_) recv_rc4_->process(space.data(), n);
    decoder_.commit(n);
  }
}

net::awaitable<bool> peer_connection::read_block(const wire::piece_header& h) {
  const picker::block_ref b{h.index, h.begin / picker::block_size};
  auto it = std::find_if(requests_.begin(), requests_.end(), [&](const outstanding_request& r) {
    return r.block == b && h.begin % picker::block_size == 0 && r.length == h.length;
  });
  if (it == requests_.end()) {
    // Not (or no longer) requested from this peer, e.g. cancelled in endgame: read and drop it.
    decoder_.skip_payload();
    co_return true;
  }
  const std::uint32_t length = h.length;
  // Blocks read ahead into the decoder wait too while the write-back buffer is full: a peer adds at
  // most the block it is receiving to a full buffer.
  if (!torrent_->session().disk_writable()) {
    co_await wait_writable();
    if (closed_) co_return false;
  }
  auto buffer = torrent_->session().disk().allocate_buffer(length);
  std::size_t got = decoder_.take_payload(buffer.bytes());
  while (got < length) {
    // The rest of the block goes straight from the socket into its final buffer; what follows it
    // (the next messages) into the receive buffer, in the same read.
    co_await wait_writable();
    if (closed_) co_return false;
    const std::size_t rest = length - got;
    const auto space = decoder_.prepare(64 * 1024);
    const auto allowed = static_cast<std::size_t>(
        bw_.chunk(direction::download, static_cast<std::int64_t>(rest + space.size())));
    if (!co_await bw_.acquire(direction::download, static_cast<std::int64_t>(allowed))) co_return false;
    const std::array<asio::mutable_buffer, 2> bufs{
        asio::buffer(buffer.data() + got, std::min(rest, allowed)),
        asio::buffer(space.data(), allowed > rest ? std::min(space.size(), allowed - rest) : 0)};
    auto [ec, n] = co_await socket_.async_read_some(bufs, use_nothrow);
    bw_.refund(direction::download, static_cast<std::int64_t>(allowed) - static_cast<std::int64_t>(n));
    if (ec) {
      disconnect(ec == asio::error::eof ? "connection closed by peer" : "read: " + ec.message());
      co_return false;
    }
    const std::size_t mine = std::min(n, rest);
    if (recv_rc4_) {  // decrypt in place: the block's part, then what followed it
      recv_rc4_->process(buffer.data() + got, mine);
      recv_rc4_->process(space.data(), n - mine);
    }
    decoder_.payload_consumed(mine);  // first: the bytes committed below come after the block
    if (n > mine) decoder_.commit(n - mine);
    got += mine;
    last_receive_ = clock::now();
  }
  if (closed_) co_return false;
  // The request may have been cancelled or dropped while we were reading.
  it = std::find_if(requests_.begin(), requests_.end(),
                    [&](const outstanding_request& r) { return r.block == b && r.length == length; });
  if (it == requests_.end()) co_return true;
  requests_.erase(it);
  on_block(b, length, std::move(buffer));
  co_return !closed_;
}

void peer_connection::on_block(picker::block_ref b, std::uint32_t length, storage::disk_buffer data) {
  down_.add(length);
  last_block_ = clock::now();
  if (snubbed_) snubbed_ = false;
  pipeline_.on_block_received(download_rate(down_, connected_at_), their_reqq_);
  torrent_->on_block(*this, b, std::move(data));
  if (!closed_) fill_requests();
}

bool peer_connection::handle(const wire::message& m) {
  if (!torrent_->has_metadata() && (std::holds_alternative<wire::bitfield>(m) || std::holds_alternative<wire::have>(m) ||
                                    std::holds_alternative<wire::have_all>(m) || std::holds_alternative<wire::have_none>(m)))
    return on_early_availability(m);
  return std::visit(
      [&](const auto& msg) -> bool {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, wire::keep_alive>) {
          return true;
        } else if constexpr (std::is_same_v<T, wire::choke>) {
          on_choke();
          return true;
        } else if constexpr (std::is_same_v<T, wire::unchoke>) {
          on_unchoke();
          return true;
        } else if constexpr (std::is_same_v<T, wire::interested>) {
          const bool was = peer_interested_;
          peer_interested_ = true;
          if (!was) torrent_->on_peer_interest_changed(*this);
          return true;
        } else if constexpr (std::is_same_v<T, wire::not_interested>) {
          const bool was = peer_interested_;
          peer_interested_ = false;
          if (was) torrent_->on_peer_interest_changed(*this);
          return true;
        } else if constexpr (std::is_same_v<T, wire::have>) {
          return on_have(msg.index);
        } else if constexpr (std::is_same_v<T, wire::bitfield>) {
          return on_bitfield(msg);
        } else if constexpr (std::is_same_v<T, wire::have_all>) {
          return on_have_all();
        } else if constexpr (std::is_same_v<T, wire::have_none>) {
          availability_reported_ = true;
          return true;
        } else if constexpr (std::is_same_v<T, wire::request>) {
          return on_request(msg);
        } else if constexpr (std::is_same_v<T, wire::cancel>) {
          on_cancel(msg);
          return true;
        } else if constexpr (std::is_same_v<T, wire::reject>) {
          return on_reject(msg);
        } else if constexpr (std::is_same_v<T, wire::allowed_fast>) {
          if (allowed_fast_.size() < 64 &&
              std::find(allowed_fast_.begin(), allowed_fast_.end(), msg.index) == allowed_fast_.end())
            allowed_fast_.push_back(msg.index);
          if (peer_choking_) fill_requests();
          return true;
        } else if constexpr (std::is_same_v<T, wire::extended>) {
          return on_extended(msg);
        } else if constexpr (std::is_same_v<T, wire::hash_request>) {
          torrent_->on_hash_request(*this, msg);
          return !closed_;
        } else if constexpr (std::is_same_v<T, wire::hashes>) {
          torrent_->on_hashes(*this, msg);
          return !closed_;
        } else if constexpr (std::is_same_v<T, wire::hash_reject>) {
          torrent_->on_hash_reject(*this, msg);
          return !closed_;
        } else {
          // suggest, port, unknown: nothing to do for now (suggestions are advisory; we run no DHT yet).
          return true;
        }
      },
      m);
}

void peer_connection::on_choke() {
  if (peer_choking_) return;
  peer_choking_ = true;
  if (!features_.fast) {
    // Without the fast extension a choke discards every pending request (BEP 3).
    torrent_->picker().abort_requests(token_);
    requests_.clear();
  }
}

void peer_connection::on_unchoke() {
  if (!peer_choking_) return;
  peer_choking_ = false;
  fill_requests();
}

bool peer_connection::on_reject(const wire::reject& r) {
  const picker::block_ref b{r.index, r.begin / picker::block_size};
  auto it = std::find_if(requests_.begin(), requests_.end(),
                         [&](const outstanding_request& o) { return o.block == b && o.length == r.length; });
  if (it == requests_.end()) return true;  // rejects of cancelled requests are normal
  requests_.erase(it);
  torrent_->picker().on_request_rejected(token_, b);
  if (!peer_choking_) fill_requests();
  return true;
}

bool peer_connection::on_request(const wire::request& r) {
  const auto& info = torrent_->info();
  if (!torrent_->have_piece(r.index)) {
    disconnect("requested piece " + std::to_string(r.index) + " that we do not have", true);
    return false;
  }
  if (static_cast<std::uint64_t>(r.begin) + r.length > info.piece_size(r.index)) {
    disconnect("request past the end of piece " + std::to_string(r.index), true);
    return false;
  }
  if (am_choking_) {  // we hand out no allowed-fast set
    if (features_.fast) send(wire::reject{r.index, r.begin, r.length});
    return true;  // BEP 3: requests while choked are dropped
  }
  if (uploads_.size() >= max_pending_uploads) {
    if (features_.fast) {
      send(wire::reject{r.index, r.begin, r.length});
      return true;
    }
    disconnect("request flood (" + std::to_string(uploads_.size()) + " pending)", true);
    return false;
  }
  uploads_.push_back({r.index, r.begin, r.length, false});
  return true;  // served once the messages already received are handled (read_loop): bigger reads
}

void peer_connection::on_cancel(const wire::cancel& c) {
  auto it = std::find_if(uploads_.begin(), uploads_.end(),
                         [&](const upload_job& u) { return u.same(c.index, c.begin, c.length); });
  if (it != uploads_.end()) {
    uploads_.erase(it);
    return;
  }
  for (auto& u : reading_)
    if (u.same(c.index, c.begin, c.length)) u.cancelled = true;
}

bool peer_connection::on_extended(const wire::extended& m) {
  if (m.id == pex_state::local_id && torrent_->pex_allowed()) return pex_receive(*this, *torrent_, m.payload);
  if (m.id == our_ut_metadata_id) {
    const auto& s = torrent_->session().settings_ref();
    wire::ut_metadata_limits lim;
    lim.max_metadata_size = std::max<std::uint64_t>(s.max_metadata_size, torrent_->has_metadata() ? torrent_->info().info_bytes().size() : 0);
    const auto known = torrent_->has_metadata() ? std::optional<std::uint64_t>(torrent_->info().info_bytes().size())
                                                : their_metadata_size_;
    auto msg = wire::decode_ut_metadata(m.payload, known, lim);
    if (!msg) {
      disconnect(msg.error().message(), true);
      return false;
    }
    torrent_->on_metadata_message(*this, *msg);
    return !closed_;
  }
  if (m.id != 0) return true;  // extensions we did not offer
  auto hs = wire::decode_extension_handshake(m.payload);
  if (!hs) {
    disconnect("extension handshake: " + hs.error().message(), true);
    return false;
  }
  if (hs->client) client_ = *hs->client;
  if (hs->reqq) their_reqq_ = *hs->reqq;
  pex_.on_handshake(*hs);
  if (incoming_ && hs->listen_port) torrent_->on_peer_listen_port(*this, *hs->listen_port);
  their_ut_metadata_ = hs->id_of("ut_metadata");
  their_metadata_size_ = hs->metadata_size;
  torrent_->on_peer_extensions(*this, *hs);
  return !closed_;
}

// ---- requests we send --------------------------------------------------------------------------

std::uint32_t peer_connection::target_depth() const noexcept {
  return pipeline_.depth(download_rate(down_, connected_at_), snubbed_, their_reqq_);
}

picker::peer_view peer_connection::view() const noexcept {
  picker::peer_view v;
  v.token = token_;
  v.has = &has_;
  v.has_all = has_all_;
  v.snubbed = snubbed_;
  v.choked = peer_choking_;
  v.allowed_fast = allowed_fast_;
  return v;
}

double peer_connection::progress() const noexcept {
  if (has_all_) return 1.0;
  if (has_.size() == 0) return 0.0;
  return static_cast<double>(has_.count()) / has_.size();
}

void peer_connection::update_interest() {
  if (closed_ || !handshake_done_) return;
  const bool want = torrent_->is_interesting(*this);
  if (want == am_interested_) return;
  am_interested_ = want;
  if (want) {
    send(wire::interested{});
    fill_requests();
  } else {
    send(wire::not_interested{});
  }
}

void peer_connection::fill_requests() {
  if (closed_ || !handshake_done_ || !am_interested_) return;
  if (peer_choking_ && allowed_fast_.empty()) return;
  const std::uint32_t depth = target_depth();
  if (requests_.size() >= depth) return;
  // Refill in batches (a quarter of the pipeline at a time): one request per received block would
  // cost a send system call per block.
  const std::size_t free_slots = depth - requests_.size();
  if (!requests_.empty() && free_slots < std::max<std::uint32_t>(1, depth / 4)) return;
  pick_scratch_.clear();
  torrent_->picker().pick(view(), depth - requests_.size(), pick_scratch_);
  const auto now = clock::now();
  for (const auto& b : pick_scratch_) {
    if (torrent_->fill_pad_block(*this, b)) continue;  // pad bytes are zeros: never requested
    const std::uint32_t len = torrent_->picker().block_length(b);
    requests_.push_back({b, len, now});
    send(wire::request{b.piece, static_cast<std::uint32_t>(b.offset()), len});
  }
  if (pick_scratch_.empty() && requests_.empty() && !torrent_->is_interesting(*this)) update_interest();
}

void peer_connection::cancel_request(picker::block_ref b) {
  auto it = std::find_if(requests_.begin(), requests_.end(), [&](const outstanding_request& r) { return r.block == b; });
  if (it == requests_.end()) return;
  send(wire::cancel{b.piece, static_cast<std::uint32_t>(b.offset()), it->length});
  requests_.erase(it);
}

// ---- uploads -----------------------------------------------------------------------------------

void peer_connection::set_choked(bool choke) {
  if (closed_ || !handshake_done_ || choke == am_choking_) return;
  am_choking_ = choke;
  if (!choke) {
    send(wire::unchoke{});
    return;
  }
  send(wire::choke{});
  // Pending uploads are dropped; with the fast extension the peer is told which (BEP 6).
  if (features_.fast)
    for (const auto& u : uploads_) send(wire::reject{u.piece, u.begin, u.length});
  uploads_.clear();
  for (auto& u : reading_) u.cancelled = true;
}

void peer_connection::serve_uploads() {
  // A few disk reads in flight per peer; the send queue bounds what waits for the socket. Requests
  // for consecutive blocks of one piece (what peers usually send) are read together: one disk job
  // and one completion for up to max_coalesced_bytes (1 MiB: 4x fewer disk jobs and thread wake-ups
  // than 256 KiB, measured) instead of one per 16 KiB block.
  constexpr std::size_t max_reads_in_flight = 8;
  constexpr std::uint32_t max_coalesced_bytes = 1024 * 1024;
  // Under an upload limit the queue holds about a second of it: what is queued delays our own
  // protocol messages (requests!) behind it.
  const std::size_t queue_cap =
      bw_.limited(direction::upload)
          ? std::clamp<std::size_t>(static_cast<std::size_t>(bw_.tightest_rate(direction::upload)), 64 * 1024, max_send_queue_bytes)
          : max_send_queue_bytes;
  while (!closed_ && !uploads_.empty() && reading_.size() < max_reads_in_flight * 16 &&
         send_queue_bytes_ < queue_cap) {
    std::vector<upload_job> group{uploads_.front()};
    uploads_.pop_front();
    std::uint32_t total = group.front().length;
    while (!uploads_.empty() && uploads_.front().piece == group.front().piece &&
           uploads_.front().begin == group.back().begin + group.back().length &&
           total + uploads_.front().length <= max_coalesced_bytes) {
      total += uploads_.front().length;
      group.push_back(uploads_.front());
      uploads_.pop_front();
    }
    reading_.insert(reading_.end(), group.begin(), group.end());
    std::weak_ptr<peer_connection> weak = weak_from_this();
    const std::uint32_t piece = group.front().piece;  // read before `group` is moved into the handler
    const std::uint32_t begin = group.front().begin;
    auto on_view = [weak, group = std::move(group)](result<storage::read_view> r) {
          auto self = weak.lock();
          if (!self || self->closed_) return;
          std::shared_ptr<const storage::read_view> buffer;
          if (r) buffer = std::make_shared<const storage::read_view>(std::move(*r));
          for (const auto& job : group) {
            auto it = std::find_if(self->reading_.begin(), self->reading_.end(),
                                   [&](const upload_job& u) { return u.same(job.piece, job.begin, job.length); });
            if (it == self->reading_.end()) continue;
            const bool cancelled = it->cancelled;
            self->reading_.erase(it);
            if (!buffer || cancelled || self->am_choking_) continue;
            send_item item;
            wire::encode(item.head, wire::piece_header{job.piece, job.begin, job.length});
            item.buffer = buffer;
            item.offset = job.begin - group.front().begin;
            item.length = job.length;
            self->up_.add(job.length);
            self->torrent_->on_uploaded(job.length);
            self->queue(std::move(item));
          }
          if (!r) {
            self->torrent_->on_read_error(r.error());
            self->disconnect("disk read failed: " + r.error().message());
            return;
          }
          self->serve_uploads();
    };
    auto& disk = torrent_->session().disk();
    if (send_rc4_) {
      // RC4 reads the payload in user space to encrypt it: never from a file mapping (a file
      // truncated meanwhile would raise SIGBUS there, see storage/read_view.hpp), so pread.
      disk.async_read(torrent_->storage(), piece, begin, total, [on_view](result<storage::disk_buffer> b) {
        if (b) on_view(storage::read_view(std::move(*b)));
        else on_view(tl::unexpected(b.error()));
      });
    } else {
      disk.async_read_view(torrent_->storage(), piece, begin, total, std::move(on_view));
    }
  }
}

// ---- writing -----------------------------------------------------------------------------------

template <class M>
void peer_connection::send(const M& m) {
  if (closed_) return;
  // Coalesce small protocol messages into the last queued item when it carries no payload.
  // Items being written are never touched: their bytes are in flight.
  if (send_queue_.size() > writing_items_ && !send_queue_.back().buffer) {
    const auto before = send_queue_.back().head.size();
    wire::encode(send_queue_.back().head, m);
    send_queue_bytes_ += send_queue_.back().head.size() - before;
    send_signal_.cancel();
    return;
  }
  send_item item;
  wire::encode(item.head, m);
  queue(std::move(item));
}

void peer_connection::queue(send_item item) {
  if (closed_) return;
  send_queue_bytes_ += item.head.size() + item.length;
  send_queue_.push_back(std::move(item));
  send_signal_.cancel();
}

net::awaitable<void> peer_connection::write_loop() {
  auto self = shared_from_this();
  std::vector<asio::const_buffer> bufs;
  while (!closed_) {
    if (send_queue_.empty()) {
      send_signal_.expires_at(clock::time_point::max());
      co_await send_signal_.async_wait(use_nothrow);
      continue;
    }
    // Scatter-gather: up to 64 items (protocol bytes and block payloads) in one write. Under an
    // upload limit: protocol-only items go at once (charged, so payload repays them), payload
    // items one quantum at a time through the fair queue.
    bufs.clear();
    std::size_t items = 0, bytes = 0;
    const bool protocol_only = !send_queue_.front().buffer && bw_.limited(direction::upload);
    // RC4 batches are copied into send_crypt_, which keeps its size: 128 KiB bounds that per
    // connection (RC4 itself, ~0.8 GiB/s per core, costs far more than the extra sendmsg calls).
    const auto max_bytes = static_cast<std::size_t>(
        bw_.chunk(direction::upload, send_rc4_ ? std::int64_t{128} << 10 : std::int64_t{1} << 20));
    for (auto& it : send_queue_) {
      if (items == 64 || bytes >= max_bytes || (protocol_only && it.buffer)) break;
      if (!it.head.empty()) bufs.emplace_back(it.head.data(), it.head.size());
      if (it.length != 0)
        it.buffer->for_each(it.offset, it.length, [&](const char* p, std::size_t n) { bufs.emplace_back(p, n); });
      bytes += it.head.size() + it.length;
      ++items;
    }
    writing_items_ = items;
    if (protocol_only) {
      bw_.consume(direction::upload, static_cast<std::int64_t>(bytes));
    } else if (!co_await bw_.acquire(direction::upload, static_cast<std::int64_t>(bytes))) {
      writing_items_ = 0;
      co_return;
    }
    if (send_rc4_) {
      // RC4: the batch is encrypted into a buffer of ours (the payload views are shared with the
      // disk cache and other peers), then written from there.
      send_crypt_.resize(bytes);
      std::size_t at = 0;
      for (const auto& b : bufs) {
        std::copy_n(static_cast<const char*>(b.data()), b.size(), send_crypt_.data() + at);
        at += b.size();
      }
      send_rc4_->process(send_crypt_.data(), at);
      bufs.assign(1, asio::buffer(send_crypt_.data(), at));
    }
    // asio's default completion condition (transfer_all) hands the kernel at most 64 KiB per
    // sendmsg; a seeder sending 1 GiB made 16,384 sendmsg calls and as many trips through the
    // reactor. Let each sendmsg take everything prepared (asio still caps it at 64 iovecs).
    auto [ec, n] = co_await asio::async_write(socket_, bufs, whole_write, use_nothrow);
    writing_items_ = 0;
    if (closed_) co_return;
    if (ec == asio::error::fault) {
      // A payload from a file mapping whose file was truncated behind our back: the kernel's copy
      // failed (no SIGBUS: ccbt never touches mapped bytes). A read error, like a failed pread.
      torrent_->on_read_error(storage::sys_error(EFAULT, "send from a mapped file (truncated?)"));
      disconnect("disk read failed: a file being sent was truncated (EFAULT)");
      co_return;
    }
    if (ec) {
      disconnect("write: " + ec.message());
      co_return;
    }
    last_send_ = clock::now();
    for (std::size_t i = 0; i < items; ++i) send_queue_.pop_front();
    send_queue_bytes_ -= bytes;
    serve_uploads();
  }
}

void peer_connection::send_extension_handshake() {
  if (!features_.extended) return;
  wire::extension_handshake h;
  h.client = "ccbt/0.1.0";
  h.reqq = static_cast<std::uint32_t>(max_pending_uploads);
  if (const auto port = torrent_->session().listen_port_value(); port != 0) h.listen_port = port;
  if (torrent_->pex_allowed()) h.m.emplace(wire::ut_pex_name, pex_state::local_id);
  // BEP 9 metadata exchange; not for private torrents (BEP 27: peers come from the tracker only), as
  // libtorrent.
  if (!torrent_->has_metadata() || !torrent_->info().is_private()) {
    h.m["ut_metadata"] = our_ut_metadata_id;
    if (torrent_->has_metadata()) h.metadata_size = torrent_->info().info_bytes().size();
  }
  const auto payload = wire::encode_extension_handshake(h);
  send(wire::extended{0, payload});
}

void peer_connection::send_initial_state() {
  const auto& have = torrent_->have_set();
  if (!torrent_->has_metadata()) {  // magnet: we have nothing yet
    if (features_.fast) send(wire::have_none{});
    return;
  }
  if (features_.fast && have.all()) {
    send(wire::have_all{});
  } else if (features_.fast && have.none()) {
    send(wire::have_none{});
  } else if (!have.none()) {
    const std::uint32_t n = have.size();
    std::vector<std::uint8_t> bits((n + 7) / 8, 0);
    for (std::uint32_t i = have.find_next(0); i != picker::piece_set::npos; i = have.find_next(i + 1))
      bits[i >> 3] = static_cast<std::uint8_t>(bits[i >> 3] | (0x80u >> (i & 7)));
    send(wire::bitfield{bits});
  }
}

void peer_connection::send_have(std::uint32_t piece) {
  if (!connected()) return;
  // Peers that already have the piece don't need to hear about it (saves a message per piece to
  // seeds); everybody else does, so they can request it.
  if (has_all_ || has_.test(piece)) return;
  send(wire::have{piece});
}

void peer_connection::send_hash_reject(const wire::hash_request& r) {
  wire::hash_reject rej;
  static_cast<wire::hash_range&>(rej) = r;
  send(rej);
}

void peer_connection::send_hash_request(const wire::hash_request& r) { send(r); }

void peer_connection::send_hashes(const wire::hash_request& r, std::span<const sha256_hash> hashes) {
  wire::hashes m;
  static_cast<wire::hash_range&>(m) = r;
  m.data = std::as_bytes(std::span(hashes.data()->bytes.data(), hashes.size() * 32));
  send(m);  // encoded (copied) here
}

void peer_connection::send_extended(std::uint8_t id, const std::string& payload) {
  if (!connected() || !features_.extended) return;
  send(wire::extended{id, payload});
}

bool peer_connection::send_queue_full() const noexcept { return send_queue_bytes_ >= max_send_queue_bytes; }

void peer_connection::on_torrent_complete() {
  if (!connected()) return;
  update_interest();
  if (is_seed()) disconnect("both sides are seeds");
}

void peer_connection::tick(clock::time_point now) {
  if (closed_) return;
  const auto& s = torrent_->session().settings_ref();
  if (!handshake_done_) {
    // The handshake's reads have no deadline of their own: a peer that connects (or answers an
    // encrypted handshake) and then says nothing would hold its slot forever. One deadline covers
    // the whole handshake, set where the connection began (accept or connect).
    if (now > handshake_deadline_)
      disconnect("no BitTorrent handshake within " + std::to_string(s.handshake_timeout_ms) + " ms");
    return;
  }
  down_.tick();
  up_.tick();
  if (now - last_receive_ > std::chrono::seconds(s.inactivity_timeout_s)) {
    disconnect("inactive for " + std::to_string(s.inactivity_timeout_s) + " s");
    return;
  }
  // Requests that take too long go back to the pool for other peers.
  const auto timeout = std::chrono::seconds(s.request_timeout_s);
  bool timed_out = false;
  while (!requests_.empty() && now - requests_.front().sent > timeout && now - last_block_ > timeout) {
    torrent_->picker().on_request_timeout(token_, requests_.front().block);
    requests_.erase(requests_.begin());
    timed_out = true;
  }
  if (timed_out) pipeline_.on_timeout();
  if (!requests_.empty() && now - last_block_ > std::chrono::seconds(s.snub_timeout_s)) snubbed_ = true;
  pex_tick(*this, *torrent_, now);
  if (now - last_send_ > keep_alive_interval && send_queue_.empty()) send(wire::keep_alive{});
  fill_requests();
}

}  // namespace ccbt::session_detail
