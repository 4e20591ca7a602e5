#pragma once
/// The local presence's configuration: it has no keys.
#include <relay/sdk/config.hpp>

namespace relay::plugins::local {

struct Settings {};

inline sdk::Schema schema() {
    return {};
}

inline Settings parse_settings(const sdk::ConfigView& /*config*/) {
    return {};
}

}  // namespace relay::plugins::local
