#pragma once
// The keys file of the api_keys example: one key per line,
//
//   <key> <user> <room pattern>=<permissions>[ <room pattern>=<permissions>...]
//
// permissions: comma-separated join, publish, history, presence (or `all`); `#` starts
// a comment line. Example: `k-7f3a9c alice team-42/*=join,publish,history general=join`.
#include <relay/sdk/auth.hpp>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace api_keys {

/// A line of the keys file that could not be read: what() is "FILE:LINE: why".
class KeyFileError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Every key of one keys file, and the identity each stands for. Immutable once read,
/// so any number of threads may look keys up at once.
class KeyTable {
public:
    /// Reads `path`; throws KeyFileError (a file that does not open, a bad line, a key
    /// listed twice).
    static KeyTable read(const std::string& path);

    /// The identity `key` stands for, if it is in the table.
    std::optional<relay::sdk::Identity> find(const std::string& key) const;
    std::size_t size() const { return identities_.size(); }

private:
    std::map<std::string, relay::sdk::Identity, std::less<>> identities_;
};

}  // namespace api_keys
