#include "cli/cli.hpp"

#include "cli/api_commands.hpp"
#include "cli/help_text.hpp"
#include "cli/plugin_listing.hpp"
#include "config/cluster_check.hpp"
#include "config/pipeline_loader.hpp"
#include "config/plugin_load_error.hpp"
#include "plugins/plugin_catalog.hpp"
#include "runtime/host.hpp"
#include "runtime/plugin_logger.hpp"

#include <relay/sdk/abi.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/program_options.hpp>

namespace relay::host {
namespace {

namespace po = boost::program_options;

struct Options {
    std::string command;
    std::optional<std::filesystem::path> file;
    std::optional<std::string> log_level;
    std::vector<std::filesystem::path> plugin_path;
    bool json = false;
    bool help = false;
    bool version = false;
    std::vector<std::string> args;  ///< after the command
    ApiOptions api;                 ///< for the server API commands
};

Options parse(int argc, char** argv) {
    po::options_description described("options");
    std::string log_level;
    std::vector<std::string> plugin_path;
    Options options;
    auto& api = options.api;
    const auto text = [](std::optional<std::string>& into) {
        return po::value<std::string>()->notifier([&into](const std::string& v) { into = v; });
    };
    described.add_options()("help,h", "help")("version", "version")("json", "json output")(
        "log-level", po::value<std::string>(&log_level), "log level")(
        "plugin-path", po::value<std::vector<std::string>>(&plugin_path), "plugin dir")(
        "admin", text(api.admin), "admin URL")("token", text(api.token), "API token")(
        "cacert", text(api.ca_file), "CA file")("user", text(api.user), "user")(
        "sid", text(api.sid), "sid")("room", text(api.room), "room")(
        "limit", text(api.limit), "limit")("before", text(api.before), "before id")(
        "after", text(api.after), "after id")("no-reconnect", "disconnect for good")(
        "args", po::value<std::vector<std::string>>(), "command and file");
    po::positional_options_description positional;
    positional.add("args", -1);
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(described).positional(positional).run(),
              vm);
    po::notify(vm);

    options.help = vm.count("help") > 0;
    options.version = vm.count("version") > 0;
    options.json = vm.count("json") > 0;
    api.no_reconnect = vm.count("no-reconnect") > 0;
    if (vm.count("log-level") > 0) options.log_level = log_level;
    for (const auto& dir : plugin_path) options.plugin_path.emplace_back(dir);
    std::vector<std::string> args;
    if (vm.count("args") > 0) args = vm["args"].as<std::vector<std::string>>();
    if (!args.empty()) options.command = args[0];
    if (args.size() > 1) options.args.assign(args.begin() + 1, args.end());
    api.command = options.command;
    api.args = options.args;
    // The server API commands check their own arguments (run_api_command).
    if (is_api_command(options.command)) return options;
    if (args.size() > 1) options.file = args[1];
    if (args.size() > 2) {
        throw po::error("unexpected argument '" + args[2] + "'");
    }
    return options;
}

std::filesystem::path default_pipeline() {
    std::filesystem::path relative = "config/default.yaml";
    std::error_code ec;
    if (std::filesystem::exists(relative, ec)) return relative;
    const auto bin_dir = std::filesystem::path(boost::dll::program_location(ec)).parent_path();
    for (const auto& candidate :
         {bin_dir / ".." / relative, bin_dir / ".." / "share/relay/default.yaml"}) {
        if (std::filesystem::exists(candidate, ec)) return candidate.lexically_normal();
    }
    return relative;  // the loader reports it missing, with the path
}

Pipeline load(const std::filesystem::path& file, const Options& options) {
    return load_pipeline(file, plugin_catalog_factory(options.plugin_path, plugin_search_path({})));
}

int command_run(const Options& options) {
    const auto file = options.file.value_or(default_pipeline());
    const Pipeline pipeline = load(file, options);
    setup_logging(options.log_level.value_or(pipeline.log_level));
    Host host(pipeline);
    // SIGHUP reads the same file again, finding plugins as at start.
    host.set_pipeline_source([file, options] { return load(file, options); });
    return host.run_until_signal();
}

int command_check(const Options& options) {
    if (!options.file) {
        std::cerr << "relay check: which file? usage: relay check FILE\n";
        return 2;
    }
    const Pipeline pipeline = load(*options.file, options);
    for (const auto& warning : cluster_warnings(pipeline)) std::cerr << warning << '\n';
    std::cout << options.file->string() << ": ok (transport '" << pipeline.transport.use
              << "', queue '" << pipeline.queue.use << "', presence '" << pipeline.presence.use
              << "', store '" << (pipeline.store ? pipeline.store->use : std::string("none"))
              << "', auth '" << (pipeline.auth ? pipeline.auth->use : std::string("none")) << "', "
              << pipeline.processors.size() << " processor(s))\n";
    if (!pipeline.store) {
        std::cout << "note: no store: no history, and an ack means only that queue '"
                  << pipeline.queue.use
                  << "' accepted the message (the memory queue keeps it in this process only, "
                     "so it does not survive a restart)\n";
    }
    if (!pipeline.auth) {
        std::cout << "note: no auth: any client may join any room, read its history and "
                     "presence, and post under any user name it gives (add an auth section, "
                     "e.g. auth: {use: jwt, ...}, to require identities)\n";
    }
    return 0;
}

int command_migrate(const Options& options) {
    const auto file = options.file.value_or(default_pipeline());
    const Pipeline pipeline = load(file, options);
    setup_logging(options.log_level.value_or(pipeline.log_level));
    Host host(pipeline);
    std::cout << host.migrate_store() << '\n';
    return 0;
}

int command_plugins(const Options& options) {
    PluginCatalog catalog(plugin_search_path(options.plugin_path));
    const auto entries = catalog.scan();
    std::cout << (options.json ? plugins_json(catalog, entries) : plugins_text(catalog, entries));
    return 0;
}

int command_version() {
    std::cout << "relay " << RELAY_VERSION << " (SDK ABI version " << sdk::kAbiVersion << ")\n";
    return 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
    Options options;
    try {
        options = parse(argc, argv);
    } catch (const po::error& e) {
        std::cerr << "relay: " << e.what() << "\nTry 'relay --help'.\n";
        return 2;
    }
    if (options.version && !options.help) return command_version();
    if (options.help || options.command.empty() || options.command == "help") {
        std::cout << kHelpText;
        return options.command.empty() && !options.help ? 2 : 0;
    }
    // Start-up errors are exceptions (STYLE.md), printed here as one line each.
    try {
        if (options.command == "run") return command_run(options);
        if (options.command == "check") return command_check(options);
        if (options.command == "migrate") return command_migrate(options);
        if (options.command == "plugins") return command_plugins(options);
        if (options.command == "version") return command_version();
        if (is_api_command(options.command)) return run_api_command(options.api);
    } catch (const ConfigErrors& e) {
        std::cerr << e.what() << '\n';
        return 2;
    } catch (const PluginLoadError& e) {
        std::cerr << e.what() << '\n';
        return 2;
    } catch (const StartError& e) {
        std::cerr << e.what() << '\n';
        return e.exit_code();
    } catch (const std::exception& e) {
        std::cerr << "relay: " << e.what() << '\n';
        return 1;
    }
    std::cerr << "relay: unknown command '" << options.command << "'\nTry 'relay --help'.\n";
    return 2;
}

}  // namespace relay::host
