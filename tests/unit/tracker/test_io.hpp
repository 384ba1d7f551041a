// Helpers for the loopback tests: run one coroutine on an io_context with a time limit.
#pragma once

// GCC 12 reports a false null dereference inside asio's reactor after inlining (see
// src/tracker/CMakeLists.txt); these test files include asio directly, so the pragma reaches it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>

#include "net/asio.hpp"
#include "tracker/types.hpp"

namespace ccbt::tracker::test {

// Runs `aw` to completion (at most `limit`); nullopt on timeout. Other coroutines on `io` (servers)
// run meanwhile.
template <class T>
std::optional<T> run(net::asio::io_context& io, net::awaitable<T> aw,
                     std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto out = std::make_shared<std::optional<T>>();
  net::asio::co_spawn(io, std::move(aw), [out, &io](std::exception_ptr e, T v) {
    if (e) std::rethrow_exception(e);
    *out = std::move(v);
    io.stop();
  });
  io.restart();
  io.run_for(limit);
  return std::move(*out);
}

inline announce_request request(char torrent, int id, std::uint16_t port, std::uint64_t left,
                                event ev = event::started) {
  announce_request r;
  r.info_hash = *sha1_hash::from_bytes(std::string(20, torrent));
  std::string pid = "-CC0001-" + std::to_string(100000000000 + id);
  r.pid = *peer_id::from_bytes(pid);
  r.port = port;
  r.left = left;
  r.ev = ev;
  r.key = static_cast<std::uint32_t>(id);
  return r;
}

}  // namespace ccbt::tracker::test
