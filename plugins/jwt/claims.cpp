#include "claims.hpp"

#include "refusal.hpp"
#include "rooms_claim.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace relay::plugins::jwt {

namespace {

using nlohmann::json;
using Clock = std::chrono::system_clock;

/// A NumericDate claim (seconds since the epoch, RFC 7519 §2).
struct NumericDate {
    bool present = false;
    bool valid = true;
    Clock::time_point at;
};

NumericDate numeric_date(const json& payload, const char* name) {
    const auto it = payload.find(name);
    if (it == payload.end()) return {};
    if (!it->is_number()) return {true, false, {}};
    const double seconds = it->get<double>();
    if (!std::isfinite(seconds)) return {true, false, {}};
    // Clamped to what system_clock's nanoseconds hold (years 1685 to 2255): a date
    // beyond is as good as forever, and converting it unclamped would overflow.
    constexpr double kLimit = 9e9;
    const std::chrono::duration<double> clamped(std::clamp(seconds, -kLimit, kLimit));
    return {true, true, Clock::time_point(std::chrono::duration_cast<Clock::duration>(clamped))};
}

bool string_equals(const json& value, const std::string& expected) {
    return value.is_string() && value.get_ref<const std::string&>() == expected;
}

bool audience_holds(const json& payload, const std::string& audience) {
    const auto aud = payload.find("aud");
    if (aud == payload.end()) return false;
    if (aud->is_array()) {
        return std::any_of(aud->begin(), aud->end(),
                           [&](const json& one) { return string_equals(one, audience); });
    }
    return string_equals(*aud, audience);
}

ClaimsVerdict refuse(std::string_view why) {
    return {why, {}};
}

}  // namespace

ClaimsVerdict check_claims(std::string_view payload_json, const ClaimRules& rules,
                           Clock::time_point now) {
    const json payload = json::parse(payload_json, nullptr, false);
    if (payload.is_discarded() || !payload.is_object()) return refuse(refusal::kTokenMalformed);
    const auto leeway = std::chrono::duration_cast<Clock::duration>(rules.leeway);

    const NumericDate exp = numeric_date(payload, "exp");
    const NumericDate nbf = numeric_date(payload, "nbf");
    if (!exp.valid || !nbf.valid) return refuse(refusal::kTokenMalformed);
    if (!exp.present && rules.require_exp) return refuse(refusal::kTokenHasNoExpiry);
    if (exp.present && now >= exp.at + leeway) return refuse(refusal::kTokenExpired);
    if (nbf.present && now + leeway < nbf.at) return refuse(refusal::kTokenNotYetValid);

    if (rules.issuer) {
        const auto iss = payload.find("iss");
        if (iss == payload.end() || !string_equals(*iss, *rules.issuer)) {
            return refuse(refusal::kInvalidIssuer);
        }
    }
    if (rules.audience && !audience_holds(payload, *rules.audience)) {
        return refuse(refusal::kInvalidAudience);
    }

    ClaimsVerdict verdict;
    sdk::Identity& identity = verdict.identity;
    const auto sub = payload.find("sub");
    if (sub == payload.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
        return refuse(refusal::kSubjectMissing);
    }
    identity.user_id = sub->get<std::string>();
    if (const auto name = payload.find(rules.name_claim);
        name != payload.end() && name->is_string()) {
        identity.name = name->get<std::string>();
    }
    if (const auto rooms = payload.find(rules.rooms_claim); rooms != payload.end()) {
        auto grants = parse_rooms_claim(*rooms);
        if (!grants) return refuse(refusal::kInvalidRoomsClaim);
        identity.rooms = std::move(*grants);
    }
    if (exp.present) identity.expires_at = exp.at + leeway;
    return verdict;
}

}  // namespace relay::plugins::jwt
