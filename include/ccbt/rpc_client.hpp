// ccbt::rpc_client — a small synchronous client of the daemon's HTTP/JSON API (docs/api.md), for
// btbt and bitonic. It finds the daemon through its state directory (api.endpoint, api.token) and
// sends the token in the `Authorization: Bearer` header. Bodies are JSON text; the caller parses
// them. No asio here.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <ccbt/error.hpp>

namespace ccbt {

struct rpc_response {
  int status = 0;     // HTTP status
  std::string body;   // JSON text
};

class rpc_client {
 public:
  rpc_client(std::string host, std::uint16_t port, std::string token);
  // Reads <state_dir>/api.endpoint and <state_dir>/api.token. Errors: rpc::errc::not_running when
  // no daemon holds the state directory, token_failed when the token cannot be read.
  [[nodiscard]] static result<rpc_client> from_state_dir(const std::filesystem::path& state_dir);

  // One request on a fresh connection. Errors: connect_failed, timeout, protocol_error; an HTTP
  // error status is a response, not an error.
  [[nodiscard]] result<rpc_response> call(std::string_view method, std::string_view target,
                                          std::string_view json_body = {},
                                          std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

  [[nodiscard]] const std::string& host() const noexcept { return host_; }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

 private:
  std::string host_;
  std::uint16_t port_;
  std::string token_;
};

namespace rpc {
// RFC 4648 base64 with padding: how a .torrent file travels in an add request (docs/api.md).
[[nodiscard]] std::string base64_encode(std::string_view in);
}  // namespace rpc

}  // namespace ccbt
