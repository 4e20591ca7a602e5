#pragma once
/// A plugin's schema and its plain Settings struct bound together, so each default and
/// range is written once: a key's default is its member's value in a default-made
/// Settings, its range is the key's (which the host checks before the plugin starts,
/// and read() checks again in the host's words). Header-only.
///
///     struct Settings { std::size_t batch_max = 1000; std::chrono::milliseconds wait{5000}; };
///     inline const sdk::SettingsBinding<Settings>& binding() {
///         static const auto b = sdk::SettingsBinding<Settings>()
///             .add(config_key("batch_max", ValueType::integer, "…").at_least(1),
///                  &Settings::batch_max)
///             .add(config_key("wait", ValueType::duration, "…"), &Settings::wait);
///         return b;
///     }
///     // schema: binding().schema(); settings: binding().read(config)
///
/// A settings struct that several plugins share (a client's connection options) has a
/// binding of its own, next to the struct, and each plugin includes it for its member:
///
///     struct Settings { ConnectionOptions connection; std::string prefix = "relay:"; };
///     sdk::SettingsBinding<Settings>()
///         .include(connection_binding(), &Settings::connection)
///         .add(config_key("prefix", ValueType::string, "…"), &Settings::prefix);
///
/// where connection_binding() is a SettingsBinding<ConnectionOptions>: the shared keys'
/// defaults, bounds and checks stay in that one place.
#include <relay/sdk/config.hpp>
#include <relay/sdk/config_values.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace relay::sdk {

namespace binding_detail {

template <class T>
struct is_duration : std::false_type {};
template <class Rep, class Period>
struct is_duration<std::chrono::duration<Rep, Period>> : std::true_type {};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
inline std::string format(const ConfigKey& key, const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
        return value ? "true" : "false";
    } else if constexpr (is_duration<T>::value) {
        return values::format_duration(
            std::chrono::duration_cast<std::chrono::milliseconds>(value));
    } else if constexpr (std::is_integral_v<T>) {
        if (key.type == ValueType::size) {
            return values::format_size(static_cast<std::uint64_t>(value));
        }
        return std::to_string(value);
    } else if constexpr (std::is_floating_point_v<T>) {
        return values::format_number(static_cast<double>(value));
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        return values::format_list(value);
    } else {
        static_assert(std::is_same_v<T, std::string>, "no config type for this member");
        // A default is YAML text: quote what YAML would read otherwise (a leading
        // quote, spaces around it), so that the member's value is the key's default.
        const bool plain = values::yaml_scalar(value) == value;
        return plain ? value : values::quote(value);
    }
}

/// Fails `key` when `value` is outside its bounds (or what T can hold).
template <class T, class V>
T bounded(const ConfigView& config, const ConfigKey& key, V value, const std::string& shown) {
    const auto wide = static_cast<long double>(value);
    const bool below = key.min && wide < static_cast<long double>(*key.min);
    const bool above = key.max && wide > static_cast<long double>(*key.max);
    const bool unfit = wide < static_cast<long double>(std::numeric_limits<T>::lowest()) ||
                       wide > static_cast<long double>(std::numeric_limits<T>::max());
    if (below || above || unfit) config.fail(key.name, values::expected_got(key, shown));
    return static_cast<T>(value);
}

template <class T>
void read_into(const ConfigView& config, const ConfigKey& key, T& out) {
    if constexpr (std::is_same_v<T, bool>) {
        out = config.boolean(key.name);
    } else if constexpr (is_duration<T>::value) {
        const auto value = config.duration(key.name);
        (void)bounded<std::int64_t>(config, key, value.count(), values::format_duration(value));
        out = std::chrono::duration_cast<T>(value);
    } else if constexpr (std::is_integral_v<T>) {
        if (key.type == ValueType::size) {
            const auto value = config.size(key.name);
            out = bounded<T>(config, key, value, values::format_size(value));
        } else {
            const auto value = config.integer(key.name);
            out = bounded<T>(config, key, value, std::to_string(value));
        }
    } else if constexpr (std::is_floating_point_v<T>) {
        const double value = config.number(key.name);
        out = bounded<T>(config, key, value, std::to_string(value));
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        out = config.string_list(key.name);
    } else if (key.type == ValueType::endpoint) {
        out = config.endpoint(key.name);
    } else {
        out = config.string(key.name);
        if (!key.choices.empty() &&
            std::find(key.choices.begin(), key.choices.end(), out) == key.choices.end()) {
            config.fail(key.name, values::expected_got(key, values::quote(out)));
        }
    }
}

}  // namespace binding_detail

/// `key`'s value as T (the way SettingsBinding::add reads a member), failing `key`
/// when it is outside the key's bounds or what T can hold: for a plugin's own
/// readers (SettingsBinding::add_read).
template <class T>
T read_bound(const ConfigView& config, const ConfigKey& key) {
    T value{};
    binding_detail::read_into(config, key, value);
    return value;
}

