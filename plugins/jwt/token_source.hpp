#pragma once
#include <relay/sdk/auth.hpp>

#include <string>

namespace relay::plugins::jwt {

/// The token a client presents: the string member `token` of its auth object (a
/// `refresh` may send the token itself as a JSON string), else the `Authorization:
/// Bearer <token>` header of the request that opened its session. Empty when neither
/// holds one.
std::string presented_token(const sdk::Handshake& handshake);

}  // namespace relay::plugins::jwt
