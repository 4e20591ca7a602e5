#include "http_authenticator.hpp"

#include "auth_request.hpp"
#include "refusals.hpp"

#include <chrono>
#include <exception>
#include <string>
#include <utility>

namespace relay::plugins::http_auth {

HttpAuthenticator::HttpAuthenticator(Settings settings, sdk::PluginContext& ctx)
    : settings_(std::move(settings)),
      executor_(ctx.executor()),
      log_(ctx.log()),
      client_(std::make_shared<AuthClient>(executor_, settings_, ctx.log(), ctx.health(),
                                           ctx.metrics())) {}

HttpAuthenticator::~HttpAuthenticator() {
    // The client's state belongs to the executor: close it there (at once when this is
    // the executor's thread). The requests it cancels are answered there too.
    boost::asio::dispatch(executor_, [client = std::move(client_)] { client->close(); });
}

void HttpAuthenticator::authenticate(const sdk::Handshake& handshake, sdk::AuthDone done) {
    const auto started = std::chrono::steady_clock::now();
    client_->metrics().requests.add();
    if (!client_->admit()) {
        refuse_busy(std::move(done));
        return;
    }
    Request request;
    try {
        request = make_request(settings_.url, request_body(handshake, settings_.forward_headers),
                               settings_.keep_alive_connections > 0);
    } catch (const std::exception& e) {
        // Out of memory, in practice: refuse the client rather than throw into the
        // transport.
        client_->release();
        log_.error(std::string("cannot build an auth request: ") + e.what());
        client_->answer(std::move(done),
                        sdk::AuthOutcome::refuse(std::string(refusals::kUnavailable)));
        return;
    }
    client_->send(std::move(request), started, std::move(done));
}

void HttpAuthenticator::refuse_busy(sdk::AuthDone done) {
    client_->metrics().busy.add();
    if (const auto held_back = busy_log_.allow()) {
        std::string line = std::to_string(settings_.max_in_flight) +
                           " requests to the auth service are under way (`max_in_flight`): "
                           "clients are refused \"auth service busy\"; raise `max_in_flight` "
                           "if the service can take more";
        if (*held_back > 0) {
            line += " (" + std::to_string(*held_back) + " more refused since the last line)";
        }
        log_.warn(line);
    }
    client_->answer(std::move(done), sdk::AuthOutcome::refuse(std::string(refusals::kBusy)));
}

}  // namespace relay::plugins::http_auth
