#include "config_check.hpp"

#include "settings.hpp"

#include <string>

namespace relay::plugins::jwt {

std::vector<sdk::KeyProblem> check_config(const sdk::ConfigView& config) {
    auto problems = binding().problems(config);
    if (!problems.empty()) return problems;
    const Settings settings = parse_settings(config);
    auto loaded = load_keys(settings.keys);
    if (!loaded.problems.empty()) return std::move(loaded.problems);

    if (!config.is_set("algorithms") || loaded.keys->has_family(KeyFamily::hmac)) return problems;
    std::string listed;
    for (const auto& name : settings.algorithms) {
        const auto algorithm = algorithm_named(name);
        if (!algorithm || family_of(*algorithm) != KeyFamily::hmac) continue;
        listed += (listed.empty() ? "" : ", ") + name;
    }
    if (!listed.empty()) {
        problems.push_back({"algorithms", listed +
                                              " listed but no HMAC secret: set secret or "
                                              "secret_file, add oct keys to jwks_file, or remove "
                                              "them from algorithms"});
    }
    return problems;
}

}  // namespace relay::plugins::jwt
