#pragma once
/// The store's error categories: the server's SQLSTATEs, and a schema newer than this
/// build.
#include <string>
#include <string_view>
#include <system_error>

namespace relay::plugins::postgres {

/// Errors from the server (category "postgres"): the value packs the SQLSTATE,
/// message() reads "postgres error 23505 (unique_violation)". The server's full
/// message goes to the plugin's log.
const std::error_category& postgres_category() noexcept;
std::error_code make_postgres_error(std::string_view sqlstate) noexcept;
/// The SQLSTATE of an error of postgres_category().
std::string sqlstate_of(const std::error_code& ec);

/// The database's schema is newer than this build knows (category "postgres schema").
/// message() names both versions.
const std::error_category& schema_category() noexcept;
std::error_code make_schema_too_new_error(int database_version, int known_version) noexcept;

}  // namespace relay::plugins::postgres
