#pragma once
#include <string_view>

namespace relay::host {

/// A file of the admin page (host/src/admin/page/), compiled into the binary by
/// host/cmake/embed_admin_page.cmake. The page is plain HTML, CSS and JavaScript with
/// no build step and nothing fetched from elsewhere; it reads /admin/stats
/// (admin_stats.hpp) every second and draws its plots on canvases.
struct AdminPageAsset {
    std::string_view path;  ///< "/", "/admin/admin.js", "/admin/admin.css"
    std::string_view content_type;
    std::string_view content;
};

/// The file served at `path`, or nullptr.
const AdminPageAsset* find_admin_page_asset(std::string_view path);

}  // namespace relay::host
