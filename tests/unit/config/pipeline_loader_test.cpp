#include "config/pipeline_loader.hpp"

#include "unit/config/fake_lookup.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <fstream>

namespace relay::host {
namespace {

using namespace std::chrono_literals;
using testing::fake_env;
using testing::FakeCatalog;

// Fixtures are raw strings that start with a newline, so that line 1 of the file is
// the first line below `R"(` in the source.
std::string_view text_of(std::string_view raw) {
    if (!raw.empty() && raw.front() == '\n') raw.remove_prefix(1);
    return raw;
}

/// The full error text of loading `yaml`, or "" when it loads.
std::string errors_of(std::string_view yaml, const EnvLookup& env = fake_env({}),
                      FakeCatalog catalog = {}) {
    try {
        load_pipeline_text(text_of(yaml), "pipeline.yaml", catalog.factory(), env);
    } catch (const ConfigErrors& e) {
        return e.what();
    }
    return "";
}

// ---------------------------------------------------------------------------------
// Bad files: each case is a file and every line the loader must print for it.

struct BadFile {
    std::string name;
    std::string_view yaml;
    std::string_view expected;
};

std::ostream& operator<<(std::ostream& out, const BadFile& file) {
    return out << file.name;
}

class PipelineBadFile : public ::testing::TestWithParam<BadFile> {};

TEST_P(PipelineBadFile, ReportsEveryProblemInFileOrder) {
    const BadFile& file = GetParam();
    EXPECT_EQ(errors_of(file.yaml, fake_env({{"REGION", "eu"}})),
              text_of(file.expected).substr(0, text_of(file.expected).size() - 1));
}

const BadFile kBadFiles[] = {
    {"StyleGuideExamples", R"(
plugins: { path: [build/plugins] }
qeueu: { use: memory }
transport: { use: websockets }
queue:
    use: kafka
    brokres: localhost:9092
    topic: chats
    partitions: twelve
)",
     R"(
pipeline.yaml:2:1: qeueu: unknown key; did you mean 'queue'?
pipeline.yaml:3:19: transport.use: no transport plugin 'websockets' in [build/plugins]; did you mean 'websocket'?
pipeline.yaml:6:5: queue.brokres: unknown key for plugin 'kafka'; did you mean 'brokers'?
pipeline.yaml:8:17: queue.partitions: expected a positive integer, got "twelve"
)"},

    {"ManyErrorsSortedByPlace", R"(
node: { threads: many }
qeueu: { use: memory }
queue:
    use: kafka
    brokres: localhost:9092
    partitions: twelve
store: { use: sqlite, flush_interval: soon }
plugins: { path: [build/plugins], extra: 1 }
)",
     R"(
pipeline.yaml:1:1: transport: missing required section
pipeline.yaml:1:18: node.threads: expected a non-negative integer, got "many"
pipeline.yaml:2:1: qeueu: unknown key; did you mean 'queue'?
pipeline.yaml:5:5: queue.brokres: unknown key for plugin 'kafka'; did you mean 'brokers'?
pipeline.yaml:6:17: queue.partitions: expected a positive integer, got "twelve"
pipeline.yaml:7:39: store.flush_interval: expected a duration like 250ms or 5s, got "soon"
pipeline.yaml:8:35: plugins.extra: unknown key
)"},

    {"BadInteger", R"(
plugins: { path: [build/plugins] }
transport: { use: websocket }
queue:
  use: kafka
  brokers: localhost:9092
  partitions: twelve
)",
     R"(
pipeline.yaml:6:15: queue.partitions: expected a positive integer, got "twelve"
)"},

    {"WrongKind", R"(
transport: { use: memory }
)",
     R"(
pipeline.yaml:1:19: transport.use: plugin 'memory' is a queue plugin, not a transport plugin
)"},

    {"UnknownPluginListsTheAvailableOnes", R"(
plugins: { path: [build/plugins] }
transport: { use: websocket }
queue: { use: zmq }
)",
     R"(
