// The plugin loader against small plugins the test suite builds (tests/plugins):
// a valid one, another ABI version, a library that is not a plugin, a file that is
// not a library, a misnamed one, one with an undefined symbol; and the CLI's one-line errors with
// exit code 2.
#include "config/plugin_load_error.hpp"
#include "plugins/plugin_catalog.hpp"
#include "plugins/plugin_library.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace relay::testing {
namespace {

const std::filesystem::path kTestPlugins = RELAY_TEST_PLUGIN_DIR;

std::string load_error(const std::filesystem::path& file) {
    try {
        host::open_plugin_library(file);
    } catch (const host::PluginLoadError& e) {
        return e.what();
    }
    return "(loaded)";
}

TEST(PluginLoading, AValidPluginGivesItsManifest) {
    const auto lib = host::open_plugin_library(kTestPlugins / "librelay_testpass.so");
    ASSERT_NE(lib.manifest, nullptr);
    EXPECT_EQ(lib.manifest->name, "testpass");
    EXPECT_EQ(lib.manifest->version, "1.2.3");
    EXPECT_EQ(lib.manifest->kind(), sdk::Kind::processor);
    ASSERT_EQ(lib.manifest->schema.size(), 1U);
    EXPECT_EQ(lib.manifest->schema[0].name, "note");
}

TEST(PluginLoading, AnotherAbiVersionIsRefusedNamingBothVersions) {
    const auto file = kTestPlugins / "librelay_oldabi.so";
    EXPECT_EQ(load_error(file), file.string() +
                                    ": built for Relay SDK ABI version 999, but this relay speaks "
                                    "ABI version " +
                                    std::to_string(sdk::kAbiVersion) +
                                    "; rebuild the plugin against this SDK");
}

TEST(PluginLoading, ASharedLibraryThatIsNotAPluginIsRefused) {
    const auto file = kTestPlugins / "librelay_notaplugin.so";
    EXPECT_EQ(load_error(file),
              file.string() +
                  ": not a Relay plugin (it exports no 'relay_sdk_abi_version'; build it with "
                  "RELAY_PLUGIN)");
}

TEST(PluginLoading, AFileThatIsNotALibraryIsRefusedWithTheLinkersWords) {
    const auto file = kTestPlugins / "librelay_garbage.so";
    const auto error = load_error(file);
    EXPECT_TRUE(error.starts_with(file.string() + ": cannot load: ")) << error;
    EXPECT_NE(error.find("invalid ELF header"), std::string::npos) << error;
}

TEST(PluginLoading, AnUndefinedSymbolIsNamedAsCppSpellsIt) {
    const auto file = kTestPlugins / "librelay_undefined.so";
    EXPECT_EQ(load_error(file), file.string() +
                                    ": cannot load: undefined symbol: "
                                    "relay::tests::missing_function(int) "
                                    "(_ZN5relay5tests16missing_functionEi)");
}

TEST(PluginLoading, ReadableDlErrorDemanglesOnlyMangledNames) {
    EXPECT_EQ(host::readable_dl_error("undefined symbol: _ZN5relay3fooEv, version V1"),
              "undefined symbol: relay::foo() (_ZN5relay3fooEv), version V1");
    EXPECT_EQ(host::readable_dl_error("undefined symbol: plain_c_function"),
              "undefined symbol: plain_c_function");
    EXPECT_EQ(host::readable_dl_error("undefined symbol: i"), "undefined symbol: i");
    EXPECT_EQ(host::readable_dl_error("invalid ELF header"), "invalid ELF header");
}

TEST(PluginLoading, CatalogFindsByFileNameAndRefusesAMismatchedManifestName) {
    host::PluginCatalog catalog({kTestPlugins});
    EXPECT_NE(catalog.find("testpass"), nullptr);
    EXPECT_EQ(catalog.find("nosuchplugin"), nullptr);
    try {
        catalog.find("misnamed");
        FAIL() << "expected a PluginLoadError";
    } catch (const host::PluginLoadError& e) {
        EXPECT_EQ(std::string(e.what()),
                  (kTestPlugins / "librelay_misnamed.so").string() +
                      ": declares plugin 'othername', but its file name says 'misnamed'; name the "
                      "file librelay_othername.so");
    }
    const auto processors = catalog.names(sdk::Kind::processor);
    EXPECT_NE(std::find(processors.begin(), processors.end(), "testpass"), processors.end());
    EXPECT_EQ(std::find(processors.begin(), processors.end(), "throwing"), processors.end());
}

TEST(PluginLoading, ScanReportsUnusableFilesBesideTheGoodOnes) {
    host::PluginCatalog catalog({kTestPlugins});
    std::set<std::string> bad;
    std::set<std::string> good;
    for (const auto& entry : catalog.scan()) {
        (entry.library != nullptr ? good : bad).insert(entry.file.filename().string());
    }
    EXPECT_TRUE(good.count("librelay_testpass.so"));
    EXPECT_TRUE(good.count("librelay_throwing.so"));
    EXPECT_TRUE(bad.count("librelay_oldabi.so"));
    EXPECT_TRUE(bad.count("librelay_notaplugin.so"));
    EXPECT_TRUE(bad.count("librelay_garbage.so"));
    EXPECT_TRUE(bad.count("librelay_undefined.so"));
}

// --- The same through the binary: one clear line, exit code 2, before anything starts.

class RelayCli : public ::testing::Test {
protected:
    Finished relay(std::vector<std::string> args) {
        args.insert(args.begin(), RELAY_BINARY);
        return Process::run(args, dir_.path());
    }
    std::string write(const std::string& name, const std::string& text) {
        const auto path = dir_ / name;
        std::ofstream(path) << text;
        return path.string();
    }
    std::string pipeline(const std::string& body) {
        return write("pipeline.yaml",
                     "plugins: { path: [" + kTestPlugins.string() + "] }\n" + body);
    }
    TempDir dir_;
};

TEST_F(RelayCli, APluginBuiltForAnotherAbiIsOneLineAndExitCodeTwo) {
    const auto file = pipeline("transport: { use: testline }\nprocessors:\n  - { use: oldabi }\n");
    const auto r = relay({"check", file});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err,
              file + ":4:12: processors[0].use: " + (kTestPlugins / "librelay_oldabi.so").string() +
                  ": built for Relay SDK ABI version 999, but this relay speaks ABI version " +
                  std::to_string(sdk::kAbiVersion) + "; rebuild the plugin against this SDK\n");
}

