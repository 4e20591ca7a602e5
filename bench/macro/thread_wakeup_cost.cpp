// The CPU one hand-off between two threads costs on this machine: a floor under every
// design that moves work from the I/O thread to a thread of its own and back, as
// Relay's sqlite store does for each commit (the writer thread is woken, the I/O thread
// is woken for the acks) and librdkafka does for each request.
//
//   relay_thread_wakeup_cost [--handoffs N] [--rate N] [--cpu C]
//
// Thread A, like an idle I/O thread, sleeps in epoll_wait between ticks paced at
// `rate` per second (a timerfd). At each tick it wakes thread B through a mutex and a
// condition variable, as the store hands a batch to its writer; B wakes A back through
// an eventfd, as a completion posted to an io_context does. Both run on one core
// (--cpu, as bench/compare pins the server). The same ticks without B are measured
// first and subtracted, so what is left is the two wakeups of one hand-off and its
// way back. Prints one JSON line:
// {"handoffs":...,"rate":...,"us_per_tick":...,"us_per_handoff":...,"us_per_wakeup":...}.
#include "pin_to_cpu.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

namespace {

struct Options {
    long handoffs = 20000;
    long rate = 2000;
    int cpu = -1;
};

std::optional<Options> parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view key = argv[i];
        const long value = std::strtol(argv[i + 1], nullptr, 10);
        if (key == "--handoffs") {
            o.handoffs = value;
        } else if (key == "--rate") {
            o.rate = value;
        } else if (key == "--cpu") {
            o.cpu = static_cast<int>(value);
        } else {
            std::cerr << "unknown option " << key << "\n";
            return std::nullopt;
        }
    }
    if (o.handoffs < 1 || o.handoffs > 10000000 || o.rate < 1 || o.rate > 100000) {
        std::cerr << "option out of range\n";
        return std::nullopt;
    }
    return o;
}

double cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

[[noreturn]] void die(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

/// The other thread: woken through a condition variable, answers through an eventfd.
class Worker {
public:
    explicit Worker(int answer_fd, int cpu)
        : answer_fd_(answer_fd), thread_([this, cpu] { run(cpu); }) {}
    ~Worker() {
        {
            std::lock_guard lock(mutex_);
            quit_ = true;
        }
        cv_.notify_one();
        thread_.join();
    }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;
    Worker(Worker&&) = delete;
    Worker& operator=(Worker&&) = delete;

    void wake() {
        {
            std::lock_guard lock(mutex_);
            ++pending_;
        }
        cv_.notify_one();
    }

private:
    void run(int cpu) {
        relay::bench::pin_to_cpu(cpu);
        std::unique_lock lock(mutex_);
        for (;;) {
            cv_.wait(lock, [this] { return pending_ > 0 || quit_; });
            if (quit_) return;
            // Wakes that came while it ran are answered together, one count each.
            const std::uint64_t answers = pending_;
            pending_ = 0;
            if (::write(answer_fd_, &answers, sizeof answers) != sizeof answers) die("write");
        }
    }

    const int answer_fd_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::uint64_t pending_ = 0;
    bool quit_ = false;
    std::thread thread_;
};

/// `ticks` paced ticks on this thread, each handing off to `worker` and waiting for its
/// answer when there is one. Returns the process's CPU seconds.
double run_ticks(const Options& o, Worker* worker, int answer_fd) {
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    const int timer = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (ep < 0 || timer < 0) die("epoll/timerfd");
    for (const int fd : {timer, answer_fd}) {
        epoll_event e{};
        e.events = EPOLLIN;
        e.data.fd = fd;
        if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) != 0) die("epoll_ctl");
    }
    const long period_ns = 1000000000L / o.rate;
    itimerspec spec{};
    spec.it_interval.tv_sec = period_ns / 1000000000L;
    spec.it_interval.tv_nsec = period_ns % 1000000000L;
    spec.it_value = spec.it_interval;
    if (::timerfd_settime(timer, 0, &spec, nullptr) != 0) die("timerfd_settime");

    const double before = cpu_seconds();
    long ticks = 0;
    long answers = 0;
    std::array<epoll_event, 2> events{};
    while (ticks < o.handoffs || (worker != nullptr && answers < ticks)) {
        const int n = ::epoll_wait(ep, events.data(), events.size(), 5000);
        if (n <= 0) die("epoll_wait");
        for (int i = 0; i < n; ++i) {
            const int fd = events.at(static_cast<std::size_t>(i)).data.fd;
            std::uint64_t count = 0;
            if (::read(fd, &count, sizeof count) != sizeof count) continue;
            if (fd == answer_fd) {
                answers += static_cast<long>(count);
            } else if (ticks < o.handoffs) {
                ++ticks;
                if (worker != nullptr) worker->wake();
            }
        }
    }
    const double used = cpu_seconds() - before;
    ::close(timer);
    ::close(ep);
    return used;
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = parse(argc, argv);
    if (!options) return 2;
    const Options& o = *options;
    try {
        relay::bench::pin_to_cpu(o.cpu);
        const int answer_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (answer_fd < 0) die("eventfd");
        const double alone = run_ticks(o, nullptr, answer_fd);
        double with_handoffs = 0;
        {
            Worker worker(answer_fd, o.cpu);
            with_handoffs = run_ticks(o, &worker, answer_fd);
        }
        const auto n = static_cast<double>(o.handoffs);
        const double per_tick = alone * 1e6 / n;
        const double per_handoff = (with_handoffs - alone) * 1e6 / n;
        std::cout << std::fixed << std::setprecision(2) << R"({"handoffs":)" << o.handoffs
                  << R"(,"rate":)" << o.rate << R"(,"us_per_tick":)" << per_tick
                  << R"(,"us_per_handoff":)" << per_handoff << R"(,"us_per_wakeup":)"
                  << per_handoff / 2 << "}\n";
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    return 0;
}
