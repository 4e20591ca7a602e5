#pragma once
#include "admin/admin_stats.hpp"
#include "admin/server_api.hpp"
#include "runtime/health_board.hpp"
#include "runtime/metrics_registry.hpp"
#include "tls/server_context.hpp"

#include <relay/sdk/asio.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace relay::host {

/// The operator's HTTP endpoint (`admin.listen`): GET /metrics (Prometheus text),
/// /healthz (the process serves: 200), /readyz (200 once every plugin started and
/// until the stop begins, else 503 with the reason; 503 too while a plugin reports it
/// is unavailable, naming it and why; 200 lists the plugins that report they are
/// degraded, see sdk::Health). Loopback by default. With a token, /metrics answers
/// only requests that carry it (`Authorization: Bearer <token>`, else 401); the probes
/// stay open, as they tell only up or down. `/` is the admin page (admin_page.hpp),
/// served to anyone as it holds no data; the figures it shows come from /admin/stats
/// (admin_stats.hpp), which needs the token as /metrics does. Requests under /api/ go
/// to the server API (set_api(); docs/api.md), whose bodies may be at most
/// `api_max_body` bytes (413 beyond). Connections are kept alive. With a certificate
/// (admin.tls_cert, admin.tls_key) it speaks only https; reload() reads them again for new
/// connections. Lifecycle: start() binds (throws on a bad address); stop() closes. One thread, but
/// reload() may be called from any.
class AdminServer {
public:
    /// `token`: what /metrics requires as a bearer token; empty: nothing. `tls`: the
    /// certificate and key to serve https with, read here; throws std::runtime_error
    /// naming the admin key, the file and OpenSSL's reason. `stats`: what /admin/stats
    /// answers (it must outlive the server, and answer on `executor`, where the answer
    /// is written); null: /admin/stats is 404.
    AdminServer(const sdk::Executor& executor, MetricsRegistry& metrics, const HealthBoard& health,
                std::string token = {}, std::optional<tls::ServerFiles> tls = std::nullopt,
                const AdminStats* stats = nullptr,
                std::uint64_t api_max_body = std::uint64_t{1024} * 1024);
    ~AdminServer();
    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;
    AdminServer(AdminServer&&) = delete;
    AdminServer& operator=(AdminServer&&) = delete;
    /// Serves the server API under /api/; before start(). Without one, /api/ is 404.
    void set_api(std::shared_ptr<ServerApi> api);
    /// What /readyz would say is wrong, for the API's info: empty when ready. It may
    /// outlive the server (it then says the server stopped); it does not keep it alive.
    std::function<std::string()> readiness() const;
    /// Binds `endpoint` ("host:port"); throws std::runtime_error naming it on failure.
    void start(const std::string& endpoint);
    void stop();
    unsigned short port() const;
    /// True when it speaks https (admin.tls_cert and admin.tls_key).
    bool serves_tls() const;
    /// What /readyz reports: empty = ready, else the reason it is not.
    void set_not_ready(std::string reason);
    void set_ready();
    /// Reads the TLS files again, on the caller's thread; new connections get them,
    /// open ones keep theirs. False without TLS. Throws std::runtime_error as the
    /// constructor does, and then the previous certificate stays.
    bool reload();

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace relay::host