pipeline.yaml:3:15: queue.use: no queue plugin 'zmq' in [build/plugins]; available: kafka, memory
)"},

    {"MissingUse", R"(
transport: { use: websocket }
queue: { brokers: localhost:9092 }
store:
)",
     R"(
pipeline.yaml:2:8: queue: missing required key 'use'
pipeline.yaml:3:1: store: missing required key 'use'
)"},

    {"MissingRequiredKey", R"(
transport: { use: websocket }
queue:
  use: kafka
  topic: chats
presence: { use: valkey }
)",
     R"(
pipeline.yaml:3:3: queue.brokers: missing required key
pipeline.yaml:5:11: presence.url: missing required key
)"},

    {"UnknownKeyWithoutSuggestion", R"(
transport: { use: websocket, colour: red }
)",
     R"(
pipeline.yaml:1:30: transport.colour: unknown key for plugin 'websocket'
)"},

    {"InvalidYaml", R"(
transport: { use: websocket
queue: { use: memory }
)",
     R"(
pipeline.yaml:2:6: invalid YAML: end of map flow not found
)"},

    {"InvalidYamlTab", R"(
transport:
	use: websocket
)",
     R"(
pipeline.yaml:2:5: invalid YAML: illegal map value
)"},

    {"NotAMapping", R"(
- use: websocket
)",
     R"(
pipeline.yaml:1:1: expected a mapping of sections, got a sequence
)"},

    {"AScalarFile", R"(
websocket
)",
     R"(
pipeline.yaml:1:1: expected a mapping of sections, got "websocket"
)"},

    {"EmptyFile", R"(
# nothing here yet
)",
     R"(
pipeline.yaml:1:1: expected a mapping of sections, got an empty document
)"},

    {"TwoDocuments", R"(
transport: { use: websocket }
---
transport: { use: websocket }
)",
     R"(
pipeline.yaml:3:1: a second YAML document is not allowed (one pipeline per file)
)"},

    {"MissingTransport", R"(
queue: { use: memory }
)",
     R"(
pipeline.yaml:1:1: transport: missing required section
)"},

    {"DuplicateKeys", R"(
transport: { use: websocket }
queue: { use: kafka, brokers: a:9092, topic: x, topic: y }
queue: { use: memory }
)",
     R"(
pipeline.yaml:2:49: queue.topic: duplicate key; first set at 2:39
pipeline.yaml:3:1: queue: duplicate key; first set at 2:1
)"},

    {"PluginLoadError", R"(
transport: { use: websocket }
store: { use: broken }
)",
     R"(
pipeline.yaml:2:15: store.use: build/plugins/librelay_broken.so: built for SDK ABI 1, this host has ABI 2
)"},

    {"UnsetEnvironmentVariable", R"(
transport: { use: websocket }
queue:
  use: kafka
  brokers: ${KAFKA_BROKERS}
  topic: chats-${REGION}-${STAGE:-dev}
  partitions: ${PARTITIONS}
)",
     R"(
pipeline.yaml:4:12: queue.brokers: environment variable KAFKA_BROKERS is not set
pipeline.yaml:6:15: queue.partitions: environment variable PARTITIONS is not set
)"},

    {"BadEnvironmentReference", R"(
transport: { use: websocket, listen: "${HOST:-0.0.0.0}:${PORT" }
)",
     R"(
pipeline.yaml:1:38: transport.listen: expected '}' to close '${'
)"},

    {"HostSectionValues", R"(
node: { id: node-a, threads: -1, drain_timeout: 5 }
log: { level: verbose }
admin: { listen: localhost }
transport: { use: websocket }
)",
     R"(
pipeline.yaml:1:30: node.threads: expected a non-negative integer, got "-1"
pipeline.yaml:1:49: node.drain_timeout: expected a duration like 250ms or 5s, got "5"
pipeline.yaml:2:15: log.level: expected one of trace, debug, info, warn, error, off, got "verbose"
pipeline.yaml:3:18: admin.listen: expected host:port, got "localhost"
)"},

    {"HostSectionKeys", R"(
node:
  id: node-a
  treads: 4
log: { levl: debug }
logs: {}
admin: 127.0.0.1:9100
transport: { use: websocket }
)",
     R"(
