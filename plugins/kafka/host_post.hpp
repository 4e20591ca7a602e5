#pragma once
/// How the queue's threads hand work to the host.
#include <functional>

namespace relay::plugins::kafka {

/// Runs `work` on the plugin's executor, unless the queue closed meanwhile (stop
/// completed, or it is being destroyed): nothing reaches the host after that. The queue
/// stays alive until `work` ran, so `work` may use any part of it.
using HostPost = std::function<void(std::function<void()> work)>;

}  // namespace relay::plugins::kafka
