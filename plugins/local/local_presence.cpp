#include "local_presence.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/error.hpp>

#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace relay::plugins::local {

/// All state, touched only on the executor.
class LocalPresence::Core {
public:
    explicit Core(sdk::PluginContext& ctx)
        : node_id_(ctx.node_id()),
          online_(ctx.metrics().gauge("local_presence_members", "members in all rooms")) {}

    void on_change(sdk::PresenceHandler handler) {
        if (handler) handlers_.push_back(std::move(handler));
    }

    void join(sdk::Member member, const sdk::Done& done) {
        if (stopped_) return done(make_error_code(sdk::Errc::shutting_down));
        if (member.node.empty()) member.node = node_id_;
        auto& room = rooms_[member.room];
        auto [it, inserted] = room.try_emplace(member.sid, member);
        if (inserted) {
            online_.add();
            emit(sdk::PresenceEvent{sdk::PresenceEvent::Type::join, it->second});
        }
        done({});
    }

    void leave(const sdk::Member& member, const sdk::Done& done) {
        if (stopped_) return done(make_error_code(sdk::Errc::shutting_down));
        auto room = rooms_.find(member.room);
        if (room != rooms_.end()) {
            auto it = room->second.find(member.sid);
            if (it != room->second.end()) {
                sdk::PresenceEvent event{sdk::PresenceEvent::Type::leave, std::move(it->second)};
                room->second.erase(it);
                if (room->second.empty()) rooms_.erase(room);
                online_.sub();
                emit(event);
            }
        }
        done({});
    }

    void members(const std::string& room, const sdk::MembersDone& done) const {
        if (stopped_) return done(make_error_code(sdk::Errc::shutting_down), {});
        std::vector<sdk::Member> list;
        if (auto it = rooms_.find(room); it != rooms_.end()) {
            list.reserve(it->second.size());
            for (const auto& [sid, member] : it->second) list.push_back(member);
        }
        done({}, std::move(list));
    }

    void nodes(const sdk::NodesDone& done) const {
        if (stopped_) return done(make_error_code(sdk::Errc::shutting_down), {});
        std::size_t held = 0;
        for (const auto& [name, room] : rooms_) held += room.size();
        done({}, {sdk::NodeInfo{node_id_, held}});
    }

    void stop(const sdk::Done& done) {
        stopped_ = true;
        handlers_.clear();
        done({});
    }

private:
    void emit(const sdk::PresenceEvent& event) {
        for (const auto& handler : handlers_) handler(event);
    }

    std::string node_id_;
    sdk::Gauge& online_;
    bool stopped_ = false;
    std::vector<sdk::PresenceHandler> handlers_;
    // room -> sid -> member; a map per room so members() comes out sorted by sid.
    std::unordered_map<std::string, std::map<std::string, sdk::Member>> rooms_;
};

LocalPresence::LocalPresence(Settings /*settings*/, sdk::PluginContext& ctx)
    : executor_(ctx.executor()), core_(std::make_shared<Core>(ctx)) {}

LocalPresence::~LocalPresence() = default;

void LocalPresence::on_change(sdk::PresenceHandler handler) {
    boost::asio::post(executor_, [core = core_, handler = std::move(handler)]() mutable {
        core->on_change(std::move(handler));
    });
}

void LocalPresence::start(sdk::Done done) {
    boost::asio::post(executor_, [done = std::move(done)] { done({}); });
}

void LocalPresence::join(const sdk::Member& member, sdk::Done done) {
    // `member = member` copies into a non-const capture, so the move below moves.
    boost::asio::post(executor_, [core = core_, member = member, done = std::move(done)]() mutable {
        core->join(std::move(member), done);
    });
}

void LocalPresence::leave(const sdk::Member& member, sdk::Done done) {
    boost::asio::post(
        executor_, [core = core_, member, done = std::move(done)] { core->leave(member, done); });
}

void LocalPresence::members(std::string_view room, sdk::MembersDone done) {
    boost::asio::post(executor_, [core = core_, room = std::string(room), done = std::move(done)] {
        core->members(room, done);
    });
}

void LocalPresence::nodes(sdk::NodesDone done) {
    boost::asio::post(executor_, [core = core_, done = std::move(done)] { core->nodes(done); });
}

void LocalPresence::stop(sdk::Done done) {
    boost::asio::post(executor_, [core = core_, done = std::move(done)] { core->stop(done); });
}

}  // namespace relay::plugins::local