pipeline.yaml:3:3: node.treads: unknown key; did you mean 'threads'?
pipeline.yaml:4:8: log.levl: unknown key; did you mean 'level'?
pipeline.yaml:5:1: logs: unknown key; did you mean 'log'?
pipeline.yaml:6:8: admin: expected a mapping, got "127.0.0.1:9100"
)"},

    {"ChoiceWithSuggestion", R"(
transport: { use: websocket }
log: { level: inof }
)",
     R"(
pipeline.yaml:2:15: log.level: expected one of trace, debug, info, warn, error, off, got "inof"; did you mean 'info'?
)"},

    {"Processors", R"(
transport: { use: websocket }
processors:
  - { use: rate_limit, per_connection: 20/s }
  - use: kafka
  - { per_connection: 5 }
  - { use: rate_limit, per_connection: 10, burst: 5 }
  - profanity
)",
     R"(
pipeline.yaml:3:40: processors[0].per_connection: expected a positive integer, got "20/s"
pipeline.yaml:4:10: processors[1].use: plugin 'kafka' is a queue plugin, not a processor plugin
pipeline.yaml:5:5: processors[2]: missing required key 'use'
pipeline.yaml:6:51: processors[3].burst: expected at least per_connection (10)
pipeline.yaml:7:5: processors[4]: expected a plugin section like { use: NAME }, got "profanity"
)"},

    {"ProcessorsNotAList", R"(
transport: { use: websocket }
processors: { use: rate_limit }
)",
     R"(
pipeline.yaml:2:13: processors: expected a sequence of plugin sections, got a mapping
)"},

    {"WrongShapes", R"(
transport: { use: websocket, listen: [a, b], max_payload: 12 }
queue:
  use: kafka
  brokers: { primary: a }
  topic:
  partitions: [1]
presence: valkey
store: { use: [sqlite] }
)",
     R"(
pipeline.yaml:1:38: transport.listen: expected host:port, got a sequence
pipeline.yaml:1:59: transport.max_payload: expected a size of at least 1024 bytes, got "12"
pipeline.yaml:4:12: queue.brokers: expected a string, got a mapping
pipeline.yaml:5:3: queue.topic: expected a string, got nothing
pipeline.yaml:6:15: queue.partitions: expected a positive integer, got a sequence
pipeline.yaml:7:11: presence: expected a plugin section like { use: NAME }, got "valkey"
pipeline.yaml:8:15: store.use: expected a plugin name, got a sequence
)"},

    {"PluginCheckProblem", R"(
transport: { use: websocket }
queue: { use: kafka, brokers: "a:9092", topic: __consumer_offsets }
)",
     R"(
pipeline.yaml:2:48: queue.topic: topics starting with "__" are Kafka's own
)"},

    {"BadPluginPathEntry", R"(
plugins: { path: [build/plugins, { dir: x }] }
transport: { use: websocket }
)",
     R"(
pipeline.yaml:1:34: plugins.path[1]: expected a string, got a mapping
)"},
};

INSTANTIATE_TEST_SUITE_P(Table, PipelineBadFile, ::testing::ValuesIn(kBadFiles),
                         [](const auto& info) { return info.param.name; });

TEST(PipelineLoader, NoPluginsAtAllSaysSo) {
    const std::vector<sdk::Manifest> none;
    FakeCatalog catalog;
    catalog.manifests = &none;
    EXPECT_EQ(errors_of(R"(
transport: { use: websocket }
)",
                        fake_env({}), catalog),
              "pipeline.yaml:1:1: queue: no queue plugin 'memory' (the default) in []; "
              "available: none\n"
              "pipeline.yaml:1:1: presence: no presence plugin 'local' (the default) in []; "
              "available: none\n"
              "pipeline.yaml:1:19: transport.use: no transport plugin 'websocket' in []; "
              "available: none");
}

