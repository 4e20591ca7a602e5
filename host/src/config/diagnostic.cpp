#include "config/diagnostic.hpp"

#include <algorithm>
#include <charconv>

namespace relay::host {
namespace {

std::string join_lines(const std::vector<Diagnostic>& diagnostics) {
    std::string text;
    for (const auto& diagnostic : diagnostics) {
        if (!text.empty()) text += '\n';
        text += diagnostic.format();
    }
    return text;
}

// Reads a positive decimal number up to `stop` from the front of `text`.
std::optional<int> take_number(std::string_view& text, char stop) {
    const auto end = text.find(stop);
    if (end == std::string_view::npos || end == 0) return std::nullopt;
    int value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, value);
    if (ec != std::errc{} || ptr != text.data() + end || value <= 0) return std::nullopt;
    text.remove_prefix(end + 1);
    return value;
}

}  // namespace

std::string Location::format() const {
    if (line <= 0) return file;
    return file + ':' + std::to_string(line) + ':' + std::to_string(column);
}

std::string Diagnostic::format() const {
    std::string text = where.format();
    if (!key_path.empty()) text += ": " + key_path;
    if (!message.empty()) text += ": " + message;
    return text;
}

std::optional<Diagnostic> Diagnostic::parse(std::string_view line, std::string_view file) {
    if (line.size() <= file.size() || line.substr(0, file.size()) != file ||
        line[file.size()] != ':') {
        return std::nullopt;
    }
    std::string_view rest = line.substr(file.size() + 1);
    const auto line_number = take_number(rest, ':');
    if (!line_number) return std::nullopt;
    const auto column = take_number(rest, ':');
    if (!column || rest.empty() || rest.front() != ' ') return std::nullopt;
    rest.remove_prefix(1);
    Diagnostic diagnostic{Location{std::string(file), *line_number, *column}, {}, {}};
    // Key paths never contain ": ", so the first one ends the path.
    const auto colon = rest.find(": ");
    if (colon == std::string_view::npos) {
        diagnostic.key_path = std::string(rest);
    } else {
        diagnostic.key_path = std::string(rest.substr(0, colon));
        diagnostic.message = std::string(rest.substr(colon + 2));
    }
    return diagnostic;
}

void sort_in_file_order(std::vector<Diagnostic>& diagnostics) {
    std::stable_sort(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                         if (a.where.line != b.where.line) return a.where.line < b.where.line;
                         return a.where.column < b.where.column;
                     });
}

ConfigErrors::ConfigErrors(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join_lines(diagnostics)), diagnostics_(std::move(diagnostics)) {}

}  // namespace relay::host
