#include "tracker/errors.hpp"

#include <string>

namespace ccbt::tracker {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tracker"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::invalid_bencode: return "response is not bencoded";
      case errc::not_a_dictionary: return "response is not a dictionary";
      case errc::tracker_failure: return "tracker reported a failure";
      case errc::invalid_field: return "invalid value in the response";
      case errc::invalid_peers: return "malformed peer list";
      case errc::invalid_peer_entry: return "malformed peer entry";
      case errc::too_many_peers: return "too many peers in the response";
      case errc::too_many_files: return "too many entries in the scrape response";
      case errc::packet_too_short: return "packet too short";
      case errc::invalid_packet_size: return "packet size is not a whole number of entries";
      case errc::wrong_action: return "unexpected action in the response";
      case errc::wrong_transaction_id: return "transaction id does not match the request";
      case errc::invalid_url: return "malformed tracker URL";
      case errc::unsupported_scheme: return "unsupported tracker URL scheme";
      case errc::no_scrape_url: return "the tracker does not support scrape (BEP 48)";
      case errc::http_status: return "unexpected HTTP status";
      case errc::redirect_loop: return "redirect loop";
      case errc::too_many_redirects: return "too many redirects";
      case errc::invalid_redirect: return "invalid redirect";
      case errc::response_too_large: return "response too large";
      case errc::unsupported_encoding: return "unsupported content encoding";
      case errc::timeout: return "tracker did not answer in time";
      case errc::no_address: return "tracker host has no usable address";
      case errc::invalid_request: return "invalid request parameter";
      case errc::missing_parameter: return "missing request parameter";
      case errc::unknown_torrent: return "torrent not registered with this tracker";
      case errc::aborted: return "operation aborted";
    }
    return "unknown tracker error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

}  // namespace ccbt::tracker