TEST(PipelineLoader, ErrorsCarryStructuredDiagnostics) {
    try {
        FakeCatalog catalog;
        load_pipeline_text("transport: { use: websocket, max_payload: lots }\n", "p.yaml",
                           catalog.factory(), fake_env({}));
        FAIL() << "loaded";
    } catch (const ConfigErrors& e) {
        ASSERT_EQ(e.diagnostics().size(), 1U);
        const Diagnostic& d = e.diagnostics()[0];
        EXPECT_EQ(d.where.file, "p.yaml");
        EXPECT_EQ(d.where.line, 1);
        EXPECT_EQ(d.where.column, 43);
        EXPECT_EQ(d.key_path, "transport.max_payload");
        EXPECT_EQ(d.message, "expected a size like 65536 or 64KiB, got \"lots\"");
    }
}

TEST(PipelineLoader, AFailingLookupFactoryIsReportedAtThePluginPath) {
    const LookupFactory failing =
        [](const std::vector<std::filesystem::path>&) -> std::unique_ptr<ManifestLookup> {
        throw std::runtime_error("cannot list /nonexistent: No such file or directory");
    };
    try {
        load_pipeline_text(text_of(R"(
transport: { use: websocket }
plugins: { path: /nonexistent }
)"),
                           "pipeline.yaml", failing, fake_env({}));
        FAIL() << "loaded";
    } catch (const ConfigErrors& e) {
        EXPECT_STREQ(e.what(),
                     "pipeline.yaml:2:18: plugins.path: cannot list /nonexistent: No such file "
                     "or directory");
    }
}

TEST(PipelineLoader, PluginBugsAreReportedAtTheirSection) {
    using sdk::ValueType;
    const std::vector<sdk::Manifest> buggy = {
        testing::manifest<sdk::TransportFactory>(
            "websocket", {testing::key("listen", ValueType::endpoint, "3000")}),
        testing::manifest<sdk::QueueFactory>(
            "memory", {},
            [](const sdk::ConfigView&) -> std::vector<sdk::KeyProblem> {
                throw std::runtime_error("boom");
            }),
        testing::manifest<sdk::PresenceFactory>(
            "local", {},
            [](const sdk::ConfigView&) -> std::vector<sdk::KeyProblem> {
                return {{"", "needs a store"}, {"nope", "is not a key"}};
            }),
    };
    FakeCatalog catalog;
    catalog.manifests = &buggy;
    EXPECT_EQ(errors_of(R"(
transport: { use: websocket }
)",
                        fake_env({}), catalog),
              "pipeline.yaml:1:1: queue: the check of plugin 'memory' failed: boom\n"
              "pipeline.yaml:1:1: presence: needs a store\n"
              "pipeline.yaml:1:1: presence.nope: is not a key\n"
              "pipeline.yaml:1:12: transport.listen: bad default of plugin 'websocket': "
              "expected host:port, got \"3000\"");
}

TEST(PipelineLoader, ThePipelineKeepsItsLookupAlive) {
    FakeCatalog catalog;
    std::weak_ptr<ManifestLookup> lookup;
    {
        const Pipeline p = load_pipeline_text("transport: { use: websocket }\n", "pipeline.yaml",
                                              catalog.factory(), fake_env({}));
        lookup = p.lookup;
        EXPECT_FALSE(lookup.expired());
        EXPECT_EQ(p.lookup->find("websocket"), p.transport.manifest);
    }
    EXPECT_TRUE(lookup.expired());
}

TEST(PipelineLoader, AFactoryWithoutALookupIsABug) {
    const LookupFactory none = [](const std::vector<std::filesystem::path>&) {
        return std::unique_ptr<ManifestLookup>();
    };
    EXPECT_THROW(
        load_pipeline_text("transport: { use: websocket }\n", "pipeline.yaml", none, fake_env({})),
        std::logic_error);
}

// ---------------------------------------------------------------------------------
// Good files.

