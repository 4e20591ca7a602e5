#include "config/pipeline_loader.hpp"

#include "config/host_schema.hpp"
#include "config/suggest.hpp"
#include "config/value_parsing.hpp"
#include "tls/server_context.hpp"

#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

namespace relay::host {
namespace {

/// "a queue", "an auth".
std::string with_article(std::string_view word) {
    const bool vowel =
        !word.empty() && std::string_view("aeiou").find(word.front()) != std::string_view::npos;
    return (vowel ? "an " : "a ") + std::string(word);
}

/// One entry of a YAML mapping.
struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
};

std::string join_path(std::string_view parent, std::string_view key) {
    if (parent.empty()) return std::string(key);
    return std::string(parent) + "." + std::string(key);
}

/// What a node is, as messages say after "got": a mapping, a sequence, nothing, "text".
std::string describe_node(const YAML::Node& node) {
    if (node.IsMap()) return "a mapping";
    if (node.IsSequence()) return "a sequence";
    if (node.IsScalar()) return quote(node.Scalar());
    return "nothing";
}

std::string host_name() {
    std::array<char, 256> name{};
    if (gethostname(name.data(), name.size() - 1) != 0) return "localhost";
    return name.data();
}

std::string join_names(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& name : names) {
        if (!text.empty()) text += ", ";
        text += name;
    }
    return text;
}

/// Validates one file. Collects every problem instead of stopping at the first.
class Loader {
public:
    Loader(std::string file, const EnvLookup& env) : file_(std::move(file)), env_(env) {}

    std::vector<Diagnostic>& diagnostics() { return diagnostics_; }

    Location at(const YAML::Mark& mark) const {
        if (mark.line < 0 || mark.column < 0) return top();
        return Location{file_, mark.line + 1, mark.column + 1};
    }
    Location at(const YAML::Node& node) const { return at(node.Mark()); }
    Location top() const { return Location{file_, 1, 1}; }

    /// Where a value is, or its key when there is no value to point at (`key:` alone:
    /// yaml-cpp marks an empty value at whatever token follows).
    Location value_at(const Entry& entry) const {
        if (!entry.value.IsDefined() || entry.value.IsNull()) return at(entry.key_node);
        return at(entry.value);
    }

    void report(Location where, std::string key_path, std::string message) {
        diagnostics_.push_back(
            Diagnostic{std::move(where), std::move(key_path), std::move(message)});
    }

    /// The entries of a mapping in file order. Reports keys that are not scalars and
    /// repeated keys (yaml-cpp keeps both and lookups see only the first), and leaves
    /// them out.
    std::vector<Entry> entries(const YAML::Node& map, std::string_view path) {
        std::vector<Entry> result;
        for (auto it = map.begin(); it != map.end(); ++it) {
            const YAML::Node key = it->first;
            if (!key.IsScalar()) {
                report(at(key), std::string(path), "expected a key, got " + describe_node(key));
                continue;
            }
            const std::string& name = key.Scalar();
            const auto first = std::find_if(result.begin(), result.end(),
                                            [&](const Entry& e) { return e.key == name; });
            if (first != result.end()) {
                const Location earlier = at(first->key_node);
                report(at(key), join_path(path, name),
                       "duplicate key; first set at " + std::to_string(earlier.line) + ":" +
                           std::to_string(earlier.column));
                continue;
            }
            result.push_back(Entry{name, key, it->second});
        }
        return result;
    }

    /// A scalar's text after environment substitution; reports and returns nullopt on
    /// a substitution error.
    std::optional<std::string> text_of(const YAML::Node& scalar, const Location& where,
                                       const std::string& path) {
        Substituted substituted = substitute_env(scalar.Scalar(), env_);
        if (substituted.error) {
            report(where, path, std::move(*substituted.error));
            return std::nullopt;
        }
        return std::move(substituted.text);
    }

    /// The typed value of `key` written as `entry`; reports and returns nullopt when it
    /// is not one.
    std::optional<Value> convert(const sdk::ConfigKey& key, const Entry& entry,
                                 const std::string& path) {
        const YAML::Node& node = entry.value;
        const Location where = value_at(entry);
        if (node.IsScalar()) {
            const auto text = text_of(node, where, path);
            if (!text) return std::nullopt;
            Parsed parsed = parse_scalar(key, *text);
            if (!parsed.ok()) {
                report(where, path, std::move(parsed.error));
                return std::nullopt;
            }
            return std::move(parsed.value);
        }
        if (node.IsSequence() && key.type == sdk::ValueType::string_list) {
            std::vector<std::string> items;
            bool ok = true;
            std::size_t index = 0;
            for (const auto& item : node) {
                const std::string item_path = path + "[" + std::to_string(index++) + "]";
                if (!item.IsScalar()) {
                    report(item.IsNull() ? where : at(item), item_path,
                           "expected a string, got " + describe_node(item));
                    ok = false;
                    continue;
                }
                auto text = text_of(item, at(item), item_path);
                if (!text) {
                    ok = false;
                    continue;
                }
                items.push_back(std::move(*text));
            }
            if (!ok) return std::nullopt;
            return Value(std::move(items));
        }
        report(where, path, expected_got(key, describe_node(node)));
        return std::nullopt;
    }

