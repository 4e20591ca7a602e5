#pragma once
#include <sqlite3.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace relay::testing {

/// Every message id in a sqlite store file, read directly (not through the plugin).
inline std::vector<std::string> stored_ids(const std::filesystem::path& db) {
    sqlite3* handle = nullptr;
    if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        std::string why = handle != nullptr ? sqlite3_errmsg(handle) : "out of memory";
        sqlite3_close(handle);
        throw std::runtime_error("cannot open " + db.string() + ": " + why);
    }
    std::vector<std::string> ids;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(handle, "SELECT id FROM messages", -1, &stmt, nullptr) != SQLITE_OK) {
        std::string why = sqlite3_errmsg(handle);
        sqlite3_close(handle);
        throw std::runtime_error("cannot query " + db.string() + ": " + why);
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        ids.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(handle);
    return ids;
}

}  // namespace relay::testing
