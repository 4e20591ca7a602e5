#include "runtime/host.hpp"

#include "config/cluster_check.hpp"
#include "config/pipeline_changes.hpp"
#include "runtime/service_notifier.hpp"
#include "runtime/watchdog.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <future>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace relay::host {
namespace {

// How long a plugin may take to start before the host gives up on it.
constexpr std::chrono::seconds kStartTimeout{60};

}  // namespace

Host::Host(const Pipeline& pipeline, std::unique_ptr<sdk::Transport> transport_override)
    : plugins_(pipeline.lookup),
      reloads_applied_(metrics_.counter(
          "config_reloads_total", "Pipeline reloads (SIGHUP), by result", "result=\"applied\"")),
      reloads_failed_(metrics_.counter(
          "config_reloads_total", "Pipeline reloads (SIGHUP), by result", "result=\"failed\"")),
      running_(pipeline),
      io_(std::make_unique<IoPool>(pipeline.threads)),
      log_(spdlog::default_logger()),
      node_id_(pipeline.node_id),
      drain_timeout_(pipeline.drain_timeout),
      admin_listen_(pipeline.admin_listen) {
    for (const auto& warning : cluster_warnings(pipeline)) log_->warn("{}", warning);
    const sdk::Executor home = io_->home();
    if (pipeline.store) store_ = make<sdk::Store>(*pipeline.store, home);
    presence_ = make<sdk::Presence>(pipeline.presence, home);
    queue_ = make<sdk::Queue>(pipeline.queue, home);
    for (const auto& section : pipeline.processors) {
        processors_.push_back(make_shared_plugin<sdk::Processor>(pipeline, section));
    }
    if (pipeline.auth) auth_ = make_shared_plugin<sdk::Authenticator>(pipeline, *pipeline.auth);
    if (transport_override) {
        transport_.object = std::move(transport_override);
        transport_.label = "transport (built in)";
    } else {
        transport_ = make<sdk::Transport>(pipeline.transport, home);
    }
    Flow::Parts parts;
    parts.transport = transport_.object.get();
    parts.processors = chain();
    parts.queue = queue_.object.get();
    parts.presence = presence_.object.get();
    parts.store = store_ ? store_->object.get() : nullptr;
    parts.auth = object_of(auth_);
    flow_ = std::make_unique<Flow>(std::move(parts), metrics_, log_);
    if (admin_listen_) {
        std::optional<tls::ServerFiles> tls;
        if (pipeline.admin_tls_cert && pipeline.admin_tls_key) {
            tls = tls::ServerFiles{*pipeline.admin_tls_cert, *pipeline.admin_tls_key};
        }
        admin_stats_ = std::make_unique<AdminStats>(node_id_, metrics_, health_,
                                                    flow_->busy_rooms(), *presence_.object, home);
        try {
            admin_ = std::make_unique<AdminServer>(
                home, metrics_, health_, pipeline.admin_token.value_or(""), std::move(tls),
                admin_stats_.get(), pipeline.admin_api_max_body);
        } catch (const std::runtime_error& e) {
            throw StartError(fmt::format("{}: {}", pipeline.file.string(), e.what()), 2);
        }
        admin_->set_api(make_server_api(pipeline, home));
    }
}

std::shared_ptr<ServerApi> Host::make_server_api(const Pipeline& pipeline,
                                                 const sdk::Executor& home) const {
    ServerApi::Parts parts;
    parts.inbound = flow_.get();
    parts.transport = transport_.object.get();
    parts.presence = presence_.object.get();
    parts.health = &health_;
    parts.node_id = node_id_;
    parts.threads = static_cast<unsigned>(io_->size());
    parts.has_store = store_.has_value();
    parts.not_ready = admin_->readiness();
    const auto add = [&](const PluginSection& section) {
        parts.plugins.push_back({section.slot, section.use,
                                 section.manifest ? section.manifest->version : std::string()});
    };
    if (!transport_.label.starts_with("transport (built in)")) add(pipeline.transport);
    for (const auto& section : pipeline.processors) add(section);
    add(pipeline.queue);
    add(pipeline.presence);
    if (pipeline.store) add(*pipeline.store);
    if (pipeline.auth) add(*pipeline.auth);
    // The API has a token of its own when one is set: a metrics scraper's token need not
    // be able to publish or disconnect.
    auto token = pipeline.admin_api_token.value_or(pipeline.admin_token.value_or(""));
    return std::make_shared<ServerApi>(home, std::move(parts), std::move(token));
}

Host::~Host() {
    if (started_ && !stopped_) {
        try {
            stop();
        } catch (const std::exception& e) {
            log_->error("stopping: {}", e.what());
        }
    }
    // No handler may run while plugin objects are destroyed (see the member order).
    io_->stop();
    io_->join();
}

