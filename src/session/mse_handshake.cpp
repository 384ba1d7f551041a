#include "session/mse_handshake.hpp"

#include <memory>
#include <vector>

namespace ccbt::session_detail {

namespace asio = net::asio;
using namespace asio::experimental::awaitable_operators;

mse::policy mse_policy_from(const settings& s) {
  mse::policy p;
  switch (s.encryption_payload) {
    case payload_encryption::prefer_plaintext: p.allowed = mse::crypto_plaintext | mse::crypto_rc4; break;
    case payload_encryption::prefer_rc4:
      p.allowed = mse::crypto_plaintext | mse::crypto_rc4;
      p.prefer_rc4 = true;
      break;
    case payload_encryption::rc4_only: p.allowed = mse::crypto_rc4; break;
    case payload_encryption::plaintext_only: p.allowed = mse::crypto_plaintext; break;
  }
  return p;
}

const char* mse_method_name(std::uint32_t selected) noexcept {
  return selected == mse::crypto_rc4 ? "RC4" : "plaintext";
}

namespace {

// Moves the handshake's bytes until it is done; "" on success, else why it failed.
net::awaitable<std::string> exchange(net::tcp::socket& socket, mse::handshake& hs, std::string_view first,
                                     std::chrono::steady_clock::time_point deadline) {
  asio::steady_timer timer(socket.get_executor());
  timer.expires_at(deadline);
  if (!first.empty()) {
    if (auto r = hs.feed(first); !r) co_return r.error().message();
  }
  std::vector<char> buf(2048);  // on the heap: GCC 12 warns falsely about large coroutine frames
  for (;;) {
    const auto bytes = hs.take_output();
    if (!bytes.empty()) {
      auto res = co_await (asio::async_write(socket, asio::buffer(bytes), net::use_nothrow) ||
                           timer.async_wait(net::use_nothrow));
      if (res.index() == 1) co_return std::string("timed out");
      if (auto [ec, n] = std::get<0>(res); ec) co_return std::string("send: " + ec.message());
    }
    if (hs.done()) break;
    auto res = co_await (socket.async_read_some(asio::buffer(buf), net::use_nothrow) || timer.async_wait(net::use_nothrow));
    if (res.index() == 1) co_return std::string("timed out");
    auto [ec, n] = std::get<0>(res);
    if (ec) co_return std::string(ec == asio::error::eof ? "connection closed by peer" : ec.message());
    if (auto r = hs.feed(std::string_view(buf.data(), n)); !r) co_return std::string(r.error().message());
  }
  co_return std::string();
}

// The handshake's results into `out`.
void collect(mse::handshake& hs, std::string error, mse_outcome& out) {
  out = mse_outcome{};
  if (!error.empty()) {
    out.error = (hs.is_initiator() ? "encrypted handshake (outgoing): " : "encrypted handshake (incoming): ") + error;
    return;
  }
  out.ok = true;
  out.selected = hs.selected();
  out.skey = hs.skey();
  out.encrypt = hs.take_encryptor();
  out.decrypt = hs.take_decryptor();
  out.payload = hs.take_payload();
}

}  // namespace

net::awaitable<void> run_mse_initiator(net::tcp::socket& socket, const sha1_hash& skey, const mse::policy& p,
                                       const std::string& ia, std::chrono::steady_clock::time_point deadline,
                                       mse_outcome& out) {
  auto hs = std::make_unique<mse::handshake>(mse::handshake::initiator(skey, p, crypto::mse_dh{}, ia));
  auto error = co_await exchange(socket, *hs, {}, deadline);
  collect(*hs, std::move(error), out);
  out.ia_sent = out.ok && !ia.empty();
}

net::awaitable<void> run_mse_responder(net::tcp::socket& socket, const mse::policy& p, const mse::lookup_fn& find,
                                       std::string_view first, std::chrono::steady_clock::time_point deadline,
                                       mse_outcome& out) {
  auto hs = std::make_unique<mse::handshake>(mse::handshake::responder(p, find));
  auto error = co_await exchange(socket, *hs, first, deadline);
  collect(*hs, std::move(error), out);
}

}  // namespace ccbt::session_detail

