#pragma once
#include "admin/admin_server.hpp"
#include "config/manifest_lookup.hpp"
#include "config/pipeline.hpp"
#include "flow/flow.hpp"
#include "runtime/health_board.hpp"
#include "runtime/io_pool.hpp"
#include "runtime/metrics_registry.hpp"
#include "runtime/plugin_instance.hpp"
#include "runtime/shared_plugin.hpp"

#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include <spdlog/logger.h>

namespace relay::host {

/// A plugin's factory threw or its start failed: one line for the user, exit 2 for
/// configuration-like problems (factory), 1 for runtime ones (start).
class StartError : public std::runtime_error {
public:
    StartError(const std::string& what, int exit_code)
        : std::runtime_error(what), exit_code_(exit_code) {}
    int exit_code() const { return exit_code_; }

private:
    int exit_code_;
};

/// One running pipeline: the I/O threads, the plugin objects and the flow between
/// them. Construction creates every plugin object (factories run; nothing starts).
/// start() starts them in dependency order (store, presence, queue, transport);
/// stop() stops them in reverse so that everything accepted is broadcast and stored.
/// Thread safety: construct, start and stop from one control thread (not an I/O thread).
class Host {
public:
    /// `transport_override` replaces the pipeline's transport (tests).
    explicit Host(const Pipeline& pipeline,
                  std::unique_ptr<sdk::Transport> transport_override = nullptr);
    ~Host();
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;
    Host(Host&&) = delete;
    Host& operator=(Host&&) = delete;

    /// Blocks until every plugin started; throws StartError naming the plugin.
    void start();
    /// Blocks until the pipeline drained and every plugin stopped. Idempotent.
    void stop();
    /// start(), then serve until SIGINT or SIGTERM, then stop(). A second signal
    /// during the stop exits the process at once. SIGHUP reloads (see reload()).
    /// Returns the exit code.
    int run_until_signal();

    /// Where reload() reads the pipeline again (relay run: the file it started with).
    /// Throws ConfigErrors, PluginLoadError or another exception when it cannot.
    using PipelineSource = std::function<Pipeline()>;
    void set_pipeline_source(PipelineSource source) { source_ = std::move(source); }

    /// SIGHUP. Reads the pipeline again from the source (when there is one) and applies
    /// it (see apply()); a file that does not load changes nothing, and each of its
    /// errors is logged as `relay check` prints it. Then asks what reads files at run
    /// time to read them again, each on its own executor: the auth plugin's keys, the
    /// transport's TLS certificate, the admin server's. Blocks while new plugin objects
    /// are made; does not wait for the files (the admin server's are read here).
    void reload();

    /// What apply() did.
    struct Applied {
        bool ok = false;                ///< false: nothing changed (a plugin failed to initialise)
        std::string summary;            ///< one line: what changed live, and what was kept
        std::vector<std::string> kept;  ///< changes that need a restart, one line each
    };
    /// Applies what of `next` can change while running (compare_pipelines): new
    /// processors, then the chain the flow uses is swapped at once (messages under way
    /// finish with theirs; processors whose plugin and settings did not change are kept
    /// with their state); a new authenticator for new handshakes; the transport's
    /// reloadable() keys through Transport::reconfigure. Everything else keeps
    /// its running value and is logged as needing a restart. Counts the reload in
    /// relay_config_reloads_total{result}. Call from the control thread.
    Applied apply(const Pipeline& next);

    /// Runs the store's schema migrations without starting anything (`relay migrate`).
    /// Returns the store's report; throws StartError when there is no store or the
    /// migration failed.
    std::string migrate_store();

    MetricsRegistry& metrics() { return metrics_; }
    /// The admin server's port (admin.listen with port 0 picks one), 0 without admin.
    unsigned short admin_port() const { return admin_ ? admin_->port() : 0; }
    const std::vector<sdk::Executor>& executors() const { return io_->executors(); }

private:
    template <class Interface>
    PluginInstance<Interface> make(const PluginSection& section, sdk::Executor home);
    static std::error_code wait(const std::function<void(sdk::Done)>& operation,
                                std::chrono::milliseconds limit, bool& timed_out);
    static void start_step(const std::string& label,
                           const std::function<void(sdk::Done)>& operation);
    void stop_step(const std::string& label, const std::function<void(sdk::Done)>& operation);
    template <class Interface>
    std::shared_ptr<SharedPlugin<Interface>> make_shared_plugin(const Pipeline& pipeline,
                                                                const PluginSection& section);
    std::shared_ptr<const Flow::ProcessorChain> chain() const;
    /// The server API on the admin listener, over this host's flow and plugins.
    std::shared_ptr<ServerApi> make_server_api(const Pipeline& pipeline,
                                               const sdk::Executor& home) const;
    void reload_files();
    /// Hands the transport its new section (its reloadable() keys changed), on its executor.
    void reconfigure_transport(std::shared_ptr<const PluginConfig> config);
    sdk::Executor transport_executor() const;

    // Declaration order is destruction order, reversed, and it matters:
    // 1. the I/O threads are joined first (in ~Host), so no handler runs;
    // 2. plugin objects go next, while the io_contexts their timers and sockets
    //    belong to still exist;
    // 3. then the io_contexts, which destroy handlers still queued (their code lives
    //    in the plugin libraries, still loaded);
    // 4. metrics and health: plugins hold references to them;
    // 5. the plugin libraries last (the pipeline's catalog: `plugins_` keeps each loaded
    //    until here, whatever becomes of the Pipeline the Host was made from; the
    //    processors and the authenticator hold the catalog they were made from, see
    //    SharedPlugin).
    std::shared_ptr<ManifestLookup> plugins_;
    MetricsRegistry metrics_;
    HealthBoard health_{metrics_};
    sdk::Counter& reloads_applied_;
    sdk::Counter& reloads_failed_;
    // The pipeline as it runs: the file's at start, with the live parts of each reload.
    Pipeline running_;
    PipelineSource source_;
    std::unique_ptr<IoPool> io_;
    std::shared_ptr<spdlog::logger> log_;
    std::string node_id_;
    std::chrono::milliseconds drain_timeout_;
    std::optional<std::string> admin_listen_;
    std::optional<PluginInstance<sdk::Store>> store_;
    PluginInstance<sdk::Presence> presence_;
    PluginInstance<sdk::Queue> queue_;
    // Parallel to running_.processors; the flow holds them too (Flow::ProcessorChain).
    std::vector<std::shared_ptr<SharedPlugin<sdk::Processor>>> processors_;
    std::shared_ptr<SharedPlugin<sdk::Authenticator>> auth_;  // null: open
    PluginInstance<sdk::Transport> transport_;
    std::unique_ptr<Flow> flow_;
    std::unique_ptr<AdminStats> admin_stats_;  // reads the flow; read by admin_
    std::unique_ptr<AdminServer> admin_;
    bool started_ = false;
    bool stopped_ = false;
};

}  // namespace relay::host