template <class Interface>
PluginInstance<Interface> Host::make(const PluginSection& section, sdk::Executor home) {
    using Factory = std::function<std::unique_ptr<Interface>(sdk::PluginContext&)>;
    PluginInstance<Interface> loaded;
    loaded.label = fmt::format("{} '{}'", section.slot, section.use);
    const auto* factory = std::get_if<Factory>(&section.manifest->factory);
    if (factory == nullptr || !*factory) {
        throw StartError(fmt::format("{}: {}: plugin '{}' has no {} factory", section.where.file,
                                     section.slot, section.use, section.slot),
                         2);
    }
    loaded.context = std::make_unique<HostPluginContext>(
        section.config, home, io_->executors(),
        std::make_unique<PluginLogger>(log_, fmt::format("{}/{}", section.slot, section.use)),
        metrics_, health_.reporter(loaded.label, fmt::format("{}/{}", section.slot, section.use)),
        node_id_, drain_timeout_);
    try {
        loaded.object = (*factory)(*loaded.context);
    } catch (const std::exception& e) {
        throw StartError(fmt::format("{}:{}:{}: {}: plugin '{}' failed to initialise: {}",
                                     section.where.file, section.where.line, section.where.column,
                                     section.slot, section.use, e.what()),
                         2);
    }
    if (!loaded.object) {
        throw StartError(
            fmt::format("{}:{}:{}: {}: plugin '{}' returned no object", section.where.file,
                        section.where.line, section.where.column, section.slot, section.use),
            2);
    }
    return loaded;
}

template <class Interface>
std::shared_ptr<SharedPlugin<Interface>> Host::make_shared_plugin(const Pipeline& pipeline,
                                                                  const PluginSection& section) {
    return share_plugin(
        SharedPlugin<Interface>{pipeline.lookup, make<Interface>(section, io_->home())},
        io_->home());
}

std::shared_ptr<const Flow::ProcessorChain> Host::chain() const {
    if (processors_.empty()) return nullptr;
    auto chain = std::make_shared<Flow::ProcessorChain>();
    for (const auto& record : processors_) chain->push_back(object_of(record));
    return chain;
}

std::error_code Host::wait(const std::function<void(sdk::Done)>& operation,
                           std::chrono::milliseconds limit, bool& timed_out) {
    auto promise = std::make_shared<std::promise<std::error_code>>();
    auto future = promise->get_future();
    operation([promise](std::error_code ec) { promise->set_value(ec); });
    timed_out = future.wait_for(limit) != std::future_status::ready;
    return timed_out ? std::error_code{} : future.get();
}

void Host::start_step(const std::string& label, const std::function<void(sdk::Done)>& operation) {
    bool timed_out = false;
    const auto ec = wait(operation, kStartTimeout, timed_out);
    if (timed_out) {
        throw StartError(
            fmt::format("{} failed to start: no answer after {} s", label, kStartTimeout.count()),
            1);
    }
    if (ec) throw StartError(fmt::format("{} failed to start: {}", label, ec.message()), 1);
}

void Host::stop_step(const std::string& label, const std::function<void(sdk::Done)>& operation) {
    bool timed_out = false;
    const auto limit = drain_timeout_ + std::chrono::seconds(5);
    const auto ec = wait(operation, limit, timed_out);
    if (timed_out) {
        log_->error("{}: no answer after {} ms; going on (raise node.drain_timeout?)", label,
                    limit.count());
    } else if (ec) {
        log_->error("{}: {}", label, ec.message());
    }
}

std::string Host::migrate_store() {
    if (!store_) throw StartError("the pipeline has no store: nothing to migrate", 2);
    auto promise = std::make_shared<std::promise<std::pair<std::error_code, std::string>>>();
    auto future = promise->get_future();
    store_->object->migrate([promise](std::error_code ec, std::string report) {
        promise->set_value({ec, std::move(report)});
    });
    if (future.wait_for(kStartTimeout) != std::future_status::ready) {
        throw StartError(fmt::format("{}: migration: no answer after {} s", store_->label,
                                     kStartTimeout.count()),
                         1);
    }
    auto [ec, report] = future.get();
    stop_step(store_->label, [this](sdk::Done done) { store_->object->stop(std::move(done)); });
    if (ec) {
        throw StartError(fmt::format("{}: migration failed: {}", store_->label,
                                     report.empty() ? ec.message() : report),
                         1);
    }
    return fmt::format("{}: {}", store_->label, report);
}

