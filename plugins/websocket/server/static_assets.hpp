#pragma once
#include <string_view>

namespace relay::plugins::websocket {

/// A file of the chat page, compiled into the plugin (no files to deploy, no CDN).
struct StaticAsset {
    std::string_view content_type;
    std::string_view content;
};

/// The asset served at `path` ("/", "/assets/chat.js", ...), or nullptr.
const StaticAsset* find_static_asset(std::string_view path);

}  // namespace relay::plugins::websocket
