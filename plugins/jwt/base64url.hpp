#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace relay::plugins::jwt {

/// Decodes unpadded base64url (RFC 4648 §5), as JWS and JWK use it. Nullopt for any
/// character outside the url alphabet (padding and whitespace included) or a length
/// no encoding has.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace relay::plugins::jwt
