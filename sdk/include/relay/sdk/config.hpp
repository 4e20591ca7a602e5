#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace relay::sdk {

/// The type of a configuration value, as the host validates it before a plugin starts.
enum class ValueType {
    string,       ///< any scalar text
    integer,      ///< a whole number; `min`/`max` bound it
    number,       ///< a decimal number
    boolean,      ///< true / false
    duration,     ///< a number with a unit: 250ms, 5s, 2m, 1h (0 may stand alone)
    size,         ///< bytes, with an optional unit: 1048576, 64KiB, 1MiB, 1MB
    string_list,  ///< a YAML sequence of scalars (a single scalar is a list of one)
    endpoint,     ///< host:port, with an optional [v6]:port; port 0 asks for a free one
};

/// Printable name of a type, as used in error messages ("a duration").
std::string_view describe(ValueType type) noexcept;

/// One key of a plugin's configuration: the data that drives validation,
/// `relay check` and `relay plugins`.
struct ConfigKey {
    std::string name;
    ValueType type = ValueType::string;
    std::optional<std::string> default_value;  ///< YAML text, validated like user input
    std::string description;                   ///< one line, shown by `relay plugins`
    bool required = false;                     ///< a key without a default that must be set
    std::optional<std::int64_t> min;           ///< integer, size and duration (ms) keys
    std::optional<std::int64_t> max;
    std::vector<std::string> choices;  ///< string keys: the allowed values
    bool secret = false;               ///< never logged or printed
    /// SIGHUP may change it in a running plugin: the host hands the new section to the
    /// plugin's reconfigure() (a transport's) instead of naming it as needing a restart.
    bool live_reload = false;

    // Fluent setters, so a schema reads as data without listing every field:
    //   config_key("capacity", ValueType::integer, "max in flight")
    //       .fallback("1000")
    //       .at_least(1)
    ConfigKey fallback(std::string value) && {
        default_value = std::move(value);
        return std::move(*this);
    }
    ConfigKey needed() && {
        required = true;
        return std::move(*this);
    }
    ConfigKey at_least(std::int64_t value) && {
        min = value;
        return std::move(*this);
    }
    ConfigKey at_most(std::int64_t value) && {
        max = value;
        return std::move(*this);
    }
    /// Duration keys: bounds in milliseconds.
    ConfigKey at_least(std::chrono::milliseconds value) && {
        min = value.count();
        return std::move(*this);
    }
    ConfigKey at_most(std::chrono::milliseconds value) && {
        max = value.count();
        return std::move(*this);
    }
    ConfigKey one_of(std::vector<std::string> values) && {
        choices = std::move(values);
        return std::move(*this);
    }
    ConfigKey hidden() && {
        secret = true;
        return std::move(*this);
    }
    ConfigKey reloadable() && {
        live_reload = true;
        return std::move(*this);
    }
};

/// Starts a schema key; chain fallback(), needed(), at_least(), at_most(), one_of(), hidden(),
/// reloadable().
inline ConfigKey config_key(std::string name, ValueType type, std::string description) {
    ConfigKey k;
    k.name = std::move(name);
    k.type = type;
    k.description = std::move(description);
    return k;
}

using Schema = std::vector<ConfigKey>;

/// Thrown for a configuration problem; `what()` is the whole line to print,
/// `file:line:col: key.path: message`.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A problem a plugin's own check found with one of its keys.
struct KeyProblem {
    std::string key;
    std::string message;  ///< "expected …, got …; hint"
};

/// A plugin's validated configuration. Every key of the plugin's schema can be read
/// with the getter of its type: set keys have the user's value, others their default.
/// Reading a key outside the schema, or with the wrong getter, throws std::logic_error
/// (a bug in the plugin, not bad input). Thread safety: const, safe from any thread.
class ConfigView {
public:
    virtual ~ConfigView() = default;

    /// True when the key was set in the file or has a default.
    virtual bool has(std::string_view key) const = 0;
    /// True when the key was set in the file (not only defaulted).
    virtual bool is_set(std::string_view key) const = 0;

    virtual std::string string(std::string_view key) const = 0;
    virtual std::int64_t integer(std::string_view key) const = 0;
    virtual double number(std::string_view key) const = 0;
    virtual bool boolean(std::string_view key) const = 0;
    virtual std::chrono::milliseconds duration(std::string_view key) const = 0;
    virtual std::uint64_t size(std::string_view key) const = 0;
    virtual std::vector<std::string> string_list(std::string_view key) const = 0;
    /// An endpoint as written (host:port); split it with the host's or Asio's resolver.
    virtual std::string endpoint(std::string_view key) const = 0;

    /// `file:line:col: section.key` of the key (or of its section when defaulted).
    virtual std::string where(std::string_view key) const = 0;

    /// Throws ConfigError located at `key`.
    [[noreturn]] void fail(std::string_view key, std::string_view message) const {
        throw ConfigError(where(key) + ": " + std::string(message));
    }
};

inline std::string_view describe(ValueType type) noexcept {
    switch (type) {
        case ValueType::string: return "a string";
        case ValueType::integer: return "an integer";
        case ValueType::number: return "a number";
        case ValueType::boolean: return "true or false";
        case ValueType::duration: return "a duration like 250ms or 5s";
        case ValueType::size: return "a size like 65536 or 64KiB";
        case ValueType::string_list: return "a list of strings";
        case ValueType::endpoint: return "host:port";
    }
    return "a value";
}

}  // namespace relay::sdk
