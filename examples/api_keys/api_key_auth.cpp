#include "api_key_auth.hpp"

#include <string>
#include <string_view>

namespace api_keys {
namespace {

namespace sdk = relay::sdk;

/// The key a handshake presents: `Authorization: Bearer <key>`, else `X-Api-Key`.
std::string presented_key(const sdk::Handshake& handshake) {
    constexpr std::string_view kBearer = "Bearer ";
    const auto authorization = handshake.header("authorization");
    if (authorization.starts_with(kBearer)) {
        return std::string(authorization.substr(kBearer.size()));
    }
    return std::string(handshake.header("x-api-key"));
}

}  // namespace

ApiKeyAuth::ApiKeyAuth(sdk::PluginContext& ctx)
    : log_(ctx.log()),
      path_(ctx.config().string("file")),
      table_(std::make_shared<const KeyTable>(KeyTable::read(path_))) {
    log_.info("api keys: " + std::to_string(table_->size()) + " key(s) from " + path_);
}

void ApiKeyAuth::authenticate(const sdk::Handshake& handshake, sdk::AuthDone done) {
    const auto key = presented_key(handshake);
    if (key.empty()) return done(sdk::AuthOutcome::refuse("API key missing"));
    auto identity = table()->find(key);
    // The reason never repeats the key: it reaches the client and the logs.
    if (!identity) return done(sdk::AuthOutcome::refuse("unknown API key"));
    done(sdk::AuthOutcome::allow(std::move(*identity)));
}

void ApiKeyAuth::reload() {
    try {
        auto fresh = std::make_shared<const KeyTable>(KeyTable::read(path_));
        log_.info("api keys reloaded: " + std::to_string(fresh->size()) + " key(s)");
        std::lock_guard lock(mutex_);
        table_ = std::move(fresh);
    } catch (const KeyFileError& e) {
        log_.warn(std::string("api keys: kept the previous keys, the file does not read: ") +
                  e.what());
    }
}

std::shared_ptr<const KeyTable> ApiKeyAuth::table() const {
    std::lock_guard lock(mutex_);
    return table_;
}

sdk::Schema ApiKeyAuth::schema() {
    return {sdk::config_key("file", sdk::ValueType::string,
                            "the keys file: one '<key> <user> <room pattern>=<permissions>...' "
                            "per line, re-read on SIGHUP")
                .needed()};
}

std::vector<sdk::KeyProblem> ApiKeyAuth::check(const sdk::ConfigView& config) {
    try {
        (void)KeyTable::read(config.string("file"));
    } catch (const KeyFileError& e) {
        return {{"file", e.what()}};
    }
    return {};
}

}  // namespace api_keys
