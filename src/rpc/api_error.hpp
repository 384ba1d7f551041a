// An API error: the HTTP status and the JSON body {"error": {"code": ..., "message": ...}} every
// failed request gets (docs/api.md, "Errors").
#pragma once

#include <string>

#include <tl/expected.hpp>

namespace ccbt::rpc {

struct api_error {
  int status = 400;     // HTTP status
  std::string code;     // stable machine-readable word: "bad_request", "not_found", ...
  std::string message;  // one line for users
};

[[nodiscard]] inline api_error bad_request(std::string message) { return {400, "bad_request", std::move(message)}; }
[[nodiscard]] inline api_error not_found(std::string message) { return {404, "not_found", std::move(message)}; }

// The JSON text of an error body.
[[nodiscard]] std::string error_body(const api_error& e);

template <class T>
using api_result = tl::expected<T, api_error>;

}  // namespace ccbt::rpc
