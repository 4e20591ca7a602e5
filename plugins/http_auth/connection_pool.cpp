#include "connection_pool.hpp"

#include <utility>

namespace relay::plugins::http_auth {

std::unique_ptr<Connection> ConnectionPool::take() {
    if (idle_.empty()) return nullptr;
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
}

void ConnectionPool::give_back(std::unique_ptr<Connection> connection) {
    if (idle_.size() >= capacity_) {
        connection->close();
        return;
    }
    idle_.push_back(std::move(connection));
}

void ConnectionPool::clear() noexcept {
    for (auto& connection : idle_) connection->close();
    idle_.clear();
}

}  // namespace relay::plugins::http_auth