    /// A schema default (text in the forms user input takes; see sdk/config_values.hpp).
    std::optional<Value> default_of(const sdk::ConfigKey& key, const std::string& path,
                                    const Location& section_where, const std::string* plugin) {
        if (!key.default_value) return std::nullopt;
        Parsed parsed = parse_default(key);
        if (!parsed.ok()) {
            const std::string owner = plugin ? " of plugin '" + *plugin + "'" : std::string();
            report(section_where, path, "bad default" + owner + ": " + parsed.error);
            return std::nullopt;
        }
        return std::move(parsed.value);
    }

    /// Checks a section's keys against `schema` (without `use`) and builds its config.
    /// `plugin` names the owner in messages; nullptr for a host section.
    std::shared_ptr<PluginConfig> validate_keys(const sdk::Schema& schema,
                                                const std::vector<Entry>& entries,
                                                const std::string& section,
                                                const Location& section_where,
                                                const std::string* plugin) {
        auto config = std::make_shared<PluginConfig>(section, section_where);
        std::vector<std::string> names;
        if (plugin) names.emplace_back("use");
        for (const auto& key : schema) {
            names.push_back(key.name);
            config->declare(key,
                            default_of(key, join_path(section, key.name), section_where, plugin));
        }
        std::vector<std::string_view> present;
        std::vector<std::string> suggested;  // a typo of a required key is one error, not two
        for (const auto& entry : entries) {
            if (plugin && entry.key == "use") continue;
            const std::string path = join_path(section, entry.key);
            const auto key =
                std::find_if(schema.begin(), schema.end(),
                             [&](const sdk::ConfigKey& k) { return k.name == entry.key; });
            if (key == schema.end()) {
                std::string message = "unknown key";
                if (plugin) message += " for plugin '" + *plugin + "'";
                if (const auto hint = suggest(entry.key, names)) {
                    message += "; did you mean '" + *hint + "'?";
                    suggested.push_back(*hint);
                }
                report(at(entry.key_node), path, std::move(message));
                continue;
            }
            present.push_back(key->name);
            if (auto value = convert(*key, entry, path)) {
                config->set(key->name, std::move(*value), value_at(entry));
            }
        }
        for (const auto& key : schema) {
            const bool written =
                std::find(present.begin(), present.end(), key.name) != present.end() ||
                std::find(suggested.begin(), suggested.end(), key.name) != suggested.end();
            if (key.required && !written) {
                report(section_where, join_path(section, key.name), "missing required key");
            }
        }
        return config;
    }

    /// Runs a manifest's cross-key check on a config that passed the schema.
    void run_check(const sdk::Manifest& manifest, const PluginConfig& config) {
        if (!manifest.check) return;
        std::vector<sdk::KeyProblem> problems;
        try {
            problems = manifest.check(config);
        } catch (const sdk::ConfigError& e) {  // the check called ConfigView::fail
            if (auto diagnostic = Diagnostic::parse(e.what(), file_)) {
                diagnostics_.push_back(std::move(*diagnostic));
            } else {
                report(config.section_where(), config.section(), e.what());
            }
            return;
        } catch (const std::exception& e) {
            report(config.section_where(), config.section(),
                   "the check of plugin '" + manifest.name + "' failed: " + e.what());
            return;
        }
        for (auto& problem : problems) {
            const auto where = problem.key.empty() ? std::nullopt : config.location(problem.key);
            report(
                where.value_or(config.section_where()),
                problem.key.empty() ? config.section() : join_path(config.section(), problem.key),
                std::move(problem.message));
        }
    }

