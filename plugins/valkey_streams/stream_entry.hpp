#pragma once
/// How a message is laid out in a stream entry (fields `id room sender user ts payload
/// [att]`, attachments length-prefixed), stream entry ids, and the position a message
/// is acked and delivered with. Pure, no I/O.
#include "valkey/reply.hpp"

#include <relay/sdk/message.hpp>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relay::plugins::valkey_streams {

/// A stream entry id, "<ms>-<seq>".
struct EntryId {
    std::uint64_t ms = 0;
    std::uint64_t seq = 0;

    static std::optional<EntryId> parse(std::string_view text);
    std::string str() const { return std::to_string(ms) + "-" + std::to_string(seq); }
    // The defaulted comparison trips modernize-use-nullptr (a clang-tidy false positive).
    // NOLINTBEGIN(modernize-use-nullptr)
    friend auto operator<=>(const EntryId&, const EntryId&) = default;
    // NOLINTEND(modernize-use-nullptr)
};

/// "<partition>:<entry id>": what publish() acks with and subscribers see.
std::string position_of(std::size_t partition, std::string_view entry_id);

/// Appends the entry's field/value pairs for XADD, moving the message's strings.
void append_entry_fields(std::vector<std::string>& args, sdk::Message&& msg);

/// Field/value pairs of one entry -> a message (without its position); nullopt for an
/// entry that is not a Relay message.
std::optional<sdk::Message> decode_entry(const valkey::Reply& fields);

}  // namespace relay::plugins::valkey_streams
