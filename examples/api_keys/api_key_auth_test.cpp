// The SDK's authenticator contract run against ApiKeyAuth, plus what the contract
// cannot know: the keys file's rules and reload.
#include "api_key_auth.hpp"

#include <relay/sdk/testing/auth_contract.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace sdk = relay::sdk;

constexpr const char* kKey = "k-7f3a9c0e5b1d4f28a6c3";

std::string keys_file() {
    static const std::string path = (std::filesystem::temp_directory_path() /
                                     ("api_keys_test_" + std::to_string(::getpid()) + ".keys"))
                                        .string();
    return path;
}

void write_keys(const std::string& text) {
    std::ofstream(keys_file()) << text;
}

struct ApiKeyTraits {
    static sdk::Schema schema() { return api_keys::ApiKeyAuth::schema(); }
    static std::unique_ptr<sdk::Authenticator> make(sdk::PluginContext& ctx) {
        return std::make_unique<api_keys::ApiKeyAuth>(ctx);
    }
    static sdk::Handshake allowed() {
        sdk::Handshake h;
        h.headers = {{"authorization", std::string("Bearer ") + kKey}};
        h.room = "team-42/general";
        h.remote_address = "127.0.0.1";
        return h;
    }
    static sdk::Handshake refused() {
        sdk::Handshake h = allowed();
        h.headers = {{"x-api-key", "k-not-in-the-file-0123456789"}};
        return h;
    }
    static void set_up(sdk::testing::TestConfig& config) {
        write_keys(std::string("# the contract's key\n") + kKey +
                   " alice team-42/*=join,publish,history\n");
        config.set_string("file", keys_file());
    }
    static void tear_down(sdk::testing::TestConfig&) { std::filesystem::remove(keys_file()); }
};

TEST(KeyTable, ReadsKeysWithTheirUsersAndRooms) {
    write_keys("# comment\n\nk1 alice team-42/*=join,publish general=all\nk2 bob lobby=join\n");
    const auto table = api_keys::KeyTable::read(keys_file());
    EXPECT_EQ(table.size(), 2U);
    const auto alice = table.find("k1");
    ASSERT_TRUE(alice);
    EXPECT_EQ(alice->user_id, "alice");
    EXPECT_TRUE(alice->may(sdk::Permission::publish, "team-42/ops"));
    EXPECT_FALSE(alice->may(sdk::Permission::history, "team-42/ops"));
    EXPECT_TRUE(alice->may(sdk::Permission::presence, "general"));
    EXPECT_FALSE(alice->may(sdk::Permission::join, "lobby"));
    EXPECT_FALSE(table.find("k3"));
}

TEST(KeyTable, ABadLineIsNamedByFileAndLineWithoutTheKey) {
    write_keys("k1 alice general=join\nsecret-key-2 bob general=join,shout\n");
    try {
        (void)api_keys::KeyTable::read(keys_file());
        FAIL() << "a bad permission was accepted";
    } catch (const api_keys::KeyFileError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(keys_file() + ":2: unknown permission"), std::string::npos) << what;
        EXPECT_EQ(what.find("secret-key-2"), std::string::npos) << "the key is in: " << what;
    }
}

TEST(KeyTable, RefusesAKeyListedTwiceAndAKeyWithoutRooms) {
    write_keys("k1 alice general=join\nk1 bob general=join\n");
    EXPECT_THROW((void)api_keys::KeyTable::read(keys_file()), api_keys::KeyFileError);
    write_keys("k1 alice\n");
    EXPECT_THROW((void)api_keys::KeyTable::read(keys_file()), api_keys::KeyFileError);
    std::filesystem::remove(keys_file());
    EXPECT_THROW((void)api_keys::KeyTable::read(keys_file()), api_keys::KeyFileError);
}

}  // namespace

namespace relay::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(ApiKeys, AuthContract, ::testing::Types<ApiKeyTraits>);
}  // namespace relay::sdk::testing
