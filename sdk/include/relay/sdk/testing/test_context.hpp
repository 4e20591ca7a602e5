#pragma once
/// Test doubles for plugin authors: a PluginContext that runs its own executor, a
/// ConfigView whose values are set in code, and helpers that wait for callbacks with
/// deadlines. Header-only; needs nothing but the SDK (and a thread library).
///
/// Typical use:
///
///     TestContext ctx(my_plugin_schema(), "store");
///     ctx.settings().set_integer("batch_max", 10);
///     auto store = make_my_store(ctx);
///     Probe<std::error_code> started(ctx);
///     store->start(started.callback());
///     ASSERT_TRUE(started.wait());
#include <relay/sdk/asio.hpp>
#include <relay/sdk/config.hpp>
#include <relay/sdk/config_values.hpp>
#include <relay/sdk/context.hpp>
#include <relay/sdk/health.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/metrics.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace relay::sdk::testing {

/// How long the helpers wait for a condition before they report failure. Generous:
/// tests run on loaded CI machines and under sanitizers.
inline constexpr std::chrono::milliseconds kDeadline{20000};

/// A ConfigView whose values are set in code. Built from a plugin's schema, every key
/// starts at its schema default (parsed like the host would); setters override it.
/// Without a schema any key may be set. Reading a key outside the schema, with the
/// wrong getter, or without a value throws std::logic_error, like the host's view.
/// Thread safety: set everything before the plugin is made; then const, any thread.
/// The setters do not check `min`/`max`/`choices`, so tests can feed a plugin's own
/// settings checks with values the host would have refused.
class TestConfig final : public ConfigView {
public:
    using Value = values::Value;

    explicit TestConfig(Schema schema = {}, std::string section = "plugin")
        : schema_(std::move(schema)), section_(std::move(section)) {
        for (const auto& key : schema_) {
            Entry entry{key.type, std::nullopt, std::nullopt};
            if (key.default_value) entry.defaulted = parse_default(key);
            entries_.insert_or_assign(key.name, std::move(entry));
        }
    }

    const Schema& schema() const noexcept { return schema_; }
    const std::string& section() const noexcept { return section_; }

    TestConfig& set_string(std::string_view key, std::string value) {
        return set(key, ValueType::string, std::move(value));
    }
    TestConfig& set_integer(std::string_view key, std::int64_t value) {
        return set(key, ValueType::integer, value);
    }
    TestConfig& set_number(std::string_view key, double value) {
        return set(key, ValueType::number, value);
    }
    TestConfig& set_boolean(std::string_view key, bool value) {
        return set(key, ValueType::boolean, value);
    }
    TestConfig& set_duration(std::string_view key, std::chrono::milliseconds value) {
        return set(key, ValueType::duration, value);
    }
    TestConfig& set_size(std::string_view key, std::uint64_t value) {
        return set(key, ValueType::size, value);
    }
    TestConfig& set_string_list(std::string_view key, std::vector<std::string> value) {
        return set(key, ValueType::string_list, std::move(value));
    }
    TestConfig& set_endpoint(std::string_view key, std::string value) {
        return set(key, ValueType::endpoint, std::move(value));
    }
    /// Sets a value from YAML-like text ("250ms", "64KiB", "[a, b]"), parsed by the key's type.
    TestConfig& set_text(std::string_view key, std::string_view text) {
        Entry& entry = find(key);
        entry.set = parse(key, entry.type, text);
        return *this;
    }
    /// Back to the schema default (or to no value).
    TestConfig& unset(std::string_view key) {
        find(key).set.reset();
        return *this;
    }

