// Routing through a fake engine: each endpoint reaches the right engine call with the parsed
// arguments, and errors keep their status and the JSON error shape.
#include <gtest/gtest.h>

#include "rpc/router.hpp"

namespace ccbt::rpc {
namespace {

struct fake_engine final : engine {
  std::vector<std::string> calls;
  std::optional<sha1_hash> known;
  bool last_delete = false;
  add_request last_add;

  api_result<json> hit(std::string what, const sha1_hash* id = nullptr) {
    calls.push_back(std::move(what));
    if (id && (!known || *id != *known)) return tl::unexpected(not_found("no torrent with id " + id->to_hex()));
    return json{{"ok", calls.back()}};
  }
  api_result<json> session_info() override { return hit("session"); }
  api_result<json> shutdown() override { return hit("shutdown"); }
  api_result<json> list() override { return hit("list"); }
  api_result<json> add(add_request r) override {
    last_add = std::move(r);
    return hit("add");
  }
  api_result<json> status(const sha1_hash& id) override { return hit("status", &id); }
  api_result<json> pause(const sha1_hash& id) override { return hit("pause", &id); }
  api_result<json> resume(const sha1_hash& id) override { return hit("resume", &id); }
  api_result<json> recheck(const sha1_hash& id) override { return hit("recheck", &id); }
  api_result<json> remove(const sha1_hash& id, bool d) override {
    last_delete = d;
    return hit("remove", &id);
  }
  api_result<json> files(const sha1_hash& id) override { return hit("files", &id); }
  api_result<json> set_file_priorities(const sha1_hash& id, const std::vector<std::pair<std::uint32_t, std::uint8_t>>&) override {
    return hit("set_files", &id);
  }
  api_result<json> peers(const sha1_hash& id) override { return hit("peers", &id); }
  api_result<json> add_peers(const sha1_hash& id, const std::vector<std::string>&) override { return hit("add_peers", &id); }
  api_result<json> set_options(const sha1_hash& id, const options_request&) override { return hit("options", &id); }
  api_result<json> trackers(const sha1_hash& id) override { return hit("trackers", &id); }
  api_result<json> add_tracker(const sha1_hash& id, const tracker_request& t) override {
    return hit("add_tracker:" + t.url + "@" + std::to_string(t.tier), &id);
  }
  api_result<json> remove_tracker(const sha1_hash& id, const std::string& url) override { return hit("remove_tracker:" + url, &id); }
  api_result<json> reannounce(const sha1_hash& id) override { return hit("reannounce", &id); }
  api_result<json> config() override { return hit("config"); }
  api_result<json> config_get(std::string_view key) override { return hit("config_get:" + std::string(key)); }
  api_result<json> config_set(std::string_view key, const std::string& v) override {
    return hit("config_set:" + std::string(key) + "=" + v);
  }
  api_result<json> config_unset(std::string_view key) override { return hit("config_unset:" + std::string(key)); }
  api_result<json> config_reload() override { return hit("config_reload"); }
};

const std::string id_hex(40, 'a');

json body_of(const http_reply& r) { return json::parse(r.body); }

TEST(RpcRouter, EveryEndpointReachesItsCall) {
  fake_engine e;
  e.known = sha1_hash::from_hex(id_hex);
  const std::string t = "/api/v1/torrents/" + id_hex;
  const std::tuple<const char*, std::string, std::string, const char*, int> cases[] = {
      {"GET", "/api/v1/session", "", "session", 200},
      {"POST", "/api/v1/shutdown", "", "shutdown", 200},
      {"GET", "/api/v1/torrents", "", "list", 200},
      {"POST", "/api/v1/torrents", R"({"torrent":"ZA==","save_path":"/x"})", "add", 201},
      {"GET", t, "", "status", 200},
      {"POST", t + "/pause", "", "pause", 200},
      {"POST", t + "/resume", "", "resume", 200},
      {"POST", t + "/recheck", "", "recheck", 200},
      {"DELETE", t + "?delete_data=1", "", "remove", 200},
      {"GET", t + "/files", "", "files", 200},
      {"POST", t + "/files", R"({"priorities":{"0":1}})", "set_files", 200},
      {"GET", t + "/peers", "", "peers", 200},
      {"POST", t + "/peers", R"({"peers":["1.2.3.4:5"]})", "add_peers", 200},
      {"POST", t + "/options", R"({"strategy":"sequential"})", "options", 200},
      {"GET", "/api/v1/config", "", "config", 200},
      {"GET", t + "/trackers", "", "trackers", 200},
      {"POST", t + "/trackers", R"({"url":"udp://t.example:6969/announce","tier":2})", "add_tracker:udp://t.example:6969/announce@2", 200},
      {"DELETE", t + "/trackers?url=http%3A%2F%2Fa.example%2Fannounce", "", "remove_tracker:http://a.example/announce", 200},
      {"POST", t + "/reannounce", "", "reannounce", 200},
      {"GET", "/api/v1/config/daemon.api_port", "", "config_get:daemon.api_port", 200},
      {"PUT", "/api/v1/config/limits.download_rate", R"({"value":"1 MiB"})", "config_set:limits.download_rate=1 MiB", 200},
      {"PUT", "/api/v1/config/network.max_connections", R"({"value":50})", "config_set:network.max_connections=50", 200},
      {"DELETE", "/api/v1/config/network.max_connections", "", "config_unset:network.max_connections", 200},
      {"POST", "/api/v1/config/reload", "", "config_reload", 200},
  };
  for (const auto& [method, target, body, call, status] : cases) {
    const auto r = route(e, method, target, body);
    EXPECT_EQ(r.status, status) << method << " " << target << " " << r.body;
    ASSERT_FALSE(e.calls.empty());
    EXPECT_EQ(e.calls.back(), call) << target;
    EXPECT_EQ(body_of(r)["ok"], call);
  }
  EXPECT_TRUE(e.last_delete);
  EXPECT_EQ(e.last_add.save_path, "/x");
}

TEST(RpcRouter, ErrorsHaveStatusAndJsonShape) {
  fake_engine e;
  const std::string other(40, 'b');
  const std::tuple<const char*, std::string, std::string, int, const char*> cases[] = {
      {"GET", "/api/v1/torrents/" + other, "", 404, "not_found"},
      {"GET", "/api/v1/torrents/zz", "", 400, "bad_request"},
      {"POST", "/api/v1/torrents", "{oops", 400, "bad_request"},
      {"PUT", "/api/v1/torrents", "", 405, "method_not_allowed"},
      {"GET", "/api/v1/torrents/" + other + "/pause", "", 405, "method_not_allowed"},
      {"GET", "/api/v1/torrents/" + other + "/nothing", "", 404, "not_found"},
      {"GET", "/api/v2/session", "", 404, "not_found"},
      {"GET", "/", "", 404, "not_found"},
      {"DELETE", "/api/v1/torrents/" + other + "?delete_data=perhaps", "", 400, "bad_request"},
      {"POST", "/api/v1/torrents/" + other + "/options", "{}", 400, "bad_request"},
      {"PUT", "/api/v1/config/a.b", R"({"value":[1]})", 400, "bad_request"},
      {"POST", "/api/v1/torrents/" + other + "/trackers", R"({"url":"ftp://x/announce"})", 400, "bad_request"},
      {"DELETE", "/api/v1/torrents/" + other + "/trackers", "", 400, "bad_request"},
      {"POST", "/api/v1/torrents/" + other + "/options", R"({"max_connections":0})", 400, "bad_request"},
      {"POST", "/api/v1/config/a.b", R"({"value":"1"})", 405, "method_not_allowed"},
  };
  for (const auto& [method, target, body, status, code] : cases) {
    const auto r = route(e, method, target, body);
    EXPECT_EQ(r.status, status) << method << " " << target;
    const auto j = body_of(r);
    EXPECT_EQ(j["error"]["code"], code) << r.body;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  }
}

TEST(RpcRouter, ErrorBodyEscapesAnything) {
  const auto body = error_body({400, "bad_request", std::string("bad \xff\"\n byte")});
  const auto j = json::parse(body);
  EXPECT_EQ(j["error"]["code"], "bad_request");
}

}  // namespace
}  // namespace ccbt::rpc
