// libFuzzer target for the daemon API's request parsing and routing (src/rpc/request.cpp,
// router.cpp). Input: byte 0 picks the method, then the target up to the first newline, then the
// body. Whatever the input, route() returns a known status and a JSON body (an error body with a
// code and a message for every failure), and never throws.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rpc/router.hpp"

namespace {

using namespace ccbt::rpc;

struct null_engine final : engine {
  api_result<json> ok() { return json{{"ok", true}}; }
  api_result<json> session_info() override { return ok(); }
  api_result<json> shutdown() override { return ok(); }
  api_result<json> list() override { return ok(); }
  api_result<json> add(add_request r) override {
    if (r.torrent.empty() || r.save_path.empty() || r.save_path.front() != '/') std::abort();
    return ok();
  }
  api_result<json> status(const ccbt::sha1_hash&) override { return tl::unexpected(not_found("no such torrent")); }
  api_result<json> pause(const ccbt::sha1_hash&) override { return ok(); }
  api_result<json> resume(const ccbt::sha1_hash&) override { return ok(); }
  api_result<json> recheck(const ccbt::sha1_hash&) override { return ok(); }
  api_result<json> remove(const ccbt::sha1_hash&, bool) override { return ok(); }
  api_result<json> files(const ccbt::sha1_hash&) override { return ok(); }
  api_result<json> set_file_priorities(const ccbt::sha1_hash&,
                                       const std::vector<std::pair<std::uint32_t, std::uint8_t>>& p) override {
    for (const auto& [i, prio] : p)
      if (prio > 7) std::abort();
    return ok();
  }
  api_result<json> peers(const ccbt::sha1_hash&) override { return ok(); }
  api_result<json> add_peers(const ccbt::sha1_hash&, const std::vector<std::string>& p) override {
    for (const auto& s : p)
      if (!valid_peer_address(s)) std::abort();
    return ok();
  }
  api_result<json> set_options(const ccbt::sha1_hash&, const options_request& o) override {
    // The parser's bounds hold for what reaches the engine.
    if (o.stream.value && (!o.stream.present || o.stream.value->offset > max_stream_offset)) std::abort();
    return ok();
  }
  api_result<json> trackers(const ccbt::sha1_hash&) override { return ok(); }
  api_result<json> add_tracker(const ccbt::sha1_hash&, const tracker_request& t) override {
    if (!plausible_tracker_url(t.url) || t.tier < 0) std::abort();
    return ok();
  }
  api_result<json> remove_tracker(const ccbt::sha1_hash&, const std::string&) override { return ok(); }
  api_result<json> reannounce(const ccbt::sha1_hash&) override { return ok(); }
  api_result<json> config() override { return ok(); }
  api_result<json> config_get(std::string_view) override { return ok(); }
  api_result<json> config_set(std::string_view, const std::string& v) override {
    if (v.size() > 4096) std::abort();
    return ok();
  }
  api_result<json> config_unset(std::string_view) override { return ok(); }
  api_result<json> config_reload() override { return ok(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view methods[] = {"GET", "POST", "DELETE", "PUT"};  // byte 0 % 4
  const auto method = methods[data[0] % 4];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto nl = rest.find('\n');
  const auto target = rest.substr(0, nl);
  const auto body = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  null_engine e;
  const auto r = route(e, method, target, body);
  if (r.status != 200 && r.status != 201 && r.status != 400 && r.status != 404 && r.status != 405 && r.status != 413)
    std::abort();
  const auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) std::abort();
  if (r.status >= 400 && (!j.contains("error") || !j["error"]["code"].is_string() || !j["error"]["message"].is_string()))
    std::abort();
  // The body parsers alone, too.
  (void)parse_add_request(rest);
  (void)parse_file_priorities(rest);
  (void)stream_from_text(rest);
  (void)base64_decode(rest);
  return 0;
}
