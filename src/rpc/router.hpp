// The API's routing: method + target + body -> a call on the engine -> status + JSON body.
//
// The router sees the daemon through `engine`, a narrow interface (a fake implements it in the unit
// tests), so routing, parsing and error mapping are tested without a session or sockets. Engine
// calls return JSON on success or an api_error; the router adds nothing but the status of success
// (201 for a new torrent, 200 otherwise). Every path is under /api/v1 (docs/api.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "rpc/api_error.hpp"
#include "rpc/request.hpp"

namespace ccbt::rpc {

using json = nlohmann::json;

class engine {
 public:
  virtual ~engine() = default;
  virtual api_result<json> session_info() = 0;
  virtual api_result<json> shutdown() = 0;
  virtual api_result<json> list() = 0;
  virtual api_result<json> add(add_request r) = 0;
  virtual api_result<json> status(const sha1_hash& id) = 0;
  virtual api_result<json> pause(const sha1_hash& id) = 0;
  virtual api_result<json> resume(const sha1_hash& id) = 0;
  virtual api_result<json> recheck(const sha1_hash& id) = 0;
  virtual api_result<json> remove(const sha1_hash& id, bool delete_data) = 0;
  virtual api_result<json> files(const sha1_hash& id) = 0;
  virtual api_result<json> set_file_priorities(const sha1_hash& id,
                                               const std::vector<std::pair<std::uint32_t, std::uint8_t>>& p) = 0;
  virtual api_result<json> peers(const sha1_hash& id) = 0;
  virtual api_result<json> add_peers(const sha1_hash& id, const std::vector<std::string>& peers) = 0;
  virtual api_result<json> set_options(const sha1_hash& id, const options_request& o) = 0;
  virtual api_result<json> trackers(const sha1_hash& id) = 0;
  virtual api_result<json> add_tracker(const sha1_hash& id, const tracker_request& t) = 0;
  virtual api_result<json> remove_tracker(const sha1_hash& id, const std::string& url) = 0;
  virtual api_result<json> reannounce(const sha1_hash& id) = 0;
  virtual api_result<json> config() = 0;
  virtual api_result<json> config_get(std::string_view key) = 0;
  virtual api_result<json> config_set(std::string_view key, const std::string& value) = 0;
  virtual api_result<json> config_unset(std::string_view key) = 0;
  virtual api_result<json> config_reload() = 0;  // POST /config/reload: reads the configuration file now
};

struct http_reply {
  int status = 200;
  std::string body;  // JSON text
};

// method: "GET", "POST", "DELETE", ...
[[nodiscard]] http_reply route(engine& e, std::string_view method, std::string_view target, std::string_view body);

[[nodiscard]] http_reply error_reply(const api_error& err);

}  // namespace ccbt::rpc
