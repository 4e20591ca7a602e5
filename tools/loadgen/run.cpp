#include "run.hpp"

#include "client.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <iostream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

namespace relay::loadgen {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Worker {
    boost::asio::io_context io{1};
    ThreadStats stats;
    std::vector<std::shared_ptr<Client>> clients;
    std::vector<std::shared_ptr<Client>> senders;
    std::size_t next_to_connect = 0;
    std::thread thread;
};

/// Starts the next pending handshakes of a worker, keeping `parallel` in flight.
void connect_more(Worker& w, unsigned parallel_left) {
    while (parallel_left > 0 && w.next_to_connect < w.clients.size()) {
        auto& client = w.clients[w.next_to_connect++];
        --parallel_left;
        client->start([&w](bool) { connect_more(w, 1); });
    }
}

template <class F>
std::uint64_t total(const std::vector<std::unique_ptr<Worker>>& workers, F field) {
    std::uint64_t n = 0;
    for (const auto& w : workers) n += field(w->stats).load(std::memory_order_relaxed);
    return n;
}

}  // namespace

int run(const Options& o) {
    std::atomic<Phase> phase{Phase::connecting};
    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned t = 0; t < o.threads; ++t) workers.push_back(std::make_unique<Worker>());
    // Clients spread over the threads in turn; a room's members land on several.
    unsigned next = 0;
    for (unsigned r = 0; r < o.rooms; ++r) {
        for (unsigned i = 0; i < o.clients; ++i) {
            auto& w = *workers[next++ % o.threads];
            auto client = std::make_shared<Client>(w.io.get_executor(), o, w.stats, phase, r, i);
            w.clients.push_back(client);
            if (i < o.senders) w.senders.push_back(client);
        }
    }
    const std::uint64_t connections = static_cast<std::uint64_t>(o.rooms) * o.clients;
    const auto start = Clock::now();
    const double cpu_start = cpu_seconds();
    for (auto& w : workers) {
        auto guard = boost::asio::make_work_guard(w->io);
        boost::asio::post(w->io,
                          [&w = *w, parallel = std::max(1U, o.connect_parallel / o.threads)] {
                              connect_more(w, parallel);
                          });
        w->thread = std::thread([&w = *w, guard = std::move(guard)]() mutable { w.io.run(); });
    }

    auto progress = [&](const char* what) {
        if (!o.progress) return;
        std::fprintf(
            stderr,
            "\r%-10s %6.1fs  connected %llu/%llu  sent %llu  delivered %llu  errors %llu   ", what,
            seconds_since(start),
            static_cast<unsigned long long>(total(
                workers, [](auto& s) -> auto& { return s.connected; })),
            static_cast<unsigned long long>(connections),
            static_cast<unsigned long long>(total(
                workers, [](auto& s) -> auto& { return s.sent; })),
            static_cast<unsigned long long>(total(
                workers, [](auto& s) -> auto& { return s.delivered; })),
            static_cast<unsigned long long>(total(
                workers, [](auto& s) -> auto& { return s.errors; })));
    };
    auto wait = [&](double seconds, const char* what) {
        const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(seconds));
        while (Clock::now() < until) {
            const Clock::duration left = until - Clock::now();
            std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::seconds(1), left));
            progress(what);
        }
    };

    // 1. Connect (bounded: 120 s at most).
    const auto connect_deadline = Clock::now() + std::chrono::seconds(120);
    while (total(
               workers, [](auto& s) -> auto& { return s.connected; }) +
               total(
                   workers, [](auto& s) -> auto& { return s.connect_failed; }) <
           connections) {
        if (Clock::now() > connect_deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        progress("connecting");
    }
    const double connect_s = seconds_since(start);
    const auto connected = total(
        workers, [](auto& s) -> auto& { return s.connected; });

    // 2. Load: every sender starts at a random point of its first period.
    std::mt19937_64 rng(42);
    const double period_ns = o.rate > 0 ? 1e9 / o.rate : 0;
    phase = Phase::warmup;
    for (auto& w : workers) {
        std::vector<std::chrono::nanoseconds> offsets;
        for (std::size_t i = 0; i < w->senders.size(); ++i) {
            offsets.emplace_back(static_cast<std::int64_t>(
                std::uniform_real_distribution<double>(0, period_ns)(rng)));
        }
        boost::asio::post(w->io, [&w = *w, offsets] {
            for (std::size_t i = 0; i < w.senders.size(); ++i)
                w.senders[i]->start_sending(offsets[i]);
        });
    }
    wait(o.warmup_s, "warmup");
    phase = Phase::measuring;
    const double cpu_measure_start = cpu_seconds();
    wait(o.duration_s, "measuring");
    const double cpu_measure = cpu_seconds() - cpu_measure_start;
    phase = Phase::draining;
    // 3. Drain: stop early once everything expected has arrived.
    const std::uint64_t expected = total(
                                       workers, [](auto& s) -> auto& { return s.measured_sent; }) *
                                   (o.clients - 1);
    const auto drain_until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(o.drain_s));
    while (Clock::now() < drain_until &&
           total(
               workers, [](auto& s) -> auto& { return s.measured_delivered; }) < expected) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    progress("done");
    if (o.progress) std::fprintf(stderr, "\n");
    phase = Phase::done;
    for (auto& w : workers) {
        boost::asio::post(w->io, [&w = *w] {
            for (auto& c : w.clients) c->close();
            w.io.stop();
        });
    }
    for (auto& w : workers) w->thread.join();

    Histogram latency;
    for (auto& w : workers) latency.merge(w->stats.latency);
    const auto delivered = total(
        workers, [](auto& s) -> auto& { return s.measured_delivered; });
    auto ms = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e6; };
    nlohmann::json out{
        {"label", o.label},
        {"rooms", o.rooms},
        {"clients_per_room", o.clients},
        {"senders_per_room", o.senders},
        {"rate_per_sender", o.rate},
        {"payload", o.payload},
        {"connections", connected},
        {"connect_failed", total(
                               workers, [](auto& s) -> auto& { return s.connect_failed; })},
        {"connect_s", connect_s},
        {"duration_s", o.duration_s},
        {"sent", total(
                     workers, [](auto& s) -> auto& { return s.measured_sent; })},
        {"expected", expected},
        {"delivered", delivered},
        {"lost", expected > delivered ? expected - delivered : 0},
        {"duplicates", total(
                           workers, [](auto& s) -> auto& { return s.duplicates; })},
        {"out_of_order", total(
                             workers, [](auto& s) -> auto& { return s.out_of_order; })},
        {"errors", total(
                       workers, [](auto& s) -> auto& { return s.errors; })},
        {"backlog_drops", total(
                              workers, [](auto& s) -> auto& { return s.backlog_drops; })},
        {"delivered_per_s", static_cast<double>(delivered) / o.duration_s},
        {"p50_ms", ms(latency.quantile(0.50))},
        {"p90_ms", ms(latency.quantile(0.90))},
        {"p99_ms", ms(latency.quantile(0.99))},
        {"p999_ms", ms(latency.quantile(0.999))},
        {"max_ms", ms(latency.max())},
        {"loadgen_cpu_s", cpu_measure},
        {"loadgen_cpu_total_s", cpu_seconds() - cpu_start},
    };
    std::fprintf(
        stderr,
        "%llu connections in %.1f s; %llu sent, %llu/%llu delivered (%.0f/s), lost %llu, dup %llu, "
        "out of order %llu; latency p50 %.2f p99 %.2f p99.9 %.2f max %.2f ms\n",
        static_cast<unsigned long long>(connected), connect_s,
        static_cast<unsigned long long>(out["sent"].get<std::uint64_t>()),
        static_cast<unsigned long long>(delivered), static_cast<unsigned long long>(expected),
        out["delivered_per_s"].get<double>(),
        static_cast<unsigned long long>(out["lost"].get<std::uint64_t>()),
        static_cast<unsigned long long>(out["duplicates"].get<std::uint64_t>()),
        static_cast<unsigned long long>(out["out_of_order"].get<std::uint64_t>()),
        out["p50_ms"].get<double>(), out["p99_ms"].get<double>(), out["p999_ms"].get<double>(),
        out["max_ms"].get<double>());
    std::cout << out.dump() << std::endl;
    return connected == connections ? 0 : 1;
}

}  // namespace relay::loadgen
