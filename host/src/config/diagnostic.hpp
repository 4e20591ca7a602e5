#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace relay::host {

/// A place in a config file. `line` and `column` are 1-based; 0 means "the whole file"
/// (an unreadable file has no line to point at).
struct Location {
    std::string file;  ///< as the user gave it
    int line = 0;
    int column = 0;

    /// `file:line:col`, or just `file` when there is no line.
    std::string format() const;
};

/// One problem found in a config file.
struct Diagnostic {
    Location where;
    std::string key_path;  ///< `queue.partitions`, `processors[0].use`; empty: the file itself
    std::string message;   ///< "expected …, got …; hint"

    /// `file:line:col: key.path: message` (the parts that are empty left out).
    std::string format() const;

    /// Reads back a line made by format() for `file` (how a plugin's sdk::ConfigError,
    /// thrown through ConfigView::fail, becomes a located diagnostic again).
    static std::optional<Diagnostic> parse(std::string_view line, std::string_view file);
};

/// Orders diagnostics by line, then column; problems at one place keep their order.
void sort_in_file_order(std::vector<Diagnostic>& diagnostics);

/// Every problem of a config file, in file order. `what()` is their lines joined by
/// '\n' (no trailing newline), ready to print.
class ConfigErrors : public std::runtime_error {
public:
    explicit ConfigErrors(std::vector<Diagnostic> diagnostics);

    const std::vector<Diagnostic>& diagnostics() const noexcept { return diagnostics_; }

private:
    std::vector<Diagnostic> diagnostics_;
};

}  // namespace relay::host
