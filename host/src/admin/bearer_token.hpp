#pragma once
#include <string_view>

namespace relay::host {

/// True when the Authorization header `authorization` is `Bearer <token>`. Compares
/// without stopping at the first difference, so the time taken does not tell a prober
/// how much of its guess was right. An empty `token` matches nothing.
bool bearer_matches(std::string_view authorization, std::string_view token);

}  // namespace relay::host
