#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace relay::host {

/// Looks up an environment variable; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

/// The real process environment (std::getenv).
std::optional<std::string> process_env(std::string_view name);

/// The text of a scalar after substitution, or why it could not be substituted.
struct Substituted {
    std::string text;
    std::optional<std::string> error;  ///< the message for a diagnostic at the scalar
};

/// Expands environment references in one scalar's text, anywhere in it and any number
/// of times:
///   `${NAME}`           the variable's value; an error when it is not set
///   `${NAME:-default}`  the value, or `default` when unset or empty (as in sh)
///   `$$`                a literal `$`
/// A `$` followed by anything else stays as it is. NAME is [A-Za-z_][A-Za-z0-9_]*;
/// defaults do not nest (the first `}` ends them) and are not expanded again.
/// Errors: "environment variable NAME is not set", "expected '}' to close '${'",
/// "expected an environment variable name in '${…}', got \"1X\"".
Substituted substitute_env(std::string_view text, const EnvLookup& env);

}  // namespace relay::host
