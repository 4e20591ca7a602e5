#include "config/plugin_config.hpp"

#include <stdexcept>
#include <utility>

namespace relay::host {
namespace {

// The Value alternative that holds each type (see Value).
std::size_t alternative_of(sdk::ValueType type) {
    switch (type) {
        case sdk::ValueType::string:
        case sdk::ValueType::endpoint: return 0;
        case sdk::ValueType::integer: return 1;
        case sdk::ValueType::number: return 2;
        case sdk::ValueType::boolean: return 3;
        case sdk::ValueType::duration: return 4;
        case sdk::ValueType::size: return 5;
        case sdk::ValueType::string_list: return 6;
    }
    return 0;
}

}  // namespace

PluginConfig::PluginConfig(std::string section, Location section_where)
    : section_(std::move(section)), section_where_(std::move(section_where)) {}

void PluginConfig::declare(const sdk::ConfigKey& key, std::optional<Value> default_value) {
    if (default_value && default_value->index() != alternative_of(key.type)) {
        throw std::logic_error("PluginConfig: default of '" + section_ + "." + key.name +
                               "' does not hold a " + std::string(type_name(key.type)));
    }
    entries_[key.name] = Entry{key.type, std::move(default_value), std::nullopt};
}

void PluginConfig::set(std::string_view key, Value value, Location where) {
    const auto it = entries_.find(key);
    if (it == entries_.end()) {
        throw std::logic_error("PluginConfig: no key '" + std::string(key) + "' in section '" +
                               section_ + "'");
    }
    if (value.index() != alternative_of(it->second.type)) {
        throw std::logic_error("PluginConfig: value of '" + section_ + "." + std::string(key) +
                               "' does not hold a " + std::string(type_name(it->second.type)));
    }
    it->second.value = std::move(value);
    it->second.where = std::move(where);
}

std::optional<Location> PluginConfig::location(std::string_view key) const {
    const auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return it->second.where ? *it->second.where : section_where_;
}

const PluginConfig::Entry& PluginConfig::entry(std::string_view key) const {
    const auto it = entries_.find(key);
    if (it == entries_.end()) {
        throw std::logic_error("PluginConfig: no key '" + std::string(key) + "' in section '" +
                               section_ + "'");
    }
    return it->second;
}

const Value& PluginConfig::value_of(std::string_view key, sdk::ValueType type) const {
    const Entry& found = entry(key);
    if (found.type != type) {
        throw std::logic_error("PluginConfig: '" + section_ + "." + std::string(key) + "' is a " +
                               std::string(type_name(found.type)) + ", read as " +
                               std::string(type_name(type)));
    }
    if (!found.value) {
        throw std::logic_error("PluginConfig: '" + section_ + "." + std::string(key) +
                               "' has no value (not set, no default); check has() first");
    }
    return *found.value;
}

bool PluginConfig::has(std::string_view key) const {
    const auto it = entries_.find(key);
    return it != entries_.end() && it->second.value.has_value();
}

bool PluginConfig::is_set(std::string_view key) const {
    const auto it = entries_.find(key);
    return it != entries_.end() && it->second.where.has_value();
}

std::string PluginConfig::string(std::string_view key) const {
    return std::get<std::string>(value_of(key, sdk::ValueType::string));
}

std::int64_t PluginConfig::integer(std::string_view key) const {
    return std::get<std::int64_t>(value_of(key, sdk::ValueType::integer));
}

double PluginConfig::number(std::string_view key) const {
    return std::get<double>(value_of(key, sdk::ValueType::number));
}

bool PluginConfig::boolean(std::string_view key) const {
    return std::get<bool>(value_of(key, sdk::ValueType::boolean));
}

std::chrono::milliseconds PluginConfig::duration(std::string_view key) const {
    return std::get<std::chrono::milliseconds>(value_of(key, sdk::ValueType::duration));
}

std::uint64_t PluginConfig::size(std::string_view key) const {
    return std::get<std::uint64_t>(value_of(key, sdk::ValueType::size));
}

std::vector<std::string> PluginConfig::string_list(std::string_view key) const {
    return std::get<std::vector<std::string>>(value_of(key, sdk::ValueType::string_list));
}

std::string PluginConfig::endpoint(std::string_view key) const {
    return std::get<std::string>(value_of(key, sdk::ValueType::endpoint));
}

std::string PluginConfig::where(std::string_view key) const {
    const Entry& found = entry(key);
    const Location& at = found.where ? *found.where : section_where_;
    return at.format() + ": " + section_ + "." + std::string(key);
}

}  // namespace relay::host