    bool has(std::string_view key) const override {
        auto it = entries_.find(key);
        return it != entries_.end() && (it->second.set || it->second.defaulted);
    }
    bool is_set(std::string_view key) const override {
        auto it = entries_.find(key);
        return it != entries_.end() && it->second.set;
    }
    std::string string(std::string_view key) const override {
        return get<std::string>(key, ValueType::string);
    }
    std::int64_t integer(std::string_view key) const override {
        return get<std::int64_t>(key, ValueType::integer);
    }
    double number(std::string_view key) const override {
        return get<double>(key, ValueType::number);
    }
    bool boolean(std::string_view key) const override { return get<bool>(key, ValueType::boolean); }
    std::chrono::milliseconds duration(std::string_view key) const override {
        return get<std::chrono::milliseconds>(key, ValueType::duration);
    }
    std::uint64_t size(std::string_view key) const override {
        return get<std::uint64_t>(key, ValueType::size);
    }
    std::vector<std::string> string_list(std::string_view key) const override {
        return get<std::vector<std::string>>(key, ValueType::string_list);
    }
    std::string endpoint(std::string_view key) const override {
        return get<std::string>(key, ValueType::endpoint);
    }
    /// Always `test.yaml:1:1: <section>.<key>`, so tests can pin error text.
    std::string where(std::string_view key) const override {
        return "test.yaml:1:1: " + section_ + "." + std::string(key);
    }

private:
    struct Entry {
        ValueType type;
        std::optional<Value> defaulted;
        std::optional<Value> set;
    };

    /// A schema default, parsed as the host parses it (sdk/config_values.hpp).
    static Value parse_default(const ConfigKey& key) {
        values::Parsed parsed = values::parse_default(key);
        if (!parsed.ok()) {
            throw std::logic_error("TestConfig: key '" + key.name +
                                   "': bad default: " + parsed.error);
        }
        return std::move(*parsed.value);
    }

    /// Text a test sets: a YAML scalar (quoted or not, values::yaml_scalar) or flow list,
    /// parsed as the host parses a schema default, without the key's bounds and
    /// choices, which setters do not check.
    static Value parse(std::string_view key, ValueType type, std::string_view text) {
        ConfigKey unbounded;
        unbounded.name = std::string(key);
        unbounded.type = type;
        unbounded.default_value = std::string(text);
        return parse_default(unbounded);
    }

    Entry& find(std::string_view key) {
        auto it = entries_.find(key);
        if (it == entries_.end()) {
            throw std::logic_error("TestConfig: key '" + std::string(key) +
                                   "' is not in the schema");
        }
        return it->second;
    }

    TestConfig& set(std::string_view key, ValueType type, Value value) {
        auto it = entries_.find(key);
        if (it == entries_.end()) {
            if (!schema_.empty()) {
                throw std::logic_error("TestConfig: key '" + std::string(key) +
                                       "' is not in the schema");
            }
            it = entries_.emplace(std::string(key), Entry{type, std::nullopt, std::nullopt}).first;
        }
        if (it->second.type != type) {
            throw std::logic_error("TestConfig: key '" + std::string(key) + "' holds " +
                                   std::string(describe(it->second.type)) + ", not " +
                                   std::string(describe(type)));
        }
        it->second.set = std::move(value);
        return *this;
    }

    template <class T>
    T get(std::string_view key, ValueType type) const {
        auto it = entries_.find(key);
        if (it == entries_.end()) {
            throw std::logic_error("config key '" + std::string(key) + "' is not in the schema");
        }
        const Entry& entry = it->second;
        if (entry.type != type) {
            throw std::logic_error("config key '" + std::string(key) + "' holds " +
                                   std::string(describe(entry.type)) + ", read as " +
                                   std::string(describe(type)));
        }
        const auto& value = entry.set ? entry.set : entry.defaulted;
        if (!value) {
            throw std::logic_error("config key '" + std::string(key) + "' has no value");
        }
        return std::get<T>(*value);
    }

    Schema schema_;
    std::string section_;
    std::map<std::string, Entry, std::less<>> entries_;
};

/// A logger that prints to stderr at `print_level` and above and keeps what it printed,
/// so tests can check for a warning. Thread safety: any thread.
class TestLogger final : public Logger {
public:
    explicit TestLogger(LogLevel print_level = LogLevel::warn) : level_(print_level) {}