void Host::start() {
    if (admin_) {
        admin_->start(*admin_listen_);
        // The bound port, so that `listen: host:0` says which one it got.
        const auto host = admin_listen_->substr(0, admin_listen_->rfind(':'));
        log_->info("admin: {}://{}:{}/metrics /healthz /readyz /api/v1/",
                   admin_->serves_tls() ? "https" : "http", host, admin_->port());
    }
    flow_->connect();
    // What started is stopped again, in reverse, when a later plugin fails to start.
    std::vector<std::pair<std::string, std::function<void(sdk::Done)>>> undo;
    auto step = [&](const std::string& label, const std::function<void(sdk::Done)>& start,
                    std::function<void(sdk::Done)> stop) {
        try {
            start_step(label, start);
        } catch (const StartError&) {
            std::for_each(undo.rbegin(), undo.rend(), [&](const auto& undo_step) {
                stop_step(undo_step.first, undo_step.second);
            });
            throw;
        }
        undo.emplace_back(label + " stop", std::move(stop));
    };
    if (store_) {
        step(
            store_->label, [&](sdk::Done d) { (*store_)->start(std::move(d)); },
            [&](sdk::Done d) { (*store_)->stop(std::move(d)); });
    }
    step(
        presence_.label, [&](sdk::Done d) { presence_->start(std::move(d)); },
        [&](sdk::Done d) { presence_->stop(std::move(d)); });
    step(
        queue_.label, [&](sdk::Done d) { queue_->start(std::move(d)); },
        [&](sdk::Done d) { queue_->stop(std::move(d)); });
    step(
        transport_.label, [&](sdk::Done d) { transport_->start(*flow_, std::move(d)); },
        [&](sdk::Done d) { transport_->stop(std::move(d)); });
    started_ = true;
    if (admin_) admin_->set_ready();
    log_->info("relay {} node '{}' running on {} I/O threads", RELAY_VERSION, node_id_,
               io_->size());
}

void Host::stop() {
    if (stopped_ || !started_) return;
    stopped_ = true;
    if (admin_) admin_->set_not_ready("stopping");
    log_->info("stopping: closing the transport, then draining the queue into the store");
    stop_step(transport_.label + " stop", [&](sdk::Done d) { transport_->stop(std::move(d)); });
    // Publishes the transport had already handed over still complete (and are acked
    // to whoever is still there); then the queue drains what it accepted.
    stop_step("in-flight publishes",
              [&](sdk::Done d) { flow_->begin_shutdown([d = std::move(d)] { d({}); }); });
    stop_step(queue_.label + " stop", [&](sdk::Done d) { queue_->stop(std::move(d)); });
    stop_step(presence_.label + " stop", [&](sdk::Done d) { presence_->stop(std::move(d)); });
    if (store_)
        stop_step(store_->label + " stop", [&](sdk::Done d) { (*store_)->stop(std::move(d)); });
    if (admin_) admin_->stop();
    log_->info("stopped");
}

void Host::reload() {
    if (source_) {
        try {
            apply(source_());
        } catch (const ConfigErrors& e) {
            reloads_failed_.add();
            for (const auto& diagnostic : e.diagnostics()) log_->error("{}", diagnostic.format());
            log_->error("reload: {} has {} error(s); kept the running pipeline",
                        running_.file.string(), e.diagnostics().size());
        } catch (const std::exception& e) {
            reloads_failed_.add();
            log_->error("{}", e.what());
            log_->error("reload: {} did not load; kept the running pipeline",
                        running_.file.string());
        }
    }
    reload_files();
}

