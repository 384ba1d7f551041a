// http_server — the API's HTTP/1.1 server (Boost.Beast) on one thread of its own.
//
// Per request: the header is read first (limit 16 KiB -> 431), the token is checked before any
// body is read (wrong or missing -> 401), a body over max_body -> 413, then the handler runs on the
// server thread and its JSON reply is sent. Connections beyond max_connections get 503 and are
// closed; a request that stalls longer than `timeout` is dropped. A handler that throws gets 500.
// Nothing a client sends can make the server allocate more than max_body per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <ccbt/error.hpp>

#include "rpc/router.hpp"

namespace ccbt::rpc {

struct server_options {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;
  int max_connections = 32;
  std::size_t max_body = std::size_t{16} << 20;
  std::string token;  // expected in "Authorization: Bearer <token>"
  std::chrono::seconds timeout{30};
};

using request_handler = std::function<http_reply(std::string_view method, std::string_view target, std::string_view body)>;

class http_server {
 public:
  // Binds (errors: listen_failed with the address) and starts serving on its own thread.
  [[nodiscard]] static result<std::unique_ptr<http_server>> start(server_options opts, request_handler handler);
  ~http_server();  // stop()
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  void stop();
  [[nodiscard]] std::uint16_t port() const noexcept;
  // "127.0.0.1:6880", "[::1]:6880"; a wildcard bind address is shown as loopback.
  [[nodiscard]] std::string endpoint() const;

 private:
  struct impl;
  explicit http_server(std::shared_ptr<impl> p);
  std::shared_ptr<impl> impl_;
};

}  // namespace ccbt::rpc
