#include "crypto/blake3.hpp"

#include <blake3.h>

namespace ccbt::crypto {

struct blake3::state {
  blake3_hasher h;
  bool keyed = false;
  blake3_key key{};
  void reset() {
    if (keyed)
      blake3_hasher_init_keyed(&h, key.data());
    else
      blake3_hasher_init(&h);
  }
};

blake3::blake3() : s_(std::make_unique<state>()) { s_->reset(); }

blake3::blake3(const blake3_key& key) : s_(std::make_unique<state>()) {
  s_->keyed = true;
  s_->key = key;
  s_->reset();
}

blake3::blake3(blake3&&) noexcept = default;
blake3& blake3::operator=(blake3&&) noexcept = default;
blake3::~blake3() = default;

blake3& blake3::update(std::string_view data) {
  blake3_hasher_update(&s_->h, data.data(), data.size());
  return *this;
}

blake3_hash blake3::finish() {
  blake3_hash out;
  blake3_hasher_finalize(&s_->h, out.bytes.data(), out.bytes.size());
  s_->reset();
  return out;
}

blake3_hash blake3_digest(std::string_view data) { return blake3().update(data).finish(); }

blake3_hash blake3_keyed_digest(const blake3_key& key, std::string_view data) {
  return blake3(key).update(data).finish();
}

}  // namespace ccbt::crypto
