#pragma once
/// The postgres store's configuration: its keys as data, and their parsing into the
/// plain Settings the implementation takes. Only plugin.cpp, tests and the benchmark
/// include this.
#include <relay/sdk/config.hpp>
#include <relay/sdk/settings_binding.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relay::plugins::postgres {

struct Settings {
    /// A libpq connection string or URI; empty: libpq's defaults (PGHOST, ... , a
    /// local socket).
    std::string dsn;
    /// Connection fields that override the DSN's, in libpq keyword form
    /// ("host", "port", "user", "dbname", "password", "sslmode"), in that order.
    std::vector<std::pair<std::string, std::string>> overrides;
    std::size_t pool_size = 2;                           ///< reader connections (history)
    std::chrono::milliseconds statement_timeout{30000};  ///< 0: none
    std::size_t batch_max = 1000;                        ///< messages per write transaction
    std::size_t batch_max_bytes = 16U << 20;   ///< bytes of text and attachments per write
    std::chrono::milliseconds batch_delay{0};  ///< wait for more before a partial batch
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds retry_backoff{100};  ///< first wait before a reconnect
    std::chrono::milliseconds retry_backoff_max{5000};
    std::chrono::milliseconds retry_timeout{30000};   ///< how long an append is retried
    std::chrono::milliseconds history_timeout{5000};  ///< how long a history query waits
};

/// Cross-key checks the schema cannot express (the manifest's `check`, so that
/// `relay check` reports them too): password and password_env together, a
/// password_env naming an unset variable, retry_backoff_max below retry_backoff.
inline std::vector<sdk::KeyProblem> check(const sdk::ConfigView& config) {
    std::vector<sdk::KeyProblem> problems;
    if (config.has("password") && config.has("password_env")) {
        problems.push_back({"password_env", "set either password or password_env, not both"});
    } else if (config.has("password_env")) {
        const std::string name = config.string("password_env");
        // NOLINTNEXTLINE(concurrency-mt-unsafe): read once, while the pipeline loads
        if (name.empty() || std::getenv(name.c_str()) == nullptr) {
            problems.push_back({"password_env", "the environment variable \"" + name +
                                                    "\" is not set; export it or remove "
                                                    "password_env"});
        }
    }
    const auto backoff = config.duration("retry_backoff");
    const auto backoff_max = config.duration("retry_backoff_max");
    if (backoff_max < backoff) {
        problems.push_back({"retry_backoff_max", "expected at least retry_backoff (" +
                                                     std::to_string(backoff.count()) + "ms), got " +
                                                     std::to_string(backoff_max.count()) + "ms"});
    }
    return problems;
}

/// A connection field that overrides the dsn's, in libpq keyword form (the key's
/// name): appended to Settings::overrides when set, in the order the keys are bound.
inline auto override_reader(sdk::ConfigKey key) {
    return [key = std::move(key)](const sdk::ConfigView& config, Settings& settings) {
        if (!config.has(key.name)) return;
        auto value = sdk::read_bound<std::string>(config, key);
        if (value.empty()) config.fail(key.name, "expected a value, got an empty string");
        settings.overrides.emplace_back(key.name, std::move(value));
    };
}