Host::Applied Host::apply(const Pipeline& next) {
    const PipelineChanges changes = compare_pipelines(running_, next);
    Applied applied;
    for (const auto& change : changes.needs_restart) {
        applied.kept.push_back(
            fmt::format("reload: {}: needs a restart; kept the running value", change));
        log_->warn("{}", applied.kept.back());
    }
    // Every new object is made before anything is swapped: a plugin that fails to
    // initialise leaves the running pipeline whole.
    std::vector<std::shared_ptr<SharedPlugin<sdk::Processor>>> processors;
    // The sections they were made from (a kept one's points into the catalog it holds).
    std::vector<PluginSection> sections;
    std::shared_ptr<SharedPlugin<sdk::Authenticator>> auth = auth_;
    try {
        if (changes.processors) {
            // A processor whose plugin and settings did not change is kept, with its
            // state (a rate limit's buckets), wherever it moved in the list.
            std::vector<bool> reused(processors_.size(), false);
            for (const auto& section : next.processors) {
                std::shared_ptr<SharedPlugin<sdk::Processor>> record;
                for (std::size_t i = 0; i < processors_.size() && !record; ++i) {
                    if (!reused[i] && same_section(running_.processors[i], section)) {
                        reused[i] = true;
                        record = processors_[i];
                        sections.push_back(running_.processors[i]);
                        sections.back().slot = section.slot;
                    }
                }
                if (!record) {
                    record = make_shared_plugin<sdk::Processor>(next, section);
                    sections.push_back(section);
                }
                processors.push_back(std::move(record));
            }
        }
        if (changes.auth) {
            auth = next.auth ? make_shared_plugin<sdk::Authenticator>(next, *next.auth) : nullptr;
        }
    } catch (const std::exception& e) {
        reloads_failed_.add();
        log_->error("{}", e.what());
        log_->error("reload: kept the running pipeline");
        applied.summary = "failed";
        return applied;
    }
    if (changes.processors) {
        processors_ = std::move(processors);
        running_.processors = std::move(sections);
        flow_->replace_processors(chain());
    }
    if (changes.auth) {
        auth_ = std::move(auth);
        running_.auth = next.auth;
        flow_->replace_auth(object_of(auth_));
    }
    if (changes.transport) reconfigure_transport(next.transport.config);
    if (changes.transport && !changes.transport_fixed) {
        // The same plugin (its manifest stays the running one's): only the values move.
        running_.transport.config = next.transport.config;
        running_.transport.where = next.transport.where;
    }
    reloads_applied_.add();
    applied.ok = true;
    std::string live = changes.live.empty() ? "nothing to change live" : "";
    for (const auto& change : changes.live) live += (live.empty() ? "" : "; ") + change;
    applied.summary =
        changes.needs_restart.empty()
            ? live
            : fmt::format("{} ({} change(s) need a restart)", live, changes.needs_restart.size());
    log_->info("reload of {}: {}", next.file.string(), applied.summary);
    return applied;
}

sdk::Executor Host::transport_executor() const {
    // A built-in transport (tests) has no context of its own: the home executor.
    return transport_.context ? transport_.context->executor() : io_->home();
}

void Host::reconfigure_transport(std::shared_ptr<const PluginConfig> config) {
    const auto executor = transport_executor();
    boost::asio::post(executor, [this, config = std::move(config)] {
        try {
            transport_->reconfigure(*config);
        } catch (const std::exception& e) {
            // Checked before: a throw here is the plugin's bug, not the file's.
            log_->error("reload: {} reconfigure failed: {}", transport_.label, e.what());
        }
    });
}

void Host::reload_files() {
    if (auth_) {
        log_->info("reloading {}", auth_->instance.label);
        boost::asio::post(auth_->instance.context->executor(),
                          [auth = object_of(auth_)] { auth->reload(); });
    }
    log_->info("reloading {}", transport_.label);
    boost::asio::post(transport_executor(),
                      [transport = transport_.object.get()] { transport->reload(); });
    if (admin_) {
        try {
            if (admin_->reload()) log_->info("admin: TLS certificate reloaded");
        } catch (const std::exception& e) {
            log_->warn("admin: reload kept the previous TLS certificate: {}", e.what());
        }
    }
}

int Host::run_until_signal() {
    // Signals are handled on the control thread's own io_context (not an I/O thread),
    // so the stop can block here while a second signal can still be seen.
    boost::asio::io_context signals_io(1);
    boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
    boost::asio::signal_set hangups(signals_io, SIGHUP);  // reload()
    std::thread stopper;
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signo) {
            if (ec) return;
            if (stopper.joinable()) {
                log_->warn("second signal ({}): exiting now", signo);
                spdlog::default_logger()->flush();
                std::_Exit(128 + signo);
            }
            log_->info("signal {}: stopping (send it again to exit at once)", signo);
            notify_stopping();
            signals.async_wait(on_signal);
            stopper = std::thread([&] {
                stop();
                boost::asio::post(signals_io, [&] {
                    signals.cancel();
                    hangups.cancel();
                    signals_io.stop();
                });
            });
        };
    signals.async_wait(on_signal);
    std::function<void(const boost::system::error_code&, int)> on_hangup =
        [&](const boost::system::error_code& ec, int) {
            if (ec) return;
            reload();
            hangups.async_wait(on_hangup);
        };
    hangups.async_wait(on_hangup);
    start();
    notify_ready(fmt::format("node '{}' serving on {} I/O threads", node_id_, io_->size()));
    // Pinged from the I/O threads, so that systemd restarts a process whose threads
    // are stuck, not only one that died. It runs through the stop, which may be long.
    std::optional<Watchdog> watchdog;
    if (const auto interval = watchdog_interval()) {
        watchdog.emplace(signals_io.get_executor(), io_->executors(), *interval, notify_watchdog);
        watchdog->start();
    }
    signals_io.run();
    if (stopper.joinable()) stopper.join();
    return 0;
}

}  // namespace relay::host
