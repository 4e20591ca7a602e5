#pragma once
/// One `history` reply that fits what its requester may queue.
///
/// A store answers a query with up to `limit` messages, oldest first, whatever their
/// size; sent whole, 45 messages of 100 KB are a 4.5 MB ack that the client's outbound
/// bound (`max_queued_bytes`) refuses, and the client is dropped as slow each time it
/// asks. So a reply is a page of at most a byte budget (`history_max_bytes`): the
/// messages nearest the query's cursor that fit. The ack's first argument stays the
/// array of messages, oldest first; a page that left messages out adds a second
/// argument saying where to go on, in the keys of the next query:
///
///   43<id>[[...]]                                       everything fitted
///   43<id>[[...],{"more":true,"before":"<oldest id>"}]  last N, or `before` a message
///   43<id>[[...],{"more":true,"after":"<newest id>"}]   `after` a message
///
/// Clients that read only the first argument see what they always saw, minus what did
/// not fit. Pure functions, no I/O.

#include <relay/sdk/message.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace relay::plugins::websocket::socketio {

/// Which end of a store's answer (oldest first) a page keeps when not all of it fits:
/// the newest for the last N or `before` a message, the oldest for `after` one.
enum class PageEnd { newest, oldest };

/// The end a query pages from: `after` pages forward, anything else backward.
constexpr PageEnd page_end_for(bool has_after) noexcept {
    return has_after ? PageEnd::oldest : PageEnd::newest;
}

/// At least the bytes `msg` adds to a history reply: its JSON as broadcast, the comma
/// before it, its attachment placeholders renumbered, and each attachment plus
/// `frame_overhead` (what the frame carrying it costs the outbound queue).
std::size_t history_entry_bytes(const sdk::Message& msg, std::size_t frame_overhead);

/// The messages of a store's answer that go in one reply.
struct PageCut {
    std::size_t first = 0;  ///< index of the first message kept
    std::size_t count = 0;  ///< how many, from `first`
    bool more = false;      ///< some of the answer was left out
};

/// Picks from `sizes` (each message's bytes, oldest first), starting at the `keep` end,
/// as many messages as fit together in `budget`. When not even the first fits, that
/// one goes alone if it fits in `room` (what the client may still queue), so that
/// paging always gets past a message bigger than the budget; else the page is empty.
PageCut cut_history_page(std::span<const std::size_t> sizes, PageEnd keep, std::size_t budget,
                         std::size_t room);

/// The ack's second argument for a page that left messages out: the next query's
/// cursor, `{"more":true,"before":"<cursor>"}` (or `"after"`), or `{"more":true}`
/// when `cursor` is empty (ask the same again).
std::string history_more_object(PageEnd keep, std::string_view cursor);

/// Appends the JSON array of `messages` (each spliced as a broadcast is) to `out` and
/// moves their attachments to `attachments`, placeholders numbered in one sequence.
/// A message whose stored JSON is not an object is left out.
void append_history_array(std::string& out, std::span<sdk::Message> messages,
                          std::vector<std::string>& attachments);

}  // namespace relay::plugins::websocket::socketio
