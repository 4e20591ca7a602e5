#pragma once
/// The postgres store's configuration: its keys as data, and their parsing into the
/// plain Settings the implementation takes. Only plugin.cpp, tests and the benchmark
/// include this.
#include <relay/sdk/config.hpp>

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

/// Every key the plugin accepts, with its default and meaning.
inline sdk::Schema schema() {
    using sdk::config_key;
    using sdk::ValueType;
    return {
        config_key("dsn", ValueType::string,
                   "libpq connection string or URI, e.g. postgresql://relay@127.0.0.1:5432/relay "
                   "(unset: libpq's PG* environment variables and defaults)"),
        config_key("host", ValueType::string,
                   "server host name, IP address or socket directory; overrides the dsn's"),
        config_key("port", ValueType::integer, "server port; overrides the dsn's")
            .at_least(1)
            .at_most(65535),
        config_key("user", ValueType::string, "database user; overrides the dsn's"),
        config_key("dbname", ValueType::string, "database name; overrides the dsn's"),
        config_key("password", ValueType::string,
                   "password; prefer password_env, ${VAR} substitution or ~/.pgpass")
            .hidden(),
        config_key("password_env", ValueType::string,
                   "name of an environment variable holding the password, e.g. PGPASSWORD"),
        config_key("sslmode", ValueType::string,
                   "libpq sslmode (unset: the dsn's, else libpq's default 'prefer')")
            .one_of({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}),
        config_key("pool_size", ValueType::integer,
                   "reader connections for history and recovery queries (the writer has its "
                   "own)")
            .fallback("2")
            .at_least(1)
            .at_most(64),
        config_key("statement_timeout", ValueType::duration,
                   "server-side limit for one statement on every connection; 0: none")
            .fallback("30s"),
        config_key("batch_max", ValueType::integer, "max messages per write transaction")
            .fallback("1000")
            .at_least(1)
            .at_most(100000),
        config_key("batch_max_bytes", ValueType::size,
                   "max bytes of text and attachments per write transaction (one message "
                   "larger than this is written alone)")
            .fallback("16MiB")
            .at_least(1),
        config_key("batch_delay", ValueType::duration,
                   "how long the writer waits for more messages before writing a batch smaller "
                   "than batch_max; 0: write as soon as it is idle")
            .fallback("0ms"),
        config_key("connect_timeout", ValueType::duration,
                   "limit for one connection attempt (connect, TLS, authentication)")
            .fallback("10s"),
        config_key("retry_backoff", ValueType::duration,
                   "wait before the first reconnect after a connection loss; doubles per failure")
            .fallback("100ms"),
        config_key("retry_backoff_max", ValueType::duration, "longest wait between reconnects")
            .fallback("5s"),
        config_key("retry_timeout", ValueType::duration,
                   "how long an append is retried across connection losses before it fails "
                   "with 'backend unavailable'")
            .fallback("30s"),
        config_key("history_timeout", ValueType::duration,
                   "how long a history or recovery query waits for an answer (across "
                   "connection losses) before it fails with 'backend unavailable'; while the "
                   "server is out of reach, queries fail at once")
            .fallback("5s"),
    };
}

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

/// Reads the validated configuration. Throws sdk::ConfigError for a value the
/// schema's bounds or check() should have caught (a defence for hosts that did not
/// check).
inline Settings parse_settings(const sdk::ConfigView& config) {
    if (auto problems = check(config); !problems.empty()) {
        config.fail(problems.front().key, problems.front().message);
    }
    auto integer_in = [&](std::string_view key, std::int64_t min, std::int64_t max) {
        const std::int64_t value = config.integer(key);
        if (value < min || value > max) {
            config.fail(key, "expected an integer from " + std::to_string(min) + " to " +
                                 std::to_string(max) + ", got " + std::to_string(value));
        }
        return value;
    };
    auto duration = [&](std::string_view key, bool positive) {
        const auto value = config.duration(key);
        if (value.count() < 0 || (positive && value.count() == 0)) {
            config.fail(key, std::string(positive ? "expected a positive duration"
                                                  : "expected a non-negative duration") +
                                 ", got " + std::to_string(value.count()) + "ms");
        }
        return value;
    };
    auto text = [&](std::string_view key) -> std::optional<std::string> {
        if (!config.has(key)) return std::nullopt;
        return config.string(key);
    };

    Settings settings;
    if (auto dsn = text("dsn")) settings.dsn = std::move(*dsn);
    for (const char* key : {"host", "port", "user", "dbname"}) {
        if (!config.has(key)) continue;
        std::string value = std::string_view(key) == "port"
                                ? std::to_string(integer_in("port", 1, 65535))
                                : config.string(key);
        if (value.empty()) config.fail(key, "expected a value, got an empty string");
        settings.overrides.emplace_back(key, std::move(value));
    }
    if (auto password = text("password")) settings.overrides.emplace_back("password", *password);
    if (auto name = text("password_env")) {
        // check() made sure it is set. NOLINTNEXTLINE(concurrency-mt-unsafe): as above
        settings.overrides.emplace_back("password", std::getenv(name->c_str()));
    }
    if (auto sslmode = text("sslmode")) {
        static constexpr std::string_view kModes[] = {"disable", "allow",     "prefer",
                                                      "require", "verify-ca", "verify-full"};
        bool known = false;
        for (auto mode : kModes) known = known || mode == *sslmode;
        if (!known) {
            config.fail("sslmode",
                        "expected one of disable, allow, prefer, require, verify-ca, "
                        "verify-full, got \"" +
                            *sslmode + "\"");
        }
        settings.overrides.emplace_back("sslmode", *sslmode);
    }

    settings.pool_size = static_cast<std::size_t>(integer_in("pool_size", 1, 64));
    settings.statement_timeout = duration("statement_timeout", false);
    settings.batch_max = static_cast<std::size_t>(integer_in("batch_max", 1, 100000));
    const std::uint64_t bytes = config.size("batch_max_bytes");
    if (bytes == 0) config.fail("batch_max_bytes", "expected a positive size, got 0");
    settings.batch_max_bytes = static_cast<std::size_t>(bytes);
    settings.batch_delay = duration("batch_delay", false);
    settings.connect_timeout = duration("connect_timeout", true);
    settings.retry_backoff = duration("retry_backoff", true);
    settings.retry_backoff_max = duration("retry_backoff_max", true);
    settings.retry_timeout = duration("retry_timeout", true);
    settings.history_timeout = duration("history_timeout", true);
    return settings;
}

}  // namespace relay::plugins::postgres
