#include "key_loader.hpp"

#include "jwks.hpp"
#include "pem_keys.hpp"

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

namespace relay::plugins::jwt {

namespace {

constexpr std::uintmax_t kMaxKeyFileBytes = std::uintmax_t{1024} * 1024;

/// A file's whole text, or why it cannot be read.
struct FileText {
    std::string text;
    std::string error;
};

FileText read_file(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) return {{}, path + ": cannot read: " + ec.message()};
    if (size > kMaxKeyFileBytes) {
        return {{}, path + ": " + std::to_string(size) + " bytes is too large for a key file"};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return {{}, path + ": cannot read: " + std::generic_category().message(errno)};
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return {{}, path + ": cannot read: I/O error"};
    return {std::move(text).str(), {}};
}

std::string weak_secret(std::size_t size) {
    return "a secret of " + std::to_string(size) + " bytes is too weak for HS256: use at least " +
           std::to_string(kMinSecretBytes) + " random bytes";
}

void add_secret(std::string secret, std::string origin, std::vector<VerifyKey>& keys) {
    VerifyKey key;
    key.family = KeyFamily::hmac;
    key.secret = std::move(secret);
    key.origin = std::move(origin);
    keys.push_back(std::move(key));
}

}  // namespace

LoadedKeys load_keys(const KeySources& sources) {
    LoadedKeys loaded;
    std::vector<VerifyKey> keys;
    auto& problems = loaded.problems;
    if (sources.secret) {
        if (sources.secret->size() < kMinSecretBytes) {
            problems.push_back({"secret", weak_secret(sources.secret->size())});
        } else {
            add_secret(*sources.secret, "secret", keys);
        }
    }
    if (sources.secret_file) {
        const std::string& path = *sources.secret_file;
        auto file = read_file(path);
        // Editors and `echo` end a file with a newline that is no part of the secret.
        while (!file.text.empty() && (file.text.back() == '\n' || file.text.back() == '\r')) {
            file.text.pop_back();
        }
        if (!file.error.empty()) {
            problems.push_back({"secret_file", file.error});
        } else if (file.text.size() < kMinSecretBytes) {
            problems.push_back({"secret_file", path + ": " + weak_secret(file.text.size())});
        } else {
            add_secret(std::move(file.text), path, keys);
        }
    }
    for (const auto& path : sources.public_keys) {
        const auto file = read_file(path);
        if (!file.error.empty()) {
            problems.push_back({"public_keys", file.error});
            continue;
        }
        auto parsed = pem_public_keys(file.text, path);
        if (!parsed.error.empty()) {
            problems.push_back({"public_keys", path + ": " + parsed.error});
            continue;
        }
        std::move(parsed.keys.begin(), parsed.keys.end(), std::back_inserter(keys));
    }
    if (sources.jwks_file) {
        const std::string& path = *sources.jwks_file;
        const auto file = read_file(path);
        if (!file.error.empty()) {
            problems.push_back({"jwks_file", file.error});
        } else {
            auto parsed = jwks_keys(file.text, path, kMinSecretBytes);
            if (!parsed.error.empty()) {
                problems.push_back({"jwks_file", path + ": " + parsed.error});
            } else {
                std::move(parsed.keys.begin(), parsed.keys.end(), std::back_inserter(keys));
            }
        }
    }
    if (problems.empty()) loaded.keys = std::make_shared<const KeySet>(std::move(keys));
    return loaded;
}

}  // namespace relay::plugins::jwt
