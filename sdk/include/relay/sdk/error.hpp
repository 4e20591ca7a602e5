#pragma once
#include <string>
#include <string_view>
#include <system_error>

namespace relay::sdk {

/// Data-plane errors shared by every plugin kind. A plugin with errors of its own
/// defines its own category; these are the ones the host and transports act on.
enum class Errc {
    queue_full = 1,     ///< backpressure: the queue cannot take more right now
    rejected,           ///< a processor rejected the message
    unavailable,        ///< the backend cannot be reached
    timed_out,          ///< the backend did not answer in time
    not_supported,      ///< the plugin does not offer this operation
    shutting_down,      ///< the host is stopping and takes no new work
    invalid_argument,   ///< the request itself is malformed
    payload_too_large,  ///< the message exceeds a configured size limit
};

const std::error_category& relay_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), relay_category()};
}

/// The category lives in this header (inline) so that plugins and the host agree on
/// one object only through the host: plugins must compare by value(), not address,
/// when an error crossed a library boundary. `same_error` does that.
inline bool same_error(const std::error_code& ec, Errc e) noexcept {
    return ec.value() == static_cast<int>(e) && std::string_view(ec.category().name()) == "relay";
}

namespace detail {
class RelayCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "relay"; }
    std::string message(int value) const override {
        switch (static_cast<Errc>(value)) {
            case Errc::queue_full: return "queue is full";
            case Errc::rejected: return "rejected";
            case Errc::unavailable: return "backend unavailable";
            case Errc::timed_out: return "timed out";
            case Errc::not_supported: return "not supported";
            case Errc::shutting_down: return "shutting down";
            case Errc::invalid_argument: return "invalid argument";
            case Errc::payload_too_large: return "payload too large";
        }
        return "unknown relay error";
    }
};
}  // namespace detail

inline const std::error_category& relay_category() noexcept {
    static const detail::RelayCategory category;
    return category;
}

}  // namespace relay::sdk

template <>
struct std::is_error_code_enum<relay::sdk::Errc> : std::true_type {};
