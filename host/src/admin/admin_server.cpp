#include "admin/admin_server.hpp"

#include "admin/admin_page.hpp"
#include "admin/api_request.hpp"
#include "admin/bearer_token.hpp"

#include <mutex>
#include <stdexcept>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace relay::host {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

// A client gets this long for its TLS handshake, and then for each request.
constexpr std::chrono::seconds kRequestTimeout{10};

/// `files`' context, or std::runtime_error naming the admin key ("admin.tls_key: ...").
std::shared_ptr<ssl::context> load_context(const tls::ServerFiles& files) {
    try {
        return tls::load_server_context(files);
    } catch (const tls::LoadError& e) {
        throw std::runtime_error("admin." + std::string(tls::setting_name(e.file())) + ": " +
                                 e.what());
    }
}

using Response = http::response<http::string_body>;

/// The server API's answer as HTTP.
Response api_response(const ServerApi::Response& answer, unsigned version, bool keep_alive) {
    Response response{static_cast<http::status>(answer.status), version};
    response.keep_alive(keep_alive);
    response.set(http::field::content_type, "application/json");
    response.set(http::field::cache_control, "no-store");
    if (!answer.allow.empty()) response.set(http::field::allow, answer.allow);
    if (answer.status == 401) response.set(http::field::www_authenticate, "Bearer");
    if (answer.retry_after.count() > 0) {
        response.set(http::field::retry_after, std::to_string(answer.retry_after.count()));
    }
    response.body() = answer.body;
    response.prepare_payload();
    return response;
}

/// AdminStats' answer as HTTP.
Response stats_response(std::string body, unsigned version, bool keep_alive) {
    Response response{http::status::ok, version};
    response.keep_alive(keep_alive);
    response.set(http::field::content_type, "application/json");
    response.set(http::field::cache_control, "no-store");
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
}

}  // namespace

struct AdminServer::State : std::enable_shared_from_this<AdminServer::State> {
    State(const sdk::Executor& executor, MetricsRegistry& metrics, const HealthBoard& health,
          std::string bearer, std::optional<tls::ServerFiles> tls, const AdminStats* admin_stats,
          std::uint64_t max_body)
        : acceptor(executor),
          metrics(metrics),
          health(health),
          stats(admin_stats),
          token(std::move(bearer)),
          tls_files(std::move(tls)),
          tls_context(tls_files ? load_context(*tls_files) : nullptr),
          api_max_body(max_body) {}

    tcp::acceptor acceptor;
    MetricsRegistry& metrics;
    const HealthBoard& health;
    const AdminStats* stats;  // null: no /admin/stats
    const std::string token;  // empty: /metrics is open
    const std::optional<tls::ServerFiles> tls_files;
    // What new connections get; replaced by reload() on the acceptor's executor (open
    // connections hold a reference on their context's OpenSSL state).
    std::shared_ptr<ssl::context> tls_context;
    std::mutex mutex;
    std::string not_ready = "starting";
    const std::uint64_t api_max_body;
    std::shared_ptr<ServerApi> api;  // set before start(); null: /api/ is 404

    void accept() {
        acceptor.async_accept([self = shared_from_this()](beast::error_code ec,
                                                          tcp::socket socket) {
            if (ec) return;  // closed by stop()
            if (self->tls_context) {
                using TlsStream = beast::ssl_stream<beast::tcp_stream>;
                auto stream = std::make_shared<TlsStream>(std::move(socket), *self->tls_context);
                beast::get_lowest_layer(*stream).expires_after(kRequestTimeout);
                stream->async_handshake(ssl::stream_base::server,
                                        [self, stream](beast::error_code handshake_ec) {
                                            if (!handshake_ec) serve(self, stream);
                                        });
            } else {
                serve(self, std::make_shared<beast::tcp_stream>(std::move(socket)));
            }
            self->accept();
        });
    }

    template <class Stream>
    static void serve(const std::shared_ptr<State>& self, const std::shared_ptr<Stream>& stream) {
        auto buffer = std::make_shared<beast::flat_buffer>();
        serve(self, stream, buffer);
    }

