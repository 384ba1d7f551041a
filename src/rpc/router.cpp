// Routing table of the API. See router.hpp and docs/api.md.
#include "rpc/router.hpp"

namespace ccbt::rpc {
namespace {

api_error method_not_allowed(std::string_view method, std::string_view allowed) {
  return {405, "method_not_allowed", std::string(method) + " is not allowed here (allowed: " + std::string(allowed) + ")"};
}

api_result<json> dispatch_torrent(engine& e, std::string_view method, const target& t, std::string_view body,
                                  int& status) {
  // segments: api v1 torrents <id> [sub]
  auto id = parse_torrent_id(t.segments[3]);
  if (!id) return tl::unexpected(id.error());
  if (t.segments.size() == 4) {
    if (method == "GET") return e.status(*id);
    if (method == "DELETE") {
      bool del = false;
      if (auto v = t.param("delete_data")) {
        auto f = parse_flag("delete_data", *v);
        if (!f) return tl::unexpected(f.error());
        del = *f;
      }
      return e.remove(*id, del);
    }
    return tl::unexpected(method_not_allowed(method, "GET, DELETE"));
  }
  if (t.segments.size() != 5) return tl::unexpected(not_found("no such endpoint"));
  const auto& sub = t.segments[4];
  if (sub == "pause" || sub == "resume" || sub == "recheck" || sub == "reannounce") {
    if (method != "POST") return tl::unexpected(method_not_allowed(method, "POST"));
    if (sub == "pause") return e.pause(*id);
    if (sub == "resume") return e.resume(*id);
    if (sub == "reannounce") return e.reannounce(*id);
    return e.recheck(*id);
  }
  if (sub == "trackers") {
    if (method == "GET") return e.trackers(*id);
    if (method == "POST") {
      auto r = parse_tracker_request(body);
      if (!r) return tl::unexpected(r.error());
      return e.add_tracker(*id, *r);
    }
    if (method == "DELETE") {
      const auto url = t.param("url");
      if (!url || url->empty()) return tl::unexpected(bad_request("DELETE .../trackers needs ?url=<the tracker URL, %-encoded>"));
      return e.remove_tracker(*id, std::string(*url));
    }
    return tl::unexpected(method_not_allowed(method, "GET, POST, DELETE"));
  }
  if (sub == "files") {
    if (method == "GET") return e.files(*id);
    if (method == "POST") {
      auto p = parse_file_priorities(body);
      if (!p) return tl::unexpected(p.error());
      return e.set_file_priorities(*id, *p);
    }
    return tl::unexpected(method_not_allowed(method, "GET, POST"));
  }
  if (sub == "peers") {
    if (method == "GET") return e.peers(*id);
    if (method == "POST") {
      auto p = parse_peers_request(body);
      if (!p) return tl::unexpected(p.error());
      return e.add_peers(*id, *p);
    }
    return tl::unexpected(method_not_allowed(method, "GET, POST"));
  }
  if (sub == "options") {
    if (method != "POST") return tl::unexpected(method_not_allowed(method, "POST"));
    auto o = parse_options_request(body);
    if (!o) return tl::unexpected(o.error());
    return e.set_options(*id, *o);
  }
  status = 404;
  return tl::unexpected(not_found("no such endpoint"));
}

api_result<json> dispatch(engine& e, std::string_view method, std::string_view target_text, std::string_view body,
                          int& status) {
  auto t = parse_target(target_text);
  if (!t) return tl::unexpected(t.error());
  const auto& s = t->segments;
  if (s.size() < 3 || s[0] != "api" || s[1] != "v1") return tl::unexpected(not_found("no such endpoint (the API is under /api/v1/)"));
  const auto& what = s[2];
  if (what == "session" && s.size() == 3) {
    if (method != "GET") return tl::unexpected(method_not_allowed(method, "GET"));
    return e.session_info();
  }
  if (what == "shutdown" && s.size() == 3) {
    if (method != "POST") return tl::unexpected(method_not_allowed(method, "POST"));
    return e.shutdown();
  }
  if (what == "config") {
    if (s.size() == 3) {
      if (method != "GET") return tl::unexpected(method_not_allowed(method, "GET"));
      return e.config();
    }
    if (s.size() != 4) return tl::unexpected(not_found("no such endpoint"));
    if (s[3] == "reload") {  // not a key (keys are section.name)
      if (method != "POST") return tl::unexpected(method_not_allowed(method, "POST"));
      return e.config_reload();
    }
    if (method == "GET") return e.config_get(s[3]);
    if (method == "PUT") {
      auto v = parse_config_value(body);
      if (!v) return tl::unexpected(v.error());
      return e.config_set(s[3], *v);
    }
    if (method == "DELETE") return e.config_unset(s[3]);
    return tl::unexpected(method_not_allowed(method, "GET, PUT, DELETE"));
  }
  if (what == "torrents") {
    if (s.size() == 3) {
      if (method == "GET") return e.list();
      if (method == "POST") {
        auto r = parse_add_request(body);
        if (!r) return tl::unexpected(r.error());
        auto out = e.add(std::move(*r));
        if (out) status = 201;
        return out;
      }
      return tl::unexpected(method_not_allowed(method, "GET, POST"));
    }
    return dispatch_torrent(e, method, *t, body, status);
  }
  return tl::unexpected(not_found("no such endpoint"));
}

}  // namespace

http_reply error_reply(const api_error& err) { return {err.status, error_body(err)}; }

http_reply route(engine& e, std::string_view method, std::string_view target, std::string_view body) {
  int status = 200;
  auto r = dispatch(e, method, target, body, status);
  if (!r) return error_reply(r.error());
  return {status, r->dump(-1, ' ', false, json::error_handler_t::replace)};
}

}  // namespace ccbt::rpc
