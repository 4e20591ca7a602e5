#pragma once
#include "runtime/host.hpp"
#include "support/pipeline_fixture.hpp"
#include "support/recording_transport.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace relay::testing {

/// A started Host running `loaded` with a RecordingTransport as its transport and
/// `members` ((room, sid) pairs) in their rooms.
class RecordingHost {
public:
    using Members = std::vector<std::pair<std::string, std::string>>;

    explicit RecordingHost(const host::Pipeline& loaded, const Members& members = {})
        : owned_(std::make_unique<RecordingTransport>()),
          transport(*owned_),
          host(loaded, std::move(owned_)) {
        for (const auto& [room, sid] : members) transport.add_member(room, sid);
        host.start();
    }

private:
    std::unique_ptr<RecordingTransport> owned_;  // until the host owns it

public:
    RecordingTransport& transport;
    host::Host host;
};

}  // namespace relay::testing