std::string this_host() {
    std::array<char, 256> name{};
    gethostname(name.data(), name.size() - 1);
    return name.data();
}

TEST(PipelineLoader, AMinimalFileGetsEveryDefault) {
    FakeCatalog catalog;
    const Pipeline p = load_pipeline_text(text_of(R"(
transport: { use: websocket }
)"),
                                          "pipeline.yaml", catalog.factory(), fake_env({}));
    EXPECT_EQ(p.file, "pipeline.yaml");
    EXPECT_EQ(p.node_id, this_host());
    EXPECT_EQ(p.threads, 0U);
    EXPECT_EQ(p.drain_timeout, 10s);
    EXPECT_TRUE(p.plugin_paths.empty());
    EXPECT_TRUE(catalog.received_paths.empty());
    EXPECT_EQ(p.log_level, "info");
    EXPECT_FALSE(p.admin_listen);
    EXPECT_FALSE(p.store);
    EXPECT_FALSE(p.auth) << "no auth section: the pipeline is open";
    EXPECT_TRUE(p.processors.empty());

    EXPECT_EQ(p.transport.slot, "transport");
    EXPECT_EQ(p.transport.use, "websocket");
    EXPECT_EQ(p.transport.where.format(), "pipeline.yaml:1:12");
    ASSERT_NE(p.transport.manifest, nullptr);
    EXPECT_EQ(p.transport.manifest->name, "websocket");
    const PluginConfig& ws = *p.transport.config;
    EXPECT_EQ(ws.endpoint("listen"), "0.0.0.0:3000");
    EXPECT_FALSE(ws.is_set("listen"));
    EXPECT_EQ(ws.where("listen"), "pipeline.yaml:1:12: transport.listen");
    EXPECT_EQ(ws.size("max_payload"), 1048576U);
    EXPECT_EQ(ws.duration("ping_interval"), 25s);
    EXPECT_FALSE(ws.boolean("compression"));
    EXPECT_EQ(ws.string_list("cors_origins"), std::vector<std::string>{"*"});

    EXPECT_EQ(p.queue.slot, "queue");
    EXPECT_EQ(p.queue.use, "memory");
    EXPECT_EQ(p.queue.where.format(), "pipeline.yaml:1:1");
    ASSERT_NE(p.queue.manifest, nullptr);
    EXPECT_EQ(p.queue.manifest->kind(), sdk::Kind::queue);
    EXPECT_EQ(p.queue.config->integer("capacity"), 10000);
    EXPECT_EQ(p.queue.config->where("capacity"), "pipeline.yaml:1:1: queue.capacity");
    EXPECT_EQ(p.presence.use, "local");
    ASSERT_NE(p.presence.manifest, nullptr);
    EXPECT_EQ(p.presence.manifest->kind(), sdk::Kind::presence);
}

TEST(PipelineLoader, AnAuthSectionNamesAnAuthPlugin) {
    FakeCatalog catalog;
    const Pipeline p = load_pipeline_text(text_of(R"(
transport: { use: websocket }
auth:
  use: jwt
  secret: s3cr3t
)"),
                                          "pipeline.yaml", catalog.factory(), fake_env({}));
    ASSERT_TRUE(p.auth);
    EXPECT_EQ(p.auth->slot, "auth");
    EXPECT_EQ(p.auth->use, "jwt");
    ASSERT_NE(p.auth->manifest, nullptr);
    EXPECT_EQ(p.auth->manifest->kind(), sdk::Kind::auth);
    EXPECT_EQ(p.auth->config->string("secret"), "s3cr3t");
    EXPECT_EQ(p.auth->config->duration("leeway"), 5s);
}

