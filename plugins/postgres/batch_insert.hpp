#pragma once
/// The writer's one statement per batch (sql::kInsert), as a prepared statement and
/// as its execution with a batch's ten array parameters.
#include "pg_connection.hpp"
#include "write_queue.hpp"

namespace relay::plugins::postgres {

/// Prepares sql::kInsert on a writer session (the schema must exist).
Statement prepare_insert();

/// Executes the prepared insert with `batch`'s messages, in binary format.
Statement insert_statement(const Batch& batch);

}  // namespace relay::plugins::postgres
