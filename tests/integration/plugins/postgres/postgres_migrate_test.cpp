// `relay migrate` against a real server: applies the store's migrations without
// starting the pipeline, says what it did, and refuses a newer schema with exit 1.
#include "postgres_test_support.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <fstream>

namespace relay::plugins::postgres::testing {
namespace {

using relay::testing::Process;
using relay::testing::TempDir;

class RelayMigrate : public ::testing::Test {
protected:
    void SetUp() override {
        db_ = fresh_database(shared_server());
        std::ofstream(dir_ / "pipeline.yaml")
            << "plugins: { path: [" << RELAY_TEST_PLUGIN_DIR << ", " << RELAY_PLUGIN_DIR << "] }\n"
            << "transport: { use: testline, listen: 127.0.0.1:0 }\n"
            << "queue: { use: memory }\n"
            << "presence: { use: local }\n"
            << "store: { use: postgres, dsn: '" << shared_server().dsn(db_) << "' }\n";
    }
    void TearDown() override { shared_server().drop_database(db_); }

    relay::testing::Finished migrate() {
        return Process::run({RELAY_BINARY, "migrate", (dir_ / "pipeline.yaml").string()},
                            dir_.path());
    }
    std::string scalar(const std::string& sql) { return shared_server().scalar(sql, db_); }

    TempDir dir_;
    std::string db_;
};

TEST_F(RelayMigrate, AppliesTheMigrationsOnceAndSaysWhat) {
    auto first = migrate();
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_EQ(first.out,
              "store 'postgres': schema at version 1; applied migration(s) 1 (messages table "
              "and its (room, id) index)\n");
    EXPECT_EQ(scalar("SELECT count(*) FROM relay_schema_migrations"), "1");
    EXPECT_EQ(scalar("SELECT count(*) FROM relay_messages"), "0");

    auto second = migrate();
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_EQ(second.out, "store 'postgres': schema at version 1 (up to date)\n");
    EXPECT_EQ(scalar("SELECT count(*) FROM relay_schema_migrations"), "1");
}

TEST_F(RelayMigrate, ANewerSchemaIsRefusedWithExitOne) {
    ASSERT_EQ(migrate().exit_code, 0);
    scalar(
        "INSERT INTO relay_schema_migrations (version, description) VALUES (9, 'future') "
        "RETURNING version");
    auto refused = migrate();
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_EQ(refused.out, "");
    EXPECT_NE(refused.err.find("store 'postgres': migration failed: the database's schema "
                               "version 9 is newer than this plugin's 1"),
              std::string::npos)
        << refused.err;
}

TEST_F(RelayMigrate, APipelineWithoutAStoreHasNothingToMigrate) {
    std::ofstream(dir_ / "pipeline.yaml", std::ios::trunc)
        << "plugins: { path: [" << RELAY_TEST_PLUGIN_DIR << ", " << RELAY_PLUGIN_DIR << "] }\n"
        << "transport: { use: testline, listen: 127.0.0.1:0 }\n"
        << "queue: { use: memory }\n"
        << "presence: { use: local }\n";
    auto none = migrate();
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_EQ(none.err, "the pipeline has no store: nothing to migrate\n");
}

}  // namespace
}  // namespace relay::plugins::postgres::testing