    /// Validates section `slot` of plugin kind `kind`, written as `node` (whose key is
    /// at `key_where`). nullopt when the plugin could not be determined.
    std::optional<PluginSection> plugin_section(const YAML::Node& node, const Location& key_where,
                                                const std::string& slot, sdk::Kind kind) {
        const Location where = node.IsNull() || !node.IsDefined() ? key_where : at(node);
        if (!node.IsNull() && !node.IsMap()) {
            report(where, slot,
                   "expected a plugin section like { use: NAME }, got " + describe_node(node));
            return std::nullopt;
        }
        const std::vector<Entry> items = node.IsMap() ? entries(node, slot) : std::vector<Entry>{};
        const auto use =
            std::find_if(items.begin(), items.end(), [](const Entry& e) { return e.key == "use"; });
        if (use == items.end()) {
            report(where, slot, "missing required key 'use'");
            return std::nullopt;
        }
        const std::string use_path = slot + ".use";
        const Location use_where = value_at(*use);
        if (!use->value.IsScalar()) {
            report(use_where, use_path, "expected a plugin name, got " + describe_node(use->value));
            return std::nullopt;
        }
        const auto name = text_of(use->value, use_where, use_path);
        if (!name) return std::nullopt;
        if (name->empty()) {
            report(use_where, use_path, "expected a plugin name, got \"\"");
            return std::nullopt;
        }
        const sdk::Manifest* manifest = find_plugin(*name, kind, use_where, use_path, false);
        if (manifest == nullptr) return std::nullopt;

        const std::size_t before = diagnostics_.size();
        PluginSection section{slot, *name, where, manifest, nullptr};
        auto config = validate_keys(manifest->schema, items, slot, where, &manifest->name);
        if (diagnostics_.size() == before) run_check(*manifest, *config);
        section.config = std::move(config);
        return section;
    }

    /// A slot the file leaves out, filled with plugin `name` and its defaults.
    std::optional<PluginSection> default_section(const std::string& slot, sdk::Kind kind,
                                                 const std::string& name) {
        const sdk::Manifest* manifest = find_plugin(name, kind, top(), slot, true);
        if (manifest == nullptr) return std::nullopt;
        const std::size_t before = diagnostics_.size();
        auto config = validate_keys(manifest->schema, {}, slot, top(), &manifest->name);
        if (diagnostics_.size() == before) run_check(*manifest, *config);
        return PluginSection{slot, name, top(), manifest, std::move(config)};
    }

    /// The manifest of plugin `name` of `kind`; reports and returns nullptr when there
    /// is none or it is of another kind.
    const sdk::Manifest* find_plugin(const std::string& name, sdk::Kind kind, const Location& where,
                                     const std::string& path, bool is_default) {
        if (!lookup_) return nullptr;  // already reported: the plugin path is unusable
        const std::string kind_text(sdk::kind_name(kind));
        const sdk::Manifest* manifest = nullptr;
        try {
            manifest = lookup_->find(name);
        } catch (const std::exception& e) {
            report(where, path, e.what());
            return nullptr;
        }
        if (manifest == nullptr) {
            std::string message = "no " + kind_text + " plugin '" + name + "'" +
                                  (is_default ? " (the default)" : "") + " in " +
                                  lookup_->search_path_text();
            std::optional<std::vector<std::string>> available;
            try {
                available = lookup_->names(kind);
            } catch (const std::exception&) {
                // Listing opens every file on the path; a broken one only costs the hint.
            }
            if (const auto hint = available ? suggest(name, *available) : std::nullopt) {
                message += "; did you mean '" + *hint + "'?";
            } else if (available) {
                message += "; available: " + (available->empty() ? "none" : join_names(*available));
            }
            report(where, path, std::move(message));
            return nullptr;
        }
        if (manifest->kind() != kind) {
            report(where, path,
                   "plugin '" + name + "' is " + with_article(sdk::kind_name(manifest->kind())) +
                       " plugin, not " + with_article(kind_text) + " plugin");
            return nullptr;
        }
        return manifest;
    }

    /// Validates host section `name` (node, plugins, log, admin).
    std::shared_ptr<PluginConfig> host_section(const std::string& name, const YAML::Node& node,
                                               const Location& key_where) {
        const sdk::Schema& schema = *host_section_schema(name);
        const Location where = node.IsNull() || !node.IsDefined() ? key_where : at(node);
        std::vector<Entry> items;
        if (node.IsMap()) {
            items = entries(node, name);
        } else if (!node.IsNull()) {
            report(where, name, "expected a mapping, got " + describe_node(node));
        }
        return validate_keys(schema, items, name, where, nullptr);
    }

    void set_lookup(std::shared_ptr<ManifestLookup> lookup) { lookup_ = std::move(lookup); }
    const std::shared_ptr<ManifestLookup>& lookup() const { return lookup_; }

private:
    std::string file_;
    const EnvLookup& env_;
    std::vector<Diagnostic> diagnostics_;
    std::shared_ptr<ManifestLookup> lookup_;
};