    template <class Stream>
    static void serve(const std::shared_ptr<State>& self, const std::shared_ptr<Stream>& stream,
                      const std::shared_ptr<beast::flat_buffer>& buffer) {
        // A parser per request: its body limit answers an oversized API request with 413
        // instead of reading it (Beast's default would be 1 MB, then a dropped connection).
        auto parser = std::make_shared<http::request_parser<http::string_body>>();
        parser->body_limit(self->api_max_body);
        beast::get_lowest_layer(*stream).expires_after(kRequestTimeout);
        http::async_read(
            *stream, *buffer, *parser,
            [self, stream, buffer, parser](beast::error_code ec, std::size_t) {
                if (ec == http::error::body_limit) {
                    // The rest of the body is unread: answer, then close.
                    write(self, stream, buffer,
                          api_response(ServerApi::too_large(self->api_max_body),
                                       parser->get().version(), false));
                    return;
                }
                if (ec) return;
                auto& request = parser->get();
                if (self->api && api::is_api_target(request.target())) {
                    // The API answers later (a publish waits for the queue); the
                    // connection reads nothing more until then.
                    const auto version = request.version();
                    const bool keep_alive = request.keep_alive();
                    beast::get_lowest_layer(*stream).expires_never();
                    self->api->handle(
                        request.method_string(), request.target(),
                        request[http::field::authorization], request.body(),
                        [self, stream, buffer, version, keep_alive](ServerApi::Response answer) {
                            write(self, stream, buffer, api_response(answer, version, keep_alive));
                        });
                    return;
                }
                if (self->is_stats_request(request)) {
                    // The stats wait for presence's node list; the connection reads
                    // nothing more until they are written.
                    const auto version = request.version();
                    const bool keep_alive = request.keep_alive();
                    beast::get_lowest_layer(*stream).expires_never();
                    self->stats->render(
                        [self, stream, buffer, version, keep_alive](std::string body) {
                            write(self, stream, buffer,
                                  stats_response(std::move(body), version, keep_alive));
                        });
                    return;
                }
                write(self, stream, buffer, self->answer(request));
            });
    }

    /// An authorized GET or HEAD of /admin/stats, when this server has them.
    bool is_stats_request(const http::request<http::string_body>& request) const {
        const auto target = request.target();
        return stats != nullptr && target.substr(0, target.find('?')) == "/admin/stats" &&
               (request.method() == http::verb::get || request.method() == http::verb::head) &&
               authorized(request);
    }

    /// Writes `answer`, then reads the next request on the connection, or closes it.
    template <class Stream>
    static void write(const std::shared_ptr<State>& self, const std::shared_ptr<Stream>& stream,
                      const std::shared_ptr<beast::flat_buffer>& buffer, Response answer) {
        auto response = std::make_shared<Response>(std::move(answer));
        beast::get_lowest_layer(*stream).expires_after(kRequestTimeout);
        http::async_write(
            *stream, *response,
            [self, stream, buffer, response](beast::error_code write_ec, std::size_t) {
                if (write_ec || !response->keep_alive()) {
                    beast::error_code ignored;
                    beast::get_lowest_layer(*stream).socket().shutdown(tcp::socket::shutdown_both,
                                                                       ignored);
                    return;
                }
                serve(self, stream, buffer);
            });
    }

    bool authorized(const http::request<http::string_body>& request) const {
        return token.empty() || bearer_matches(request[http::field::authorization], token);
    }

