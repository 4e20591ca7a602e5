#include "history_statements.hpp"

#include "pg_codec.hpp"
#include "postgres_sql.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

namespace relay::plugins::postgres {

std::vector<Statement> history_session_setup() {
    std::vector<Statement> setup;
    setup.push_back(Statement::prepare(statement_name::kLast, std::string(sql::kHistoryLast),
                                       {codec::kText, codec::kInt8}));
    setup.push_back(Statement::prepare(statement_name::kBefore, std::string(sql::kHistoryBefore),
                                       {codec::kText, codec::kText, codec::kInt8}));
    setup.push_back(Statement::prepare(statement_name::kAfter, std::string(sql::kHistoryAfter),
                                       {codec::kText, codec::kText, codec::kInt8}));
    setup.push_back(Statement::prepare(statement_name::kBetween, std::string(sql::kHistoryBetween),
                                       {codec::kText, codec::kText, codec::kText, codec::kInt8}));
    // Reads never write: a bug that tried would fail instead of writing.
    setup.push_back(Statement::query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"));
    return setup;
}

Statement history_statement(const std::string& room, const sdk::HistoryQuery& query) {
    const auto& q = query;
    const std::string limit = codec::encode_int8(static_cast<std::int64_t>(
        std::min<std::size_t>(q.limit, std::numeric_limits<std::int64_t>::max())));
    if (q.before_id.empty() && q.after_id.empty()) {
        return Statement::execute(statement_name::kLast, {room, limit});
    }
    if (q.after_id.empty()) {
        return Statement::execute(statement_name::kBefore, {room, q.before_id, limit});
    }
    if (q.before_id.empty()) {
        return Statement::execute(statement_name::kAfter, {room, q.after_id, limit});
    }
    return Statement::execute(statement_name::kBetween, {room, q.after_id, q.before_id, limit});
}

bool newest_first(const sdk::HistoryQuery& query) noexcept {
    return query.after_id.empty();
}

bool parse_messages(const PGresult* r, std::vector<sdk::Message>& out) {
    if (PQnfields(r) != 8) return false;
    const int rows = PQntuples(r);
    out.reserve(static_cast<std::size_t>(rows));
    for (int row = 0; row < rows; ++row) {
        sdk::Message m;
        m.id = result_field(r, row, 0);
        m.room = result_field(r, row, 1);
        const auto ts = codec::parse_int8(result_field(r, row, 2));
        if (!ts) return false;
        m.ts_ms = *ts;
        m.sender = result_field(r, row, 3);
        m.user = result_field(r, row, 4);
        m.payload_json = result_field(r, row, 5);
        if (!PQgetisnull(r, row, 6)) {
            auto elements = codec::parse_array(result_field(r, row, 6));
            if (!elements) return false;
            m.attachments.assign(elements->begin(), elements->end());
        }
        m.position = result_field(r, row, 7);
        out.push_back(std::move(m));
    }
    return true;
}

}  // namespace relay::plugins::postgres
