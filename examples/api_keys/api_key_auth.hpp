#pragma once
// ApiKeyAuth: lets in the clients whose API key is in a keys file (see key_table.hpp),
// as the user and with the rooms the file gives that key. Clients send the key in an
// `Authorization: Bearer <key>` or an `X-Api-Key: <key>` header of their handshake
// (socket.io-client: `extraHeaders`; python-socketio: `headers`). Services and native
// clients use keys like this; browsers use tokens (the jwt plugin).
#include "key_table.hpp"

#include <relay/sdk/plugin.hpp>

#include <memory>
#include <mutex>

namespace api_keys {

class ApiKeyAuth final : public relay::sdk::Authenticator {
public:
    /// Reads the keys file named by the `file` setting; throws KeyFileError.
    explicit ApiKeyAuth(relay::sdk::PluginContext& ctx);

    void authenticate(const relay::sdk::Handshake& handshake, relay::sdk::AuthDone done) override;
    /// Reads the keys file again: keys added, changed or removed count from the next
    /// handshake on. A file that does not read keeps the keys there were, and says why.
    void reload() override;

    /// The plugin's settings, for its manifest and its tests.
    static relay::sdk::Schema schema();
    /// `relay check`: the keys file reads.
    static std::vector<relay::sdk::KeyProblem> check(const relay::sdk::ConfigView& config);

private:
    std::shared_ptr<const KeyTable> table() const;

    relay::sdk::Logger& log_;
    const std::string path_;
    mutable std::mutex mutex_;  // guards table_: handshakes read it while reload() swaps it
    std::shared_ptr<const KeyTable> table_;
};

}  // namespace api_keys