std::vector<std::filesystem::path> resolve_paths(const std::vector<std::string>& paths,
                                                 const std::string& file_name) {
    const std::filesystem::path dir = std::filesystem::path(file_name).parent_path();
    std::vector<std::filesystem::path> resolved;
    for (const auto& text : paths) {
        const std::filesystem::path path(text);
        resolved.push_back(path.is_absolute() ? path.lexically_normal()
                                              : (dir / path).lexically_normal());
    }
    return resolved;
}

[[noreturn]] void throw_errors(std::vector<Diagnostic> diagnostics) {
    sort_in_file_order(diagnostics);
    throw ConfigErrors(std::move(diagnostics));
}

/// Parses the text; reports syntax errors and anything but one mapping at the top.
std::optional<YAML::Node> parse_document(std::string_view text, Loader& loader) {
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(std::string(text));
    } catch (const YAML::ParserException& e) {
        loader.report(loader.at(e.mark), "", "invalid YAML: " + e.msg);
        return std::nullopt;
    }
    if (documents.empty()) {
        loader.report(loader.top(), "", "expected a mapping of sections, got an empty document");
        return std::nullopt;
    }
    if (documents.size() > 1) {
        loader.report(loader.at(documents[1]), "",
                      "a second YAML document is not allowed (one pipeline per file)");
    }
    const YAML::Node& root = documents.front();
    if (!root.IsMap()) {
        loader.report(loader.top(), "",
                      "expected a mapping of sections, got " +
                          (root.IsNull() ? std::string("an empty document") : describe_node(root)));
        return std::nullopt;
    }
    return root;
}

}  // namespace

Pipeline load_pipeline(const std::filesystem::path& file, const LookupFactory& make_lookup,
                       const EnvLookup& env) {
    const auto unreadable = [&](int error) {
        return ConfigErrors({Diagnostic{Location{file.string(), 0, 0}, "",
                                        "cannot read: " + std::generic_category().message(error)}});
    };
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) throw unreadable(EISDIR);
    std::ifstream in(file, std::ios::binary);
    if (!in.is_open()) throw unreadable(errno);
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw unreadable(errno);
    return load_pipeline_text(text.str(), file.string(), make_lookup, env);
}