    bool enabled(LogLevel level) const noexcept override { return level >= level_; }
    void log(LogLevel level, std::string_view message) noexcept override {
        if (!enabled(level)) return;
        static constexpr const char* kNames[] = {"trace", "debug",    "info", "warn",
                                                 "error", "critical", "off"};
        std::fprintf(stderr, "[plugin %s] %.*s\n", kNames[static_cast<int>(level)],
                     static_cast<int>(message.size()), message.data());
        try {
            std::lock_guard lock(mutex_);
            lines_.emplace_back(message);
        } catch (...) {  // out of memory: the line was printed, that is enough
        }
    }

    std::vector<std::string> lines() const {
        std::lock_guard lock(mutex_);
        return lines_;
    }
    /// True when a kept line contains `text`.
    bool contains(std::string_view text) const {
        std::lock_guard lock(mutex_);
        for (const auto& line : lines_) {
            if (line.find(text) != std::string::npos) return true;
        }
        return false;
    }

private:
    LogLevel level_;
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

/// A metrics registry with lookups for tests. Thread safety: any thread.
class TestMetrics final : public Metrics {
public:
    Counter& counter(std::string_view name, std::string_view /*help*/) override {
        std::lock_guard lock(mutex_);
        auto& slot = counters_[std::string(name)];
        if (!slot) slot = std::make_unique<Counter>();
        return *slot;
    }
    Gauge& gauge(std::string_view name, std::string_view /*help*/) override {
        std::lock_guard lock(mutex_);
        auto& slot = gauges_[std::string(name)];
        if (!slot) slot = std::make_unique<Gauge>();
        return *slot;
    }
    std::optional<std::uint64_t> counter_value(std::string_view name) const {
        std::lock_guard lock(mutex_);
        auto it = counters_.find(name);
        if (it == counters_.end()) return std::nullopt;
        return it->second->value();
    }
    std::optional<std::int64_t> gauge_value(std::string_view name) const {
        std::lock_guard lock(mutex_);
        auto it = gauges_.find(name);
        if (it == gauges_.end()) return std::nullopt;
        return it->second->value();
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Counter>, std::less<>> counters_;
    std::map<std::string, std::unique_ptr<Gauge>, std::less<>> gauges_;
};

/// Health as a test sees it: the last reported state, and how often it changed.
class TestHealth final : public Health {
public:
    enum class State { working, degraded, unavailable };

    void degraded(std::string_view reason) override { set(State::degraded, reason); }
    void unavailable(std::string_view reason) override { set(State::unavailable, reason); }
    void recovered() override { set(State::working, {}); }

    State state() const {
        std::lock_guard lock(mutex_);
        return state_;
    }
    /// The reason the plugin gave, while it says it is degraded.
    std::optional<std::string> degraded_reason() const { return reason_in(State::degraded); }
    /// The reason the plugin gave, while it says it is unavailable.
    std::optional<std::string> unavailable_reason() const { return reason_in(State::unavailable); }
    /// How often the state (or, within one state, the reason) changed.
    int changes() const {
        std::lock_guard lock(mutex_);
        return changes_;
    }

private:
    void set(State state, std::string_view reason) {
        std::lock_guard lock(mutex_);
        if (state_ != state || reason_ != reason) ++changes_;
        state_ = state;
        reason_ = std::string(reason);
    }
    std::optional<std::string> reason_in(State state) const {
        std::lock_guard lock(mutex_);
        if (state_ != state) return std::nullopt;
        return reason_;
    }