TEST(PipelineLoader, AnAuthSectionIsCheckedLikeAnyPluginSection) {
    EXPECT_EQ(errors_of(R"(
transport: { use: websocket }
auth: { use: rate_limit }
)"),
              "pipeline.yaml:2:14: auth.use: plugin 'rate_limit' is a processor plugin, not an "
              "auth plugin");
    EXPECT_EQ(errors_of(R"(
transport: { use: websocket }
auth: { use: jwt }
)"),
              "pipeline.yaml:2:7: auth.secret: missing required key");
    EXPECT_EQ(errors_of(R"(
transport: { use: websocket }
processors: [{ use: jwt }]
)"),
              "pipeline.yaml:2:21: processors[0].use: plugin 'jwt' is an auth plugin, not a "
              "processor plugin");
}

TEST(PipelineLoader, AdminTlsCertAndKeyGoTogether) {
    EXPECT_EQ(errors_of(R"(
transport: { use: websocket }
admin: { listen: 127.0.0.1:9100, tls_cert: /nonexistent/cert.pem }
)"),
              "pipeline.yaml:2:44: admin.tls_cert: tls_cert and tls_key go together: tls_key is "
              "not set");
    EXPECT_EQ(errors_of(R"(
transport: { use: websocket }
admin: { listen: 127.0.0.1:9100, tls_cert: /nonexistent/cert.pem, tls_key: /nonexistent/key.pem }
)"),
              "pipeline.yaml:2:44: admin.tls_cert: cannot read /nonexistent/cert.pem: No such file "
              "or directory");
}

TEST(PipelineLoader, AFullFile) {
    FakeCatalog catalog;
    const Pipeline p = load_pipeline_text(text_of(R"(
node: { id: node-a, threads: 4, drain_timeout: 2.5s }
plugins:
  path: [build/plugins, /opt/relay/plugins]
log: { level: debug }
transport:
  use: websocket
  listen: "[::1]:8080"
  max_payload: 64KiB
  compression: true
  cors_origins: https://chat.example.com
processors:
  - { use: rate_limit, per_connection: 5, burst: 10, ratio: 0.75 }
  - use: profanity
    words: [darn, heck]
queue: { use: kafka, brokers: "k1:9092,k2:9092", partitions: 3 }
presence: { use: valkey, url: "redis://127.0.0.1:6379" }
store: { use: sqlite, path: /var/lib/relay/history.db }
admin: { listen: 127.0.0.1:9100 }
)"),
                                          "pipeline.yaml", catalog.factory(), fake_env({}));
    EXPECT_EQ(p.node_id, "node-a");
    EXPECT_EQ(p.threads, 4U);
    EXPECT_EQ(p.drain_timeout, 2500ms);
    const std::vector<std::filesystem::path> paths = {"build/plugins", "/opt/relay/plugins"};
    EXPECT_EQ(p.plugin_paths, paths);
    EXPECT_EQ(catalog.received_paths, paths);
    EXPECT_EQ(p.log_level, "debug");
    EXPECT_EQ(p.admin_listen, "127.0.0.1:9100");

    const PluginConfig& ws = *p.transport.config;
    EXPECT_EQ(p.transport.where.format(), "pipeline.yaml:6:3");
    EXPECT_EQ(ws.endpoint("listen"), "[::1]:8080");
    EXPECT_TRUE(ws.is_set("listen"));
    EXPECT_EQ(ws.where("listen"), "pipeline.yaml:7:11: transport.listen");
    EXPECT_EQ(ws.size("max_payload"), 65536U);
    EXPECT_TRUE(ws.boolean("compression"));
    EXPECT_EQ(ws.string_list("cors_origins"), std::vector<std::string>{"https://chat.example.com"});

    ASSERT_EQ(p.processors.size(), 2U);
    EXPECT_EQ(p.processors[0].slot, "processors[0]");
    EXPECT_EQ(p.processors[0].use, "rate_limit");
    EXPECT_EQ(p.processors[0].config->integer("per_connection"), 5);
    EXPECT_EQ(p.processors[0].config->integer("burst"), 10);
    EXPECT_DOUBLE_EQ(p.processors[0].config->number("ratio"), 0.75);
    EXPECT_EQ(p.processors[0].config->where("burst"), "pipeline.yaml:12:50: processors[0].burst");
    EXPECT_EQ(p.processors[1].slot, "processors[1]");
    EXPECT_EQ(p.processors[1].use, "profanity");
    EXPECT_EQ(p.processors[1].config->string_list("words"),
              (std::vector<std::string>{"darn", "heck"}));

    EXPECT_EQ(p.queue.use, "kafka");
    EXPECT_EQ(p.queue.config->string("brokers"), "k1:9092,k2:9092");
    EXPECT_EQ(p.queue.config->string("topic"), "chats");
    EXPECT_EQ(p.queue.config->integer("partitions"), 3);
    EXPECT_EQ(p.queue.config->string("compression"), "none");
    EXPECT_EQ(p.presence.use, "valkey");
    EXPECT_EQ(p.presence.config->string("url"), "redis://127.0.0.1:6379");
    ASSERT_TRUE(p.store);
    EXPECT_EQ(p.store->use, "sqlite");
    EXPECT_EQ(p.store->config->string("path"), "/var/lib/relay/history.db");
    EXPECT_EQ(p.store->config->duration("flush_interval"), 50ms);
}

