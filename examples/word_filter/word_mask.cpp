#include "word_mask.hpp"

#include <algorithm>

namespace word_filter {

namespace {

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool word_byte(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    // Bytes of UTF-8 sequences belong to the word: splitting at them would cut a
    // character in two and could match a listed word inside a longer non-ASCII one.
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '\'' || u >= 0x80;
}

bool same_ignoring_case(std::string_view a, std::string_view lowered) noexcept {
    return a.size() == lowered.size() && std::equal(a.begin(), a.end(), lowered.begin(),
                                                    [](char x, char y) { return lower(x) == y; });
}

}  // namespace

WordMask::WordMask(const std::vector<std::string>& words, std::string replacement)
    : replacement_(std::move(replacement)) {
    for (const auto& word : words) {
        if (word.empty()) continue;
        std::string lowered(word);
        std::transform(lowered.begin(), lowered.end(), lowered.begin(), lower);
        words_.push_back(std::move(lowered));
    }
}

bool WordMask::listed(std::string_view word) const {
    return std::any_of(words_.begin(), words_.end(), [word](const std::string& listed_word) {
        return same_ignoring_case(word, listed_word);
    });
}

WordMask::Result WordMask::apply(std::string_view text) const {
    Result result;
    result.text.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        if (!word_byte(text[i])) {
            result.text.push_back(text[i++]);
            continue;
        }
        std::size_t end = i;
        while (end < text.size() && word_byte(text[end])) ++end;
        const std::string_view word = text.substr(i, end - i);
        if (listed(word)) {
            result.text += replacement_;
            ++result.masked;
        } else {
            result.text += word;
        }
        i = end;
    }
    return result;
}

}  // namespace word_filter