    mutable std::mutex mutex_;
    State state_ = State::working;
    std::string reason_;
    int changes_ = 0;
};

/// A PluginContext for tests. Owns `io_threads` io_contexts (one by default), each run
/// by one thread it starts in the constructor and joins in shutdown() (or the
/// destructor), exactly as the host provides them: the first is the plugin's executor,
/// all of them are io_executors() (the host's I/O threads, from which transports call
/// processors and authenticators). Destroy the plugin before the context.
class TestContext final : public PluginContext {
public:
    explicit TestContext(Schema schema = {}, std::string section = "plugin",
                         std::string node_id = "test-node", std::size_t io_threads = 1)
        : config_(std::move(schema), std::move(section)), node_id_(std::move(node_id)) {
        for (std::size_t i = 0; i < std::max<std::size_t>(io_threads, 1); ++i) {
            ios_.push_back(std::make_unique<boost::asio::io_context>(1));
            executors_.push_back(ios_.back()->get_executor());
            work_.push_back(boost::asio::make_work_guard(*ios_.back()));
        }
        for (auto& io : ios_) threads_.emplace_back([context = io.get()] { run(*context); });
    }

    ~TestContext() override { shutdown(); }
    TestContext(const TestContext&) = delete;
    TestContext& operator=(const TestContext&) = delete;

    /// The configuration, for setting values before the plugin is made.
    TestConfig& settings() noexcept { return config_; }
    TestLogger& logger() noexcept { return logger_; }
    TestMetrics& test_metrics() noexcept { return metrics_; }
    TestHealth& test_health() noexcept { return health_; }
    /// What drain_timeout() answers (the host's default unless set before the plugin
    /// is made).
    void set_drain_timeout(std::chrono::milliseconds value) noexcept { drain_timeout_ = value; }

    const ConfigView& config() const override { return config_; }
    Executor executor() const override { return executors_.front(); }
    std::span<const Executor> io_executors() const override { return executors_; }
    Logger& log() const override { return logger_; }
    Metrics& metrics() const override { return metrics_; }
    Health& health() const override { return health_; }
    std::string_view node_id() const override { return node_id_; }
    std::chrono::milliseconds drain_timeout() const override { return drain_timeout_; }

    /// True on the plugin's executor's thread (where the callbacks of queues, stores and
    /// presence must run).
    bool on_executor() const { return executors_.front().running_in_this_thread(); }
    /// True on the thread of any of io_executors() (a host executor: where the callbacks
    /// of processors and authenticators may run).
    bool on_io_executor() const {
        return std::any_of(executors_.begin(), executors_.end(),
                           [](const Executor& e) { return e.running_in_this_thread(); });
    }

    /// Stops the executors: handlers still queued are destroyed without running.
    /// Idempotent. Call it (or destroy the context) only after the plugin is gone.
    void shutdown() {
        work_.clear();
        for (auto& io : ios_) io->stop();
        for (auto& thread : threads_) {
            if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
        }
    }

private:
    static void run(boost::asio::io_context& io) {
        for (;;) {
            try {
                io.run();
                return;
            } catch (const std::exception& e) {
                // A throwing handler is a bug under test; report it and keep serving.
                std::fprintf(stderr, "[test context] handler threw: %s\n", e.what());
            } catch (...) {
                std::fprintf(stderr, "[test context] handler threw a non-exception\n");
            }
        }
    }

    TestConfig config_;
    std::string node_id_;
    mutable TestLogger logger_;
    mutable TestMetrics metrics_;
    mutable TestHealth health_;
    std::chrono::milliseconds drain_timeout_{10000};
    std::vector<std::unique_ptr<boost::asio::io_context>> ios_;
    std::vector<Executor> executors_;
    std::vector<boost::asio::executor_work_guard<Executor>> work_;
    std::vector<std::thread> threads_;
};

/// Records the calls of a callback: how many, whether each ran on the expected
/// executor, and the first call's arguments. Copies share one record.
///
///     Probe<std::error_code, std::string> acked(ctx);
///     queue.publish(msg, acked.callback());
///     ASSERT_TRUE(acked.wait());
///     EXPECT_FALSE(acked.get<0>());
template <class... Args>
class Probe {
public:
    using Values = std::tuple<std::decay_t<Args>...>;

    explicit Probe(const PluginContext& ctx) : Probe(ctx.executor()) {}
    explicit Probe(Executor executor)
        : executor_(std::move(executor)), state_(std::make_shared<State>()) {}

