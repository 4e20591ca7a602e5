#pragma once
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace relay::host {

/// Edit distance with adjacent transpositions (optimal string alignment), ASCII
/// case-insensitive: "brokres" → "brokers" is 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, for a "did you mean" hint; nullopt when none is
/// close enough. Close enough: at most max(2, length of `word` / 3) edits, and fewer
/// edits than the longer of the two has letters (so "ab" never suggests "id").
/// Ties go to the earlier candidate.
std::optional<std::string> suggest(std::string_view word, std::span<const std::string> candidates);

}  // namespace relay::host
