#pragma once
/// Which web pages may talk to this transport: a browser names the page's origin in
/// `Origin`, and a page from another origin must not open a chat session in its
/// visitor's name (cookies and all) unless the operator listed it.

#include <string>
#include <string_view>
#include <vector>

namespace relay::plugins::websocket {

/// True when a request with `origin` (the Origin header, empty when absent) to `host`
/// (its Host header) may go on: no Origin (a native client, not a browser page), the
/// same origin as the host (http or https), an origin in `allowed`, or `*` in it.
/// Hosts compare without regard to case; `null` (a sandboxed page) is only allowed
/// by `*` or by listing "null".
bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed);

}  // namespace relay::plugins::websocket