TEST(PipelineLoader, EnvironmentIsSubstitutedBeforeTypeChecks) {
    const auto yaml = R"(
node: { id: "${NODE_ID}" }
transport: { use: websocket, listen: "${HOST:-0.0.0.0}:${PORT}" }
queue:
  use: ${QUEUE:-kafka}
  brokers: ${BROKERS}
  topic: price-in-$$-${MISSING:-chats}
  partitions: ${PARTITIONS}
)";
    FakeCatalog catalog;
    const Pipeline p = load_pipeline_text(
        text_of(yaml), "pipeline.yaml", catalog.factory(),
        fake_env(
            {{"NODE_ID", "node-7"}, {"PORT", "4000"}, {"BROKERS", "b:9092"}, {"PARTITIONS", "6"}}));
    EXPECT_EQ(p.node_id, "node-7");
    EXPECT_EQ(p.transport.config->endpoint("listen"), "0.0.0.0:4000");
    EXPECT_EQ(p.queue.use, "kafka");
    EXPECT_EQ(p.queue.config->string("brokers"), "b:9092");
    EXPECT_EQ(p.queue.config->string("topic"), "price-in-$-chats");
    EXPECT_EQ(p.queue.config->integer("partitions"), 6);

    EXPECT_EQ(errors_of(yaml, fake_env({{"PORT", "http"},
                                        {"BROKERS", "b:9092"},
                                        {"PARTITIONS", "twelve"},
                                        {"QUEUE", "kafak"}})),
              "pipeline.yaml:1:13: node.id: environment variable NODE_ID is not set\n"
              "pipeline.yaml:2:38: transport.listen: expected host:port, got \"0.0.0.0:http\"\n"
              "pipeline.yaml:4:8: queue.use: no queue plugin 'kafak' in []; did you mean "
              "'kafka'?");
    EXPECT_EQ(errors_of(yaml, fake_env({{"NODE_ID", "n"},
                                        {"PORT", "1"},
                                        {"BROKERS", "b:9092"},
                                        {"PARTITIONS", "twelve"}})),
              "pipeline.yaml:7:15: queue.partitions: expected a positive integer, got "
              "\"twelve\"");
}

