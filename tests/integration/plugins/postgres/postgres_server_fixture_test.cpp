// The PostgresServer fixture itself: a missing binary fails with the command that
// failed, and the cluster it makes is a real, isolated one.
#include "postgres_test_support.hpp"

#include <cstdlib>

namespace relay::plugins::postgres::testing {
namespace {

TEST(PostgresServerFixture, AMissingBinaryFailsWithTheCommandThatFailed) {
    ::setenv("RELAY_POSTGRES_BINDIR", "/nonexistent/postgresql/bin", 1);
    std::string error = "no error";
    try {
        PostgresServer server;
    } catch (const std::exception& e) {
        error = e.what();
    }
    ::unsetenv("RELAY_POSTGRES_BINDIR");
    EXPECT_NE(error.find("/nonexistent/postgresql/bin/initdb -D "), std::string::npos) << error;
    EXPECT_NE(error.find("` failed (exit 127)"), std::string::npos) << error;
    EXPECT_NE(error.find("install Debian's postgresql package"), std::string::npos) << error;
}

TEST(PostgresServerFixture, RunsOnALoopbackPortOfItsOwnAsAnUnprivilegedUser) {
    auto& server = shared_server();
    EXPECT_GT(server.port(), 0);
    EXPECT_TRUE(server.running());
    EXPECT_EQ(server.scalar("SELECT current_user"), "relay");
    EXPECT_EQ(server.scalar("SELECT inet_server_addr()::text"), "127.0.0.1/32");
    EXPECT_EQ(server.scalar("SELECT setting FROM pg_settings WHERE name = 'port'"),
              std::to_string(server.port()));
    // Not the system's cluster: its data directory is the fixture's temp dir.
    EXPECT_NE(server.scalar("SHOW data_directory").find("relay-pg-"), std::string::npos);
    EXPECT_EQ(server.scalar("SHOW server_encoding"), "UTF8");
}

}  // namespace
}  // namespace relay::plugins::postgres::testing