/// Every key, bound to its Settings member: the default is the member's.
inline const sdk::SettingsBinding<Settings>& binding() {
    using sdk::config_key;
    using sdk::ValueType;
    using std::chrono::milliseconds;
    auto host = config_key("host", ValueType::string,
                           "server host name, IP address or socket directory; overrides the "
                           "dsn's");
    auto user = config_key("user", ValueType::string, "database user; overrides the dsn's");
    auto dbname = config_key("dbname", ValueType::string, "database name; overrides the dsn's");
    auto sslmode =
        config_key("sslmode", ValueType::string,
                   "libpq sslmode (unset: the dsn's, else libpq's default 'prefer')")
            .one_of({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"});
    auto port = config_key("port", ValueType::integer, "server port; overrides the dsn's")
                    .at_least(1)
                    .at_most(65535);
    static const auto bound =
        sdk::SettingsBinding<Settings>()
            .add_read(config_key("dsn", ValueType::string,
                                 "libpq connection string or URI, e.g. "
                                 "postgresql://relay@127.0.0.1:5432/relay (unset: libpq's PG* "
                                 "environment variables and defaults)"),
                      [](const sdk::ConfigView& config, Settings& settings) {
                          if (config.has("dsn")) settings.dsn = config.string("dsn");
                      })
            .add_read(host, override_reader(host))
            .add_read(port,
                      [port](const sdk::ConfigView& config, Settings& settings) {
                          if (!config.has("port")) return;
                          settings.overrides.emplace_back(
                              "port", std::to_string(sdk::read_bound<std::uint16_t>(config, port)));
                      })
            .add_read(user, override_reader(user))
            .add_read(dbname, override_reader(dbname))
            .add_read(config_key("password", ValueType::string,
                                 "password; prefer password_env, ${VAR} substitution or "
                                 "~/.pgpass")
                          .hidden(),
                      [](const sdk::ConfigView& config, Settings& settings) {
                          if (!config.has("password")) return;
                          settings.overrides.emplace_back("password", config.string("password"));
                      })
            .add_read(config_key("password_env", ValueType::string,
                                 "name of an environment variable holding the password, e.g. "
                                 "PGPASSWORD"),
                      [](const sdk::ConfigView& config, Settings& settings) {
                          if (!config.has("password_env")) return;
                          const std::string name = config.string("password_env");
                          // NOLINTNEXTLINE(concurrency-mt-unsafe): read once, while loading
                          const char* value = std::getenv(name.c_str());
                          // Unset: check() says so, after every key is read.
                          if (value != nullptr) settings.overrides.emplace_back("password", value);
                      })
            .add_read(sslmode, override_reader(sslmode))
            .add(config_key("pool_size", ValueType::integer,
                            "reader connections for history and recovery queries (the writer "
                            "has its own)")
                     .at_least(1)
                     .at_most(64),
                 &Settings::pool_size)
            .add(config_key("statement_timeout", ValueType::duration,
                            "server-side limit for one statement on every connection; 0: none"),
                 &Settings::statement_timeout)
            .add(config_key("batch_max", ValueType::integer, "max messages per write transaction")
                     .at_least(1)
                     .at_most(100000),
                 &Settings::batch_max)
            .add(config_key("batch_max_bytes", ValueType::size,
                            "max bytes of text and attachments per write transaction (one "
                            "message larger than this is written alone)")
                     .at_least(1),
                 &Settings::batch_max_bytes)
            .add(config_key("batch_delay", ValueType::duration,
                            "how long the writer waits for more messages before writing a batch "
                            "smaller than batch_max; 0: write as soon as it is idle"),
                 &Settings::batch_delay)
            .add(config_key("connect_timeout", ValueType::duration,
                            "limit for one connection attempt (connect, TLS, authentication)")
                     .at_least(milliseconds(1)),
                 &Settings::connect_timeout)
            .add(config_key("retry_backoff", ValueType::duration,
                            "wait before the first reconnect after a connection loss; doubles "
                            "per failure")
                     .at_least(milliseconds(1)),
                 &Settings::retry_backoff)
            .add(config_key("retry_backoff_max", ValueType::duration,
                            "longest wait between reconnects")
                     .at_least(milliseconds(1)),
                 &Settings::retry_backoff_max)
            .add(config_key("retry_timeout", ValueType::duration,
                            "how long an append is retried across connection losses before it "
                            "fails with 'backend unavailable'")
                     .at_least(milliseconds(1)),
                 &Settings::retry_timeout)
            .add(config_key("history_timeout", ValueType::duration,
                            "how long a history or recovery query waits for an answer (across "
                            "connection losses) before it fails with 'backend unavailable'; "
                            "while the server is out of reach, queries fail at once")
                     .at_least(milliseconds(1)),
                 &Settings::history_timeout)
            .check([](const sdk::ConfigView& config, const Settings&) {
                if (auto problems = check(config); !problems.empty()) {
                    config.fail(problems.front().key, problems.front().message);
                }
            });
    return bound;
}

inline sdk::Schema schema() {
    return binding().schema();
}

/// Reads the validated configuration. Throws sdk::ConfigError for a value the
/// schema's bounds or check() should have caught (a defence for hosts that did not
/// check).
inline Settings parse_settings(const sdk::ConfigView& config) {
    return binding().read(config);
}

}  // namespace relay::plugins::postgres
