#pragma once
#include <string>
#include <system_error>

namespace relay::plugins::websocket {

/// The std::error_category of an error enum: its name, and a function that gives the
/// text of each value (and a general text for a value outside the enum). Each enum's
/// category function holds one, as a function-local static:
///
///     const std::error_category& engineio_category() noexcept {
///         static const EnumErrorCategory<Errc> category("relay.websocket.engineio", describe);
///         return category;
///     }
template <typename Enum>
class EnumErrorCategory final : public std::error_category {
public:
    using Describe = const char* (*)(Enum) noexcept;

    constexpr EnumErrorCategory(const char* name, Describe describe) noexcept
        : name_(name), describe_(describe) {}

    const char* name() const noexcept override { return name_; }
    std::string message(int value) const override { return describe_(static_cast<Enum>(value)); }

private:
    const char* name_;
    Describe describe_;
};

}  // namespace relay::plugins::websocket
