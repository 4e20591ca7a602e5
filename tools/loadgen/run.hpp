#pragma once
#include "options.hpp"

namespace relay::loadgen {

/// Connects every client, runs warmup, measurement and drain, prints the summary and
/// the JSON line. Returns 0, or 1 when clients failed to connect.
int run(const Options& options);

}  // namespace relay::loadgen
