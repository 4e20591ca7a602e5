#pragma once
#include <relay/sdk/config.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace relay::host {

/// The top-level sections of a pipeline file, in the order they are documented:
/// node, plugins, log, transport, processors, queue, presence, store, admin.
const std::vector<std::string>& pipeline_sections();

/// The schema of a host-owned section (node, plugins, log, admin), as data like a
/// plugin's: it drives validation and the reference. nullptr for a plugin slot or an
/// unknown name.
const sdk::Schema* host_section_schema(std::string_view section);

}  // namespace relay::host