    http::response<http::string_body> answer(const http::request<http::string_body>& request) {
        http::response<http::string_body> response{http::status::ok, request.version()};
        response.keep_alive(request.keep_alive());
        response.set(http::field::content_type, "text/plain; charset=utf-8");
        const auto target = request.target();
        const auto path = target.substr(0, target.find('?'));
        if (request.method() != http::verb::get && request.method() != http::verb::head) {
            response.result(http::status::method_not_allowed);
            response.body() = "only GET\n";
        } else if ((path == "/metrics" || path == "/admin/stats") && !authorized(request)) {
            response.result(http::status::unauthorized);
            response.set(http::field::www_authenticate, "Bearer");
            response.body() = "a bearer token is required (admin.token)\n";
        } else if (path == "/metrics") {
            response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            response.body() = metrics.render_prometheus();
        } else if (const auto* asset = find_admin_page_asset(path)) {
            response.set(http::field::content_type, asset->content_type);
            // The page runs only its own files, and never inside another site's frame.
            response.set("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
            response.set("X-Content-Type-Options", "nosniff");
            response.body() = std::string(asset->content);
        } else if (path == "/healthz") {
            response.body() = "ok\n";
        } else if (path == "/readyz") {
            std::lock_guard lock(mutex);
            const auto unavailable = health.unavailabilities();
            const auto degradations = health.degradations();
            const auto degraded_part = degradations.empty() ? "" : "degraded:\n" + degradations;
            if (not_ready.empty() && unavailable.empty()) {
                response.body() =
                    degradations.empty() ? "ready\n" : "ready, degraded:\n" + degradations;
            } else if (not_ready.empty()) {
                // A plugin cannot work: this node cannot accept and ack messages.
                response.result(http::status::service_unavailable);
                response.body() = "not ready: unavailable:\n" + unavailable + degraded_part;
            } else {
                response.result(http::status::service_unavailable);
                response.body() = "not ready: " + not_ready + "\n";
            }
        } else {
            response.result(http::status::not_found);
            response.body() = "not found; try /, /metrics, /healthz or /readyz\n";
        }
        response.prepare_payload();
        return response;
    }
};

AdminServer::AdminServer(const sdk::Executor& executor, MetricsRegistry& metrics,
                         const HealthBoard& health, std::string token,
                         std::optional<tls::ServerFiles> tls, const AdminStats* stats,
                         std::uint64_t api_max_body)
    : state_(std::make_shared<State>(executor, metrics, health, std::move(token), std::move(tls),
                                     stats, api_max_body)) {}

void AdminServer::set_api(std::shared_ptr<ServerApi> api) {
    state_->api = std::move(api);
}

std::function<std::string()> AdminServer::readiness() const {
    // Weak: the server API holds this function and the state holds the API, so a strong
    // reference would keep both alive forever (LeakSanitizer found the cycle).
    return [weak = std::weak_ptr<State>(state_)]() -> std::string {
        const auto state = weak.lock();
        if (!state) return "the admin server stopped";
        std::lock_guard lock(state->mutex);
        return state->not_ready;
    };
}

AdminServer::~AdminServer() {
    stop();
}

void AdminServer::start(const std::string& endpoint) {
    const auto colon = endpoint.rfind(':');
    std::string host = endpoint.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    try {
        const tcp::endpoint at(boost::asio::ip::make_address(host),
                               static_cast<unsigned short>(std::stoul(endpoint.substr(colon + 1))));
        state_->acceptor.open(at.protocol());
        state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
        state_->acceptor.bind(at);
        state_->acceptor.listen();
    } catch (const std::exception& e) {
        throw std::runtime_error("admin.listen: cannot listen on " + endpoint + ": " + e.what());
    }
    boost::asio::post(state_->acceptor.get_executor(), [state = state_] { state->accept(); });
}

void AdminServer::stop() {
    boost::asio::post(state_->acceptor.get_executor(), [state = state_] {
        beast::error_code ignored;
        state->acceptor.close(ignored);
    });
}

unsigned short AdminServer::port() const {
    return state_->acceptor.local_endpoint().port();
}

bool AdminServer::serves_tls() const {
    return state_->tls_files.has_value();
}

void AdminServer::set_not_ready(std::string reason) {
    std::lock_guard lock(state_->mutex);
    state_->not_ready = std::move(reason);
}

void AdminServer::set_ready() {
    set_not_ready({});
}

bool AdminServer::reload() {
    if (!state_->tls_files) return false;
    auto context = load_context(*state_->tls_files);
    boost::asio::post(state_->acceptor.get_executor(),
                      [state = state_, context = std::move(context)]() mutable {
                          state->tls_context = std::move(context);
                      });
    return true;
}

}  // namespace relay::host
