#pragma once
#include "config/diagnostic.hpp"
#include "config/value_parsing.hpp"

#include <relay/sdk/config.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace relay::host {

/// The validated configuration of one section (a plugin's, or a host section such as
/// `node`): every key of its schema with its typed value — the user's, or the default —
/// and where it came from.
///
/// Lifecycle: built by the pipeline loader (or directly, in tests) through declare()
/// and set(); read-only once handed out. Thread safety: the const interface is safe
/// from any thread. Reading a key outside the schema, a key without a value, or a key
/// through the getter of another type throws std::logic_error (a plugin bug).
class PluginConfig final : public sdk::ConfigView {
public:
    /// An empty config for the section at key path `section` ("queue",
    /// "processors[0]"), whose mapping is at `section_where`.
    PluginConfig(std::string section, Location section_where);

    /// Adds schema key `key` with its default (nullopt: none). The value must hold the
    /// alternative of `key.type` (see Value).
    void declare(const sdk::ConfigKey& key, std::optional<Value> default_value);
    /// Records the user's value of a declared key, written at `where`.
    void set(std::string_view key, Value value, Location where);

    const std::string& section() const noexcept { return section_; }
    const Location& section_where() const noexcept { return section_where_; }
    /// Where `key` was set, or the section's location; nullopt for a key outside the schema.
    std::optional<Location> location(std::string_view key) const;

    bool has(std::string_view key) const override;
    bool is_set(std::string_view key) const override;
    std::string string(std::string_view key) const override;
    std::int64_t integer(std::string_view key) const override;
    double number(std::string_view key) const override;
    bool boolean(std::string_view key) const override;
    std::chrono::milliseconds duration(std::string_view key) const override;
    std::uint64_t size(std::string_view key) const override;
    std::vector<std::string> string_list(std::string_view key) const override;
    std::string endpoint(std::string_view key) const override;
    /// `file:line:col: section.key`; for a key not set in the file, the section's place.
    std::string where(std::string_view key) const override;

private:
    struct Entry {
        sdk::ValueType type = sdk::ValueType::string;
        std::optional<Value> value;
        std::optional<Location> where;  ///< set in the file here
    };

    const Entry& entry(std::string_view key) const;
    const Value& value_of(std::string_view key, sdk::ValueType type) const;

    std::string section_;
    Location section_where_;
    std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace relay::host
