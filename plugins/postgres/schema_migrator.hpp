#pragma once
/// Brings a database's schema up to this build's (migrations.hpp), on one connection.
#include "pg_connection.hpp"
#include "store_context.hpp"

#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace relay::plugins::postgres {

/// Reads the recorded version and applies the migrations the database lacks, inside
/// one transaction holding pg_advisory_xact_lock (nodes starting together migrate
/// one after the other), each recorded in relay_schema_migrations. A database whose
/// version is newer than this build's is refused (make_schema_too_new_error()).
///
/// Stateless apart from its exchanges, which run on the given connection; the
/// caller owns it (the writer's, during start). Closing the connection ends the run
/// without calling `done` (and rolls the transaction back).
class SchemaMigrator {
public:
    struct Result {
        std::error_code error;  ///< empty: the schema is current
        std::string message;    ///< error: why, for the log and `relay migrate`
        std::string applied;    ///< "1 (description), …"; empty: nothing to apply
    };
    using Done = std::function<void(const Result&)>;

    /// `then`: statements run right after the commit in the same exchange (the
    /// writer's prepared insert, which needs the schema).
    static void run(const StoreContext& ctx, Connection& conn, std::vector<Statement> then,
                    Done done);

private:
    static void apply(const StoreContext& ctx, Connection& conn, int current,
                      std::vector<Statement> then, Done done);
    static Result failed(const Outcome& outcome, const std::string& what);
};

}  // namespace relay::plugins::postgres
