#include "batch_insert.hpp"

#include "pg_codec.hpp"
#include "postgres_sql.hpp"

#include <cstdint>
#include <string>
#include <utility>

namespace relay::plugins::postgres {

Statement prepare_insert() {
    return Statement::prepare(
        statement_name::kInsert, std::string(sql::kInsert),
        {codec::kTextArray, codec::kTextArray, codec::kInt8Array, codec::kTextArray,
         codec::kTextArray, codec::kTextArray, codec::kByteaArray, codec::kInt4Array,
         codec::kInt4Array, codec::kTextArray});
}

Statement insert_statement(const Batch& batch) {
    std::size_t text_bytes = 0;
    for (const auto& piece : batch.pieces) {
        for (std::size_t i = piece.begin; i < piece.end; ++i) {
            text_bytes += piece.job->messages[i].payload_json.size();
        }
    }
    const std::size_t n = batch.messages;
    // Reserved for typical sizes, so that a batch is built without reallocation.
    codec::ArrayBuilder ids(codec::kText, n * 36);
    codec::ArrayBuilder rooms(codec::kText, n * 24);
    codec::ArrayBuilder ts(codec::kInt8, n * 12);
    codec::ArrayBuilder senders(codec::kText, n * 28);
    codec::ArrayBuilder users(codec::kText, n * 16);
    codec::ArrayBuilder payloads(codec::kText, text_bytes + n * 4);
    codec::ArrayBuilder attachments(codec::kBytea);
    codec::ArrayBuilder firsts(codec::kInt4, n * 8);
    codec::ArrayBuilder counts(codec::kInt4, n * 8);
    codec::ArrayBuilder positions(codec::kText, n * 16);
    std::int32_t next = 1;
    for (const auto& piece : batch.pieces) {
        for (std::size_t i = piece.begin; i < piece.end; ++i) {
            const sdk::Message& m = piece.job->messages[i];
            ids.add(m.id);
            rooms.add(m.room);
            ts.add_int8(m.ts_ms);
            senders.add(m.sender);
            users.add(m.user);
            payloads.add(m.payload_json);
            firsts.add_int4(next);
            counts.add_int4(static_cast<std::int32_t>(m.attachments.size()));
            for (const auto& a : m.attachments) attachments.add(a);
            next += static_cast<std::int32_t>(m.attachments.size());
            positions.add(m.position);
        }
    }
    return Statement::execute(
        statement_name::kInsert,
        {std::move(ids).finish(), std::move(rooms).finish(), std::move(ts).finish(),
         std::move(senders).finish(), std::move(users).finish(), std::move(payloads).finish(),
         std::move(attachments).finish(), std::move(firsts).finish(), std::move(counts).finish(),
         std::move(positions).finish()});
}

}  // namespace relay::plugins::postgres