template <class Settings>
class SettingsBinding {
public:
    /// A key whose value lands in `member`. The key's type decides how it is read:
    /// integer or size into an integral member, duration into a std::chrono::duration,
    /// number into a floating-point one, boolean into bool, string or endpoint into
    /// std::string, string_list into std::vector<std::string>. Its default is the
    /// member's value in Settings{} unless the key is needed() or the member is a
    /// std::optional (then an unset key leaves it empty). A key that already has a
    /// fallback is a bug: the default would be written twice.
    template <class T>
    SettingsBinding&& add(ConfigKey key, T Settings::*member) && {
        if (key.default_value) {
            throw std::logic_error("SettingsBinding: key '" + key.name +
                                   "' has a fallback; its default is the Settings member's");
        }
        if constexpr (!binding_detail::is_optional<T>::value) {
            if (!key.required) key.default_value = binding_detail::format(key, Settings{}.*member);
        }
        readers_.push_back([key, member](const ConfigView& config, Settings& settings) {
            if constexpr (binding_detail::is_optional<T>::value) {
                if (!config.has(key.name)) return;
                typename T::value_type value{};
                binding_detail::read_into(config, key, value);
                settings.*member = std::move(value);
            } else {
                binding_detail::read_into(config, key, settings.*member);
            }
        });
        keys_.push_back(std::move(key));
        return std::move(*this);
    }

    /// A string key whose choices map to an enum member; the key's choices are the
    /// names, its default the name of the member's value in Settings{}.
    template <class E>
    SettingsBinding&& add_choice(ConfigKey key, E Settings::*member,
                                 std::vector<std::pair<std::string, E>> names) && {
        key.choices.clear();
        for (const auto& [name, value] : names) {
            key.choices.push_back(name);
            if (value == Settings{}.*member) key.default_value = name;
        }
        readers_.push_back([key, member, names](const ConfigView& config, Settings& settings) {
            const std::string text = config.string(key.name);
            for (const auto& [name, value] : names) {
                if (name == text) {
                    settings.*member = value;
                    return;
                }
            }
            config.fail(key.name, values::expected_got(key, values::quote(text)));
        });
        keys_.push_back(std::move(key));
        return std::move(*this);
    }

    /// A key the plugin reads itself (a notation of its own, or one key feeding several
    /// members). Its default, if any, is the key's fallback.
    SettingsBinding&& add_read(ConfigKey key,
                               std::function<void(const ConfigView&, Settings&)> read) && {
        readers_.push_back(std::move(read));
        keys_.push_back(std::move(key));
        return std::move(*this);
    }

    /// Every key of `part`, a binding of a struct several plugins share, read into
    /// `member`, in `part`'s order at this place of the schema: so the shared keys'
    /// defaults, bounds, descriptions and checks are written once, in `part`. Their
    /// defaults are those of a default-made Part (not of Settings{}.*member). `part`'s
    /// checks run as soon as its keys are read, on the member alone; its check_problems
    /// join this binding's. A key name already bound is a bug.
    template <class Part>
    SettingsBinding&& include(const SettingsBinding<Part>& part, Part Settings::*member) && {
        for (const auto& key : part.keys_) {
            for (const auto& bound : keys_) {
                if (bound.name == key.name) {
                    throw std::logic_error("SettingsBinding: key '" + key.name +
                                           "' is bound twice");
                }
            }
            keys_.push_back(key);
        }
        for (const auto& reader : part.readers_) {
            readers_.push_back([reader, member](const ConfigView& config, Settings& settings) {
                reader(config, settings.*member);
            });
        }
        readers_.push_back(
            [checks = part.checks_, member](const ConfigView& config, Settings& settings) {
                for (const auto& check : checks) check(config, settings.*member);
            });
        problem_checks_.insert(problem_checks_.end(), part.problem_checks_.begin(),
                               part.problem_checks_.end());
        return std::move(*this);
    }

    /// A check across keys, run by read() after every key is read.
    SettingsBinding&& check(std::function<void(const ConfigView&, const Settings&)> check) && {
        checks_.push_back(std::move(check));
        return std::move(*this);
    }

    /// Problems a key's bounds cannot express, found from the config alone: problems()
    /// gathers them for the manifest's check (so `relay check` reports them all), and
    /// read() fails at the first.
    SettingsBinding&& check_problems(
        std::function<std::vector<KeyProblem>(const ConfigView&)> problems) && {
        problem_checks_.push_back(std::move(problems));
        return std::move(*this);
    }

    /// Every key, with its default and bounds: the plugin's manifest schema.
    const Schema& schema() const noexcept { return keys_; }

    /// Every check_problems' finding, in binding order: the plugin's manifest check.
    std::vector<KeyProblem> problems(const ConfigView& config) const {
        std::vector<KeyProblem> found;
        for (const auto& check : problem_checks_) {
            auto more = check(config);
            found.insert(found.end(), more.begin(), more.end());
        }
        return found;
    }

    /// The Settings a validated configuration says. Throws ConfigError for a value the
    /// schema's bounds or checks should have caught (a defence for hosts that did not
    /// check).
    Settings read(const ConfigView& config) const {
        Settings settings;
        for (const auto& reader : readers_) reader(config, settings);
        for (const auto& check : checks_) check(config, settings);
        if (auto found = problems(config); !found.empty()) {
            config.fail(found.front().key, found.front().message);
        }
        return settings;
    }

private:
    template <class>
    friend class SettingsBinding;  // include() reads a part's keys, readers and checks

    using Reader = std::function<void(const ConfigView&, Settings&)>;

    Schema keys_;
    std::vector<Reader> readers_;
    std::vector<std::function<void(const ConfigView&, const Settings&)>> checks_;
    std::vector<std::function<std::vector<KeyProblem>(const ConfigView&)>> problem_checks_;
};

}  // namespace relay::sdk