Pipeline load_pipeline_text(std::string_view text, const std::string& file_name,
                            const LookupFactory& make_lookup, const EnvLookup& env) {
    Loader loader(file_name, env);
    Pipeline pipeline;
    pipeline.file = file_name;

    const auto root = parse_document(text, loader);
    if (!root) throw_errors(std::move(loader.diagnostics()));
    const std::vector<Entry> sections = loader.entries(*root, "");
    const auto section = [&](std::string_view name) -> const Entry* {
        const auto it = std::find_if(sections.begin(), sections.end(),
                                     [&](const Entry& e) { return e.key == name; });
        return it == sections.end() ? nullptr : &*it;
    };

    // The plugin path first: every plugin section needs the lookup built from it.
    Location path_where = loader.top();
    if (const Entry* plugins = section("plugins")) {
        const auto config =
            loader.host_section("plugins", plugins->value, loader.at(plugins->key_node));
        path_where = config->location("path").value_or(path_where);
        if (config->has("path")) {
            pipeline.plugin_paths = resolve_paths(config->string_list("path"), file_name);
        }
    }
    std::shared_ptr<ManifestLookup> lookup;
    try {
        lookup = make_lookup(pipeline.plugin_paths);
        if (!lookup) throw std::logic_error("load_pipeline: the lookup factory made no lookup");
    } catch (const std::logic_error&) {
        throw;                           // a bug, not a problem of the file
    } catch (const std::exception& e) {  // e.g. a directory that cannot be listed
        loader.report(path_where, "plugins.path", e.what());
    }
    loader.set_lookup(std::move(lookup));

    std::optional<PluginSection> transport;
    std::optional<PluginSection> queue;
    std::optional<PluginSection> presence;
    pipeline.node_id = host_name();
    for (const Entry& entry : sections) {
        const Location key_where = loader.at(entry.key_node);
        if (entry.key == "plugins") continue;  // done above
        if (entry.key == "node") {
            const auto config = loader.host_section("node", entry.value, key_where);
            if (config->has("id")) pipeline.node_id = config->string("id");
            if (config->has("threads")) {
                pipeline.threads = static_cast<unsigned>(config->integer("threads"));
            }
            if (config->has("drain_timeout")) {
                pipeline.drain_timeout = config->duration("drain_timeout");
            }
        } else if (entry.key == "log") {
            const auto config = loader.host_section("log", entry.value, key_where);
            if (config->has("level")) pipeline.log_level = config->string("level");
        } else if (entry.key == "admin") {
            const auto config = loader.host_section("admin", entry.value, key_where);
            if (config->has("listen")) pipeline.admin_listen = config->endpoint("listen");
            if (config->has("token")) pipeline.admin_token = config->string("token");
            if (config->has("api_token")) pipeline.admin_api_token = config->string("api_token");
            if (config->has("api_max_body")) {
                pipeline.admin_api_max_body = config->size("api_max_body");
            }
            if (config->has("tls_cert")) pipeline.admin_tls_cert = config->string("tls_cert");
            if (config->has("tls_key")) pipeline.admin_tls_key = config->string("tls_key");
            // The files are read as the admin server will read them at start.
            if (auto problem =
                    tls::check_settings(pipeline.admin_tls_cert, pipeline.admin_tls_key)) {
                const std::string key(tls::setting_name(problem->file));
                loader.report(config->location(key).value_or(key_where), "admin." + key,
                              std::move(problem->message));
            }
        } else if (entry.key == "transport") {
            transport =
                loader.plugin_section(entry.value, key_where, "transport", sdk::Kind::transport);
        } else if (entry.key == "queue") {
            queue = loader.plugin_section(entry.value, key_where, "queue", sdk::Kind::queue);
        } else if (entry.key == "presence") {
            presence =
                loader.plugin_section(entry.value, key_where, "presence", sdk::Kind::presence);
        } else if (entry.key == "store") {
            pipeline.store =
                loader.plugin_section(entry.value, key_where, "store", sdk::Kind::store);
        } else if (entry.key == "auth") {
            pipeline.auth = loader.plugin_section(entry.value, key_where, "auth", sdk::Kind::auth);
        } else if (entry.key == "processors") {
            const YAML::Node& list = entry.value;
            if (list.IsSequence()) {
                std::size_t index = 0;
                for (const auto& item : list) {
                    const std::string slot = "processors[" + std::to_string(index++) + "]";
                    auto processor =
                        loader.plugin_section(item, item.IsNull() ? key_where : loader.at(item),
                                              slot, sdk::Kind::processor);
                    if (processor) pipeline.processors.push_back(std::move(*processor));
                }
            } else if (!list.IsNull()) {
                loader.report(loader.at(list), "processors",
                              "expected a sequence of plugin sections, got " + describe_node(list));
            }
        } else {
            std::string message = "unknown key";
            if (const auto hint = suggest(entry.key, pipeline_sections())) {
                message += "; did you mean '" + *hint + "'?";
            }
            loader.report(key_where, entry.key, std::move(message));
        }
    }

    if (!section("transport")) {
        loader.report(loader.top(), "transport", "missing required section");
    }
    if (!section("queue")) queue = loader.default_section("queue", sdk::Kind::queue, "memory");
    if (!section("presence")) {
        presence = loader.default_section("presence", sdk::Kind::presence, "local");
    }

    if (!loader.diagnostics().empty()) throw_errors(std::move(loader.diagnostics()));
    // No problem reported: every required section was built.
    pipeline.lookup = loader.lookup();
    pipeline.transport = std::move(*transport);
    pipeline.queue = std::move(*queue);
    pipeline.presence = std::move(*presence);
    return pipeline;
}

std::shared_ptr<const PluginConfig> load_plugin_config(const sdk::Manifest& manifest,
                                                       std::string_view yaml_text,
                                                       const std::string& section,
                                                       std::string file_name,
                                                       const EnvLookup& env) {
    Loader loader(std::move(file_name), env);
    const auto root = [&]() -> std::optional<YAML::Node> {
        try {
            return YAML::Load(std::string(yaml_text));
        } catch (const YAML::ParserException& e) {
            loader.report(loader.at(e.mark), "", "invalid YAML: " + e.msg);
            return std::nullopt;
        }
    }();
    std::vector<Entry> items;
    if (root && root->IsMap()) {
        items = loader.entries(*root, section);
    } else if (root && !root->IsNull()) {
        loader.report(loader.at(*root), section, "expected a mapping, got " + describe_node(*root));
    }
    const Location where = root && root->IsMap() ? loader.at(*root) : loader.top();
    auto config = loader.validate_keys(manifest.schema, items, section, where, &manifest.name);
    if (loader.diagnostics().empty()) loader.run_check(manifest, *config);
    if (!loader.diagnostics().empty()) throw_errors(std::move(loader.diagnostics()));
    return config;
}

}  // namespace relay::host