    /// The callback to hand to the plugin.
    std::function<void(Args...)> callback() const {
        return [executor = executor_, state = state_](Args... args) {
            const bool on_executor = executor.running_in_this_thread();
            std::lock_guard lock(state->mutex);
            ++state->calls;
            if (!on_executor) state->off_executor = true;
            if (!state->first) state->first.emplace(std::move(args)...);
            state->changed.notify_all();
        };
    }

    /// Waits until the callback ran at least once; false when the deadline passed.
    bool wait(std::chrono::milliseconds timeout = kDeadline) const {
        std::unique_lock lock(state_->mutex);
        return state_->changed.wait_for(lock, timeout, [&] { return state_->calls > 0; });
    }
    int calls() const {
        std::lock_guard lock(state_->mutex);
        return state_->calls;
    }
    bool done() const { return calls() > 0; }
    /// True when every call so far ran on the executor.
    bool on_executor() const {
        std::lock_guard lock(state_->mutex);
        return !state_->off_executor;
    }
    /// The first call's arguments. Only after wait() returned true.
    Values values() const {
        std::lock_guard lock(state_->mutex);
        if (!state_->first) throw std::logic_error("Probe: the callback has not run");
        return *state_->first;
    }
    template <std::size_t I>
    std::tuple_element_t<I, Values> get() const {
        return std::get<I>(values());
    }

private:
    struct State {
        std::mutex mutex;
        std::condition_variable changed;
        int calls = 0;
        bool off_executor = false;
        std::optional<Values> first;
    };
    Executor executor_;
    std::shared_ptr<State> state_;
};

/// A thread-safe list that tests append to from callbacks and wait on.
template <class T>
class Collector {
public:
    void add(T value) {
        std::lock_guard lock(mutex_);
        items_.push_back(std::move(value));
        changed_.notify_all();
    }
    /// Waits until `pred(items)` holds; false when the deadline passed.
    template <class Pred>
    bool wait_until(Pred pred, std::chrono::milliseconds timeout = kDeadline) const {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return pred(items_); });
    }
    bool wait_for_size(std::size_t n, std::chrono::milliseconds timeout = kDeadline) const {
        return wait_until([n](const std::vector<T>& items) { return items.size() >= n; }, timeout);
    }
    /// Waits until something is added (or `timeout` passes); returns the new size.
    std::size_t wait_for_change(std::size_t seen, std::chrono::milliseconds timeout) const {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, timeout, [&] { return items_.size() != seen; });
        return items_.size();
    }
    std::vector<T> snapshot() const {
        std::lock_guard lock(mutex_);
        return items_;
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return items_.size();
    }

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<T> items_;
};

/// Calls `call(i)` for every i in [0, count) from `threads` threads running at once,
/// thread t taking t, t + threads, t + 2 * threads, ... in that order; returns when all
/// calls have returned. How contract tests make concurrent callers.
template <class Call>
void call_concurrently(int threads, int count, Call call) {
    std::vector<std::thread> running;
    running.reserve(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) {
        running.emplace_back([&call, t, threads, count] {
            for (int i = t; i < count; i += threads) call(i);
        });
    }
    for (auto& thread : running) thread.join();
}

/// A prefix unique to this process and moment (16 hex digits of the clock, then 8
/// random), so that tests against a shared backend never see each other's rooms or
/// ids. Prefixes made later sort later.
inline std::string unique_token() {
    static std::mutex mutex;
    static std::uint64_t last = 0;
    std::uint64_t now =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    {
        std::lock_guard lock(mutex);
        if (now <= last) now = last + 1;
        last = now;
    }
    static thread_local std::uint64_t rng =
        now ^ (std::hash<std::thread::id>{}(std::this_thread::get_id()) * 0x9E3779B97F4A7C15ull);
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%016llx%08x", static_cast<unsigned long long>(now),
                  static_cast<unsigned>(rng & 0xffffffffu));
    return buffer;
}

}  // namespace relay::sdk::testing
