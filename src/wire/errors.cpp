#include "wire/errors.hpp"

#include <string>

namespace ccbt::wire {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "wire"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::bad_protocol_string: return "not a BitTorrent handshake";
      case errc::message_too_large: return "message too large";
      case errc::invalid_message_length: return "message length does not fit its type";
      case errc::block_too_large: return "block larger than the block size limit";
      case errc::empty_block: return "block of zero bytes";
      case errc::piece_index_out_of_range: return "piece index out of range";
      case errc::block_out_of_range: return "block runs past the end of the piece";
      case errc::bitfield_size_mismatch: return "bitfield size does not match the piece count";
      case errc::bitfield_spare_bits: return "bitfield has spare bits set";
      case errc::not_negotiated: return "message of an extension that was not negotiated";
      case errc::invalid_hash_count: return "hashes message with an invalid hash count";
      case errc::hashes_size_mismatch: return "hashes message size does not match its header";
      case errc::too_many_unknown_messages: return "too many messages of unknown type";
      case errc::ext_handshake_not_dict: return "extension handshake is not a dictionary";
      case errc::ext_handshake_bad_m: return "extension handshake has an invalid 'm' dictionary";
      case errc::ext_handshake_too_many_extensions: return "extension handshake lists too many extensions";
      case errc::ext_handshake_bad_name: return "extension handshake has an invalid extension name";
      case errc::ext_handshake_bad_metadata_size: return "extension handshake metadata_size out of range";
      case errc::ut_pex_not_dict: return "ut_pex message is not a dictionary";
      case errc::ut_pex_bad_field: return "ut_pex message field is not a byte string";
      case errc::ut_pex_bad_length: return "ut_pex peer list size is not a whole number of entries";
      case errc::ut_pex_flags_mismatch: return "ut_pex flags do not match the added peers";
      case errc::ut_pex_too_many_peers: return "ut_pex message lists too many peers";
      case errc::ut_metadata_bad_message: return "ut_metadata message is malformed";
      case errc::ut_metadata_bad_piece: return "ut_metadata piece index out of range";
      case errc::ut_metadata_bad_size: return "ut_metadata size out of range or payload of the wrong length";
      case errc::ut_metadata_trailing_data: return "ut_metadata message has bytes after its dictionary";
    }
    return "unknown wire error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

}  // namespace ccbt::wire
