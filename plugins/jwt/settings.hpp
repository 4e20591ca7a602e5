#pragma once
/// The jwt authenticator's configuration: its keys as data, the problems the
/// configuration alone shows, and their parsing into the plain Settings the
/// authenticator takes. Only plugin.cpp, config_check.cpp and tests include this.
#include "algorithm.hpp"
#include "claims.hpp"
#include "key_loader.hpp"

#include <relay/sdk/config.hpp>
#include <relay/sdk/settings_binding.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace relay::plugins::jwt {

inline std::vector<std::string> all_algorithm_names() {
    std::vector<std::string> names;
    names.reserve(kAllAlgorithms.size());
    for (const auto algorithm : kAllAlgorithms) names.emplace_back(algorithm_name(algorithm));
    return names;
}

struct Settings {
    /// The allow-list of token `alg`s, by RFC 7518 name.
    std::vector<std::string> algorithms = all_algorithm_names();
    KeySources keys;
    ClaimRules claims;
};

inline const sdk::SettingsBinding<KeySources>& key_sources_binding() {
    using sdk::config_key;
    using sdk::ValueType;
    static const auto bound =
        sdk::SettingsBinding<KeySources>()
            .add(config_key("secret", ValueType::string,
                            "HMAC secret for HS256/384/512 tokens, at least 32 bytes; prefer "
                            "${VAR} substitution or secret_file")
                     .hidden(),
                 &KeySources::secret)
            .add(config_key("secret_file", ValueType::string,
                            "file holding the HMAC secret (a trailing newline is cut); re-read "
                            "on SIGHUP"),
                 &KeySources::secret_file)
            .add(config_key("public_keys", ValueType::string_list,
                            "PEM files, each with public keys or certificates (RSA for RS256, "
                            "EC P-256 for ES256, Ed25519 for EdDSA); re-read on SIGHUP"),
                 &KeySources::public_keys)
            .add(config_key("jwks_file", ValueType::string,
                            "JSON Web Key Set file; a token's kid picks its key; re-read on "
                            "SIGHUP"),
                 &KeySources::jwks_file);
    return bound;
}

inline const sdk::SettingsBinding<ClaimRules>& claim_rules_binding() {
    using sdk::config_key;
    using sdk::ValueType;
    static const auto bound =
        sdk::SettingsBinding<ClaimRules>()
            .add(config_key("issuer", ValueType::string, "when set, a token's iss must equal it"),
                 &ClaimRules::issuer)
            .add(config_key("audience", ValueType::string,
                            "when set, a token's aud (a string or a list) must hold it"),
                 &ClaimRules::audience)
            .add(config_key("leeway", ValueType::duration,
                            "clock skew tolerated for exp and nbf; a session ends at exp plus it")
                     .at_least(std::chrono::milliseconds(0)),
                 &ClaimRules::leeway)
            .add(config_key("require_exp", ValueType::boolean,
                            "refuse tokens without exp (\"token has no expiry\")"),
                 &ClaimRules::require_exp)
            .add(config_key("name_claim", ValueType::string,
                            "claim holding the name others see (else they see sub)"),
                 &ClaimRules::name_claim)
            .add(config_key("rooms_claim", ValueType::string,
                            "claim granting rooms: {pattern: [join, publish, history, "
                            "presence]} or [pattern, ...] for all four"),
                 &ClaimRules::rooms_claim);
    return bound;
}

/// What the configuration shows without reading a file: unknown or forbidden
/// algorithms, no key source, two sources for one secret.
inline std::vector<sdk::KeyProblem> settings_problems(const sdk::ConfigView& config) {
    std::vector<sdk::KeyProblem> problems;
    const auto algorithms = config.string_list("algorithms");
    if (algorithms.empty()) {
        problems.push_back({"algorithms", "expected at least one of " +
                                              sdk::values::format_list(all_algorithm_names())});
    }
    for (const auto& name : algorithms) {
        if (algorithm_named(name)) continue;
        if (name == "none" || name == "None" || name == "NONE") {
            problems.push_back(
                {"algorithms", "alg none is never allowed: an unsigned token proves nothing"});
        } else {
            problems.push_back({"algorithms", "expected one of " +
                                                  sdk::values::format_list(all_algorithm_names()) +
                                                  ", got " + sdk::values::quote(name)});
        }
    }
    if (config.has("secret") && config.has("secret_file")) {
        problems.push_back({"secret_file", "set secret or secret_file, not both"});
    }
    const bool any_source = config.has("secret") || config.has("secret_file") ||
                            !config.string_list("public_keys").empty() || config.has("jwks_file");
    if (!any_source) {
        problems.push_back({"secret",
                            "no key to verify tokens with: set secret, secret_file, public_keys "
                            "or jwks_file"});
    }
    return problems;
}

/// Every key, bound to its Settings member: the default is the member's.
inline const sdk::SettingsBinding<Settings>& binding() {
    using sdk::config_key;
    using sdk::ValueType;
    static const auto bound =
        sdk::SettingsBinding<Settings>()
            .add(config_key("algorithms", ValueType::string_list,
                            "token algorithms accepted (HS256, HS384, HS512, RS256, ES256, "
                            "EdDSA); none is never accepted, and each key verifies only its own "
                            "family's"),
                 &Settings::algorithms)
            .include(key_sources_binding(), &Settings::keys)
            .include(claim_rules_binding(), &Settings::claims)
            .check_problems(settings_problems);
    return bound;
}

inline sdk::Schema schema() {
    return binding().schema();
}

/// Reads the validated configuration. Throws sdk::ConfigError at the first problem
/// settings_problems() finds (a defence for hosts that did not check).
inline Settings parse_settings(const sdk::ConfigView& config) {
    return binding().read(config);
}

}  // namespace relay::plugins::jwt
