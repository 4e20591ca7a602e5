#include "postgres_errors.hpp"

#include "pg_codec.hpp"

#include <algorithm>
#include <utility>

namespace relay::plugins::postgres {

namespace {

class PostgresCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "postgres"; }
    std::string message(int value) const override {
        const std::string state = codec::unpack_sqlstate(value);
        static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
            {"22021", "character_not_in_repertoire"},
            {"22P05", "untranslatable_character"},
            {"23505", "unique_violation"},
            {"25006", "read_only_sql_transaction"},
            {"40001", "serialization_failure"},
            {"40P01", "deadlock_detected"},
            {"42501", "insufficient_privilege"},
            {"42P01", "undefined_table"},
            {"53100", "disk_full"},
            {"53200", "out_of_memory"},
            {"54000", "program_limit_exceeded"},
            {"55P03", "lock_not_available"},
            {"57014", "query_canceled"},
        };
        for (const auto& [code, label] : kNames) {
            if (code == state) return "postgres error " + state + " (" + std::string(label) + ")";
        }
        return "postgres error " + state;
    }
};

class SchemaCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "postgres schema"; }
    std::string message(int value) const override {
        return "the database's schema version " + std::to_string(value >> 16) +
               " is newer than this plugin's " + std::to_string(value & 0xffff) +
               " (run a newer relay, or point store.dsn at another database)";
    }
};

}  // namespace

const std::error_category& postgres_category() noexcept {
    static const PostgresCategory category;
    return category;
}

std::error_code make_postgres_error(std::string_view sqlstate) noexcept {
    const int packed = codec::pack_sqlstate(sqlstate);
    return {packed != 0 ? packed : codec::pack_sqlstate("XX000"), postgres_category()};
}

std::string sqlstate_of(const std::error_code& ec) {
    if (std::string_view(ec.category().name()) != "postgres") return {};
    return codec::unpack_sqlstate(ec.value());
}

const std::error_category& schema_category() noexcept {
    static const SchemaCategory category;
    return category;
}

std::error_code make_schema_too_new_error(int database_version, int known_version) noexcept {
    return {(std::min(database_version, 0x7fff) << 16) | (known_version & 0xffff),
            schema_category()};
}

}  // namespace relay::plugins::postgres
