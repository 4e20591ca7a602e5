#pragma once
/// Everything a plugin author includes.
#include <relay/sdk/abi.hpp>
#include <relay/sdk/asio.hpp>
#include <relay/sdk/callbacks.hpp>
#include <relay/sdk/config.hpp>
#include <relay/sdk/context.hpp>
#include <relay/sdk/error.hpp>
#include <relay/sdk/health.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/manifest.hpp>
#include <relay/sdk/message.hpp>
#include <relay/sdk/metrics.hpp>
#include <relay/sdk/presence.hpp>
#include <relay/sdk/processor.hpp>
#include <relay/sdk/queue.hpp>
#include <relay/sdk/store.hpp>
#include <relay/sdk/transport.hpp>