TEST(PipelineLoader, PluginPathsAreRelativeToTheFilesDirectory) {
    const auto yaml = text_of(R"(
plugins: { path: [plugins, ../shared/plugins, /opt/relay/plugins, ./x/../y] }
transport: { use: websocket }
)");
    FakeCatalog catalog;
    const Pipeline p =
        load_pipeline_text(yaml, "/etc/relay/pipeline.yaml", catalog.factory(), fake_env({}));
    const std::vector<std::filesystem::path> expected = {
        "/etc/relay/plugins", "/etc/shared/plugins", "/opt/relay/plugins", "/etc/relay/y"};
    EXPECT_EQ(p.plugin_paths, expected);
    EXPECT_EQ(catalog.received_paths, expected);

    const Pipeline q = load_pipeline_text(
        "plugins: { path: build/plugins }\n"
        "transport: { use: websocket }\n",
        "config/pipeline.yaml", catalog.factory(), fake_env({}));
    EXPECT_EQ(q.plugin_paths, std::vector<std::filesystem::path>{"config/build/plugins"});

    try {
        load_pipeline_text(
            "plugins: { path: ../build/plugins }\n"
            "transport: { use: websockets }\n",
            "config/pipeline.yaml", catalog.factory(), fake_env({}));
        FAIL() << "loaded";
    } catch (const ConfigErrors& e) {
        EXPECT_STREQ(e.what(),
                     "config/pipeline.yaml:2:19: transport.use: no transport plugin 'websockets' "
                     "in [build/plugins]; did you mean 'websocket'?");
    }
}

class PipelineFile : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("relay-pipeline-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path dir_;
};

TEST_F(PipelineFile, LoadsFromDisk) {
    const auto file = dir_ / "pipeline.yaml";
    std::ofstream(file) << "plugins: { path: [plugins] }\ntransport: { use: websocket }\n";
    FakeCatalog catalog;
    const Pipeline p = load_pipeline(file, catalog.factory(), fake_env({}));
    EXPECT_EQ(p.file, file);
    EXPECT_EQ(p.plugin_paths, std::vector<std::filesystem::path>{dir_ / "plugins"});
}

TEST_F(PipelineFile, AnUnreadableFileIsOneLine) {
    FakeCatalog catalog;
    const auto missing = dir_ / "missing.yaml";
    try {
        load_pipeline(missing, catalog.factory(), fake_env({}));
        FAIL() << "loaded";
    } catch (const ConfigErrors& e) {
        EXPECT_EQ(e.what(), missing.string() + ": cannot read: No such file or directory");
    }
    try {
        load_pipeline(dir_, catalog.factory(), fake_env({}));
        FAIL() << "loaded";
    } catch (const ConfigErrors& e) {
        EXPECT_EQ(e.what(), dir_.string() + ": cannot read: Is a directory");
    }
}

TEST_F(PipelineFile, ErrorsNameTheFileAsGiven) {
    const auto file = dir_ / "bad.yaml";
    std::ofstream(file) << "transport: { use: websocket, listen: nowhere }\n";
    FakeCatalog catalog;
    try {
        load_pipeline(file, catalog.factory(), fake_env({}));
        FAIL() << "loaded";
    } catch (const ConfigErrors& e) {
        EXPECT_EQ(e.what(),
                  file.string() + ":1:38: transport.listen: expected host:port, got \"nowhere\"");
    }
}

// ---------------------------------------------------------------------------------
// One section alone, for plugin unit tests.

TEST(PipelinePluginConfig, ValidatesOneSection) {
    const sdk::Manifest& kafka = testing::fake_manifests()[1];
    const auto config = load_plugin_config(kafka, "{ brokers: a:9092, partitions: 3 }", "queue");
    EXPECT_EQ(config->string("brokers"), "a:9092");
    EXPECT_EQ(config->integer("partitions"), 3);
    EXPECT_EQ(config->string("topic"), "chats");
    EXPECT_EQ(config->where("partitions"), "test.yaml:1:32: queue.partitions");

    try {
        load_plugin_config(kafka, "{ partitions: 0 }", "queue");
        FAIL() << "loaded";
    } catch (const ConfigErrors& e) {
        EXPECT_STREQ(e.what(),
                     "test.yaml:1:1: queue.brokers: missing required key\n"
                     "test.yaml:1:15: queue.partitions: expected a positive integer, got \"0\"");
    }
    try {
        load_plugin_config(kafka, "{ brokers: a, topic: __x }", "queue");
        FAIL() << "loaded";
    } catch (const ConfigErrors& e) {
        EXPECT_STREQ(e.what(),
                     "test.yaml:1:22: queue.topic: topics starting with \"__\" are "
                     "Kafka's own");
    }
}

}  // namespace
}  // namespace relay::host
