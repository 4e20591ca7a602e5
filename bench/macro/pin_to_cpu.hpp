#pragma once
/// Pins the calling thread to one CPU, as bench/compare pins the servers it measures.
#include <sched.h>

namespace relay::bench {

/// Runs the calling thread on `cpu` only; a negative `cpu` leaves it where it is.
inline void pin_to_cpu(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

}  // namespace relay::bench
