#pragma once
/// The history readers' statements: what each session prepares, which of the four
/// queries a HistoryQuery runs, and the messages in its answer.
#include "pg_connection.hpp"

#include <relay/sdk/message.hpp>
#include <relay/sdk/store.hpp>

#include <string>
#include <vector>

namespace relay::plugins::postgres {

/// Prepares the four history queries and makes the session read-only (appended to
/// the common session set-up).
std::vector<Statement> history_session_setup();

/// The prepared history query answering `query` on `room`.
Statement history_statement(const std::string& room, const sdk::HistoryQuery& query);

/// Whether history_statement(…, query) returns rows newest first (to be reversed:
/// history is answered oldest first).
bool newest_first(const sdk::HistoryQuery& query) noexcept;

/// The messages of a history query's result; false when a row is malformed.
bool parse_messages(const PGresult* result, std::vector<sdk::Message>& out);

}  // namespace relay::plugins::postgres
