#pragma once
#include <string>

namespace relay::plugins::websocket {

/// 20 random characters of the URL-safe base64 alphabet (120 bits from the OS's
/// CSPRNG, buffered per thread): Engine.IO sids, Socket.IO sids and private session
/// ids, which must not be guessable.
std::string random_id();

}  // namespace relay::plugins::websocket
