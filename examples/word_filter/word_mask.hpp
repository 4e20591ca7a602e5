#pragma once
// WordMask: replaces listed words in a text, whole words only, ignoring ASCII case.
// Kept apart from the processor so that its rules are tested on plain strings.
#include <string>
#include <string_view>
#include <vector>

namespace word_filter {

class WordMask {
public:
    /// `words`: what to mask (empty entries are ignored); `replacement`: what each
    /// occurrence becomes.
    WordMask(const std::vector<std::string>& words, std::string replacement);

    /// `text` with every listed word replaced, and how many were. A word is a run of
    /// letters, digits, `_`, `'` and bytes of multi-byte UTF-8 characters, so "ass"
    /// does not match inside "class" nor "é" split a word; listed words compare without
    /// regard to ASCII case.
    struct Result {
        std::string text;
        std::size_t masked = 0;
    };
    Result apply(std::string_view text) const;

    bool empty() const noexcept { return words_.empty(); }

private:
    bool listed(std::string_view word) const;

    std::vector<std::string> words_;  // lower-cased
    std::string replacement_;
};

}  // namespace word_filter
