#pragma once
/// Reading the consumer group's line out of an `XINFO GROUPS <stream>` reply (an array
/// of flat [name, value, name, value...] arrays), for the backlog measure and the drain
/// check. Pure, no I/O.
#include "valkey/reply.hpp"

#include <cstddef>
#include <string_view>

namespace relay::plugins::valkey_streams {

/// A flat [k, v, k, v...] reply's value for `key`; nullptr when absent.
inline const valkey::Reply* value_of(const valkey::Reply& flat, std::string_view key) {
    for (std::size_t i = 0; i + 1 < flat.elements.size(); i += 2) {
        if (flat.elements[i].str == key) return &flat.elements[i + 1];
    }
    return nullptr;
}

/// The line of `group` in an XINFO GROUPS reply; nullptr when the stream has no such
/// group.
inline const valkey::Reply* find_group(const valkey::Reply& xinfo_groups, std::string_view group) {
    for (const auto& line : xinfo_groups.elements) {
        const valkey::Reply* name = value_of(line, "name");
        if (name && name->str == group) return &line;
    }
    return nullptr;
}

}  // namespace relay::plugins::valkey_streams
