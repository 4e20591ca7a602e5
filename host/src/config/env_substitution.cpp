#include "config/env_substitution.hpp"

#include <algorithm>
#include <cstdlib>

namespace relay::host {
namespace {

bool is_name_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_name(std::string_view name) {
    return !name.empty() && is_name_start(name.front()) &&
           std::all_of(name.begin(), name.end(), is_name_char);
}

}  // namespace

std::optional<std::string> process_env(std::string_view name) {
    // getenv needs a terminated string; the environment is not modified while we run.
    const char* value = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) return std::nullopt;
    return std::string(value);
}

Substituted substitute_env(std::string_view text, const EnvLookup& env) {
    Substituted result;
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t dollar = text.find('$', i);
        if (dollar == std::string_view::npos || dollar + 1 >= text.size()) {
            result.text.append(text.substr(i));
            break;
        }
        result.text.append(text.substr(i, dollar - i));
        const char next = text[dollar + 1];
        if (next == '$') {
            result.text += '$';
            i = dollar + 2;
            continue;
        }
        if (next != '{') {
            result.text += '$';
            i = dollar + 1;
            continue;
        }
        const std::size_t close = text.find('}', dollar + 2);
        if (close == std::string_view::npos) {
            result.error = "expected '}' to close '${'";
            return result;
        }
        const std::string_view inside = text.substr(dollar + 2, close - dollar - 2);
        const std::size_t sep = inside.find(":-");
        const std::string_view name = inside.substr(0, sep);
        if (!is_name(name)) {
            result.error = "expected an environment variable name in '${...}', got \"" +
                           std::string(name) + "\"";
            return result;
        }
        std::optional<std::string> value = env ? env(name) : std::nullopt;
        if (sep != std::string_view::npos) {
            if (!value || value->empty()) value = std::string(inside.substr(sep + 2));
        } else if (!value) {
            result.error = "environment variable " + std::string(name) + " is not set";
            return result;
        }
        result.text += *value;
        i = close + 1;
    }
    return result;
}

}  // namespace relay::host