TEST_F(RelayCli, CheckSaysWhatAnAckMeansWithoutAStore) {
    const auto file = pipeline("transport: { use: testline }\n");
    const auto r = relay({"check", file});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, file +
                         ": ok (transport 'testline', queue 'memory', presence 'local', store "
                         "'none', auth 'none', 0 processor(s))\n"
                         "note: no store: no history, and an ack means only that queue 'memory' "
                         "accepted the message (the memory queue keeps it in this process only, "
                         "so it does not survive a restart)\n"
                         "note: no auth: any client may join any room, read its history and "
                         "presence, and post under any user name it gives (add an auth section, "
                         "e.g. auth: {use: jwt, ...}, to require identities)\n");
}

TEST_F(RelayCli, APluginOfTheWrongKindIsRefused) {
    const auto file = pipeline("transport: { use: testline }\nqueue: { use: testpass }\n");
    const auto r = relay({"check", file});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(
        r.err,
        file + ":3:15: queue.use: plugin 'testpass' is a processor plugin, not a queue plugin\n");
}

TEST_F(RelayCli, AFactoryThatThrowsIsReportedWithItsMessage) {
    const auto file = pipeline("transport: { use: testline }\nqueue: { use: throwing }\n");
    const auto r = relay({"run", file});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(
        r.err,
        file + ":3:8: queue: plugin 'throwing' failed to initialise: cannot reach the moon\n");
}

TEST_F(RelayCli, AMissingPluginListsWhereItLooked) {
    const auto file = pipeline("transport: { use: testlin }\n");
    const auto r = relay({"check", file});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(r.err.starts_with(
        file + ":2:19: transport.use: no transport plugin 'testlin' in [" + kTestPlugins.string()))
        << r.err;
    EXPECT_NE(r.err.find("did you mean 'testline'?"), std::string::npos) << r.err;
}

TEST_F(RelayCli, PluginsJsonListsKindsVersionsAndKeys) {
    const auto r = relay({"plugins", "--json", "--plugin-path", kTestPlugins.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    bool found = false;
    for (const auto& p : doc["plugins"]) {
        if (p["name"] == "testline") {
            found = true;
            EXPECT_EQ(p["kind"], "transport");
            EXPECT_EQ(p["version"], "0.1.0");
            EXPECT_EQ(p["keys"][0]["name"], "listen");
            EXPECT_EQ(p["keys"][0]["type"], "endpoint");
            EXPECT_EQ(p["keys"][0]["default"], "127.0.0.1:0");
        }
    }
    EXPECT_TRUE(found) << r.out;
    bool oldabi_reported = false;
    for (const auto& e : doc["errors"]) {
        if (e["file"].get<std::string>().ends_with("librelay_oldabi.so")) oldabi_reported = true;
    }
    EXPECT_TRUE(oldabi_reported);
}

TEST_F(RelayCli, VersionHelpAndUsageErrors) {
    auto r = relay({"version"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, std::string("relay ") + RELAY_VERSION + " (SDK ABI version " +
                         std::to_string(sdk::kAbiVersion) + ")\n");
    r = relay({"--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("relay run [FILE]"), std::string::npos);
    r = relay({"frobnicate"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "relay: unknown command 'frobnicate'\nTry 'relay --help'.\n");
    r = relay({"check"});
    EXPECT_EQ(r.exit_code, 2);
}

TEST_F(RelayCli, MigrateCreatesTheSqliteSchemaWithoutStartingThePipeline) {
    const auto db = dir_ / "data" / "chat.db";
    const auto file = write("pipeline.yaml",
                            "plugins: { path: [" + kTestPlugins.string() + ", " + RELAY_PLUGIN_DIR +
                                "] }\n"
                                "transport: { use: testline, listen: 127.0.0.1:0 }\n"
                                "queue: { use: memory }\n"
                                "presence: { use: local }\n"
                                "store: { use: sqlite, path: " +
                                db.string() + " }\n");
    const auto r = relay({"migrate", file});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "store 'sqlite': schema at version 1\n");
    EXPECT_TRUE(std::filesystem::exists(db));
}

TEST_F(RelayCli, TheBinaryLinksNoBackendLibrary) {
    const auto r = Process::run({"/usr/bin/ldd", RELAY_BINARY}, dir_.path());
    ASSERT_EQ(r.exit_code, 0);
    for (const char* lib : {"librdkafka", "libhiredis", "libpq", "libsqlite3"}) {
        EXPECT_EQ(r.out.find(lib), std::string::npos) << lib << " in:\n" << r.out;
    }
}

}  // namespace
}  // namespace relay::testing
