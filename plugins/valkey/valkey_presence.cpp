#include "valkey_presence.hpp"

#include "presence_scripts.hpp"
#include "valkey/connection.hpp"
#include "valkey/fields.hpp"
#include "valkey/lifecycle.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/error.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relay::plugins::valkey {

namespace {

/// 16 lowercase hex digits: two 32-bit draws, 8 digits each.
std::string random_suffix() {
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::random_device rd;
    std::string suffix;
    suffix.reserve(16);
    for (int draw = 0; draw < 2; ++draw) {
        const std::uint32_t bits = rd();
        for (int shift = 28; shift >= 0; shift -= 4) suffix.push_back(kHex[(bits >> shift) & 0xFU]);
    }
    return suffix;
}

/// owner, room, sid, user, node, joined_ms
std::string member_value(const std::string& owner, const sdk::Member& m) {
    return pack_fields({owner, m.room, m.sid, m.user, m.node, std::to_string(m.joined_ms)});
}

std::string index_field(const sdk::Member& m) {
    return pack_fields({m.room, m.sid});
}

std::optional<sdk::Member> parse_member(std::string_view value) {
    auto fields = unpack_fields(value);
    if (!fields || fields->size() != 6) return std::nullopt;
    sdk::Member m;
    m.room = std::move((*fields)[1]);
    m.sid = std::move((*fields)[2]);
    m.user = std::move((*fields)[3]);
    m.node = std::move((*fields)[4]);
    try {
        m.joined_ms = std::stoll((*fields)[5]);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    return m;
}

}  // namespace

/// All state, touched only on the executor.
class ValkeyPresence::Core : public std::enable_shared_from_this<Core> {
public:
    Core(Settings settings, sdk::PluginContext& ctx)
        : settings_(std::move(settings)),
          executor_(ctx.executor()),
          log_(ctx.log()),
          health_(ctx.health()),
          node_id_(ctx.node_id()),
          owner_(std::string(ctx.node_id()) + "/" + random_suffix()),
          unavailable_(ctx.metrics().counter(
              "valkey_presence_unavailable_total",
              "presence calls answered `unavailable` because Valkey was out of reach")),
          disconnects_(ctx.metrics().counter("valkey_presence_disconnects_total",
                                             "connections to Valkey lost (then re-established)")),
          reaped_(ctx.metrics().counter("valkey_presence_reaped_total",
                                        "members of dead nodes removed by this node")),
          connected_(ctx.metrics().gauge("valkey_presence_connected",
                                         "1 while the presence's Valkey connection is up")),
          local_members_(
              ctx.metrics().gauge("valkey_presence_local_members", "members held by this node")),
          heartbeat_timer_(executor_),
          start_timer_(executor_) {}

    void on_change(sdk::PresenceHandler handler) {
        if (handler) handlers_.push_back(std::move(handler));
    }

    void start(sdk::Done done) {
        if (!lifecycle_.begin_start(std::move(done))) return;
        auto options = settings_.connection;
        options.client_name = "relay-presence:" + node_id_;
        cmd_ = Connection::create(executor_, options, log_, "presence");
        sub_ = Connection::create(executor_, options, log_, "presence events");
        auto weak = weak_from_this();
        cmd_->on_up([weak] {
            if (auto self = weak.lock()) self->command_up();
        });
        cmd_->on_down([weak](std::error_code) {
            if (auto self = weak.lock()) self->command_down();
        });
        sub_->on_up([weak] {
            if (auto self = weak.lock()) self->subscribe();
        });
        sub_->on_down([weak](std::error_code) {
            auto self = weak.lock();
            if (!self) return;
            self->subscribed_ = false;
            self->report_health();
        });
        cmd_->start();
        sub_->start();
        start_timer_.expires_after(Lifecycle::start_deadline(settings_.connection));
        start_timer_.async_wait([weak](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!self || ec || self->lifecycle_.state() != State::starting) return;
            const std::string& why = !self->cmd_->last_error().empty() ? self->cmd_->last_error()
                                                                       : self->sub_->last_error();
            self->log_.error(Lifecycle::unreachable(self->settings_.connection.address, why));
            self->finish(make_error_code(ClientErrc::connect_failed));
        });
        heartbeat_timer_.expires_after(settings_.heartbeat_interval);
        heartbeat_timer_.async_wait(
            [weak](boost::system::error_code ec) { on_heartbeat_timer(weak, ec); });
    }

    void join(sdk::Member member, const sdk::Done& done) {
        if (stopping()) return done(make_error_code(sdk::Errc::shutting_down));
        if (member.node.empty()) member.node = node_id_;
        auto [it, inserted] = local_.try_emplace({member.room, member.sid}, Local{member, false});
        if (inserted) local_members_.add();
        if (!available()) {
            // Registered (and announced) once the server is back.
            unavailable_.add();
            return done(make_error_code(sdk::Errc::unavailable));
        }
        register_member(it->second.member, true, done);
    }

    void leave(const sdk::Member& member, const sdk::Done& done) {
        if (stopping()) return done(make_error_code(sdk::Errc::shutting_down));
        sdk::Member known = member;
        bool announced = false;
        if (auto it = local_.find({member.room, member.sid}); it != local_.end()) {
            known = std::move(it->second.member);
            announced = it->second.announced;
            local_.erase(it);
            local_members_.sub();
        }
        if (!available()) {
            if (announced) pending_leaves_.push_back(std::move(known));
            unavailable_.add();
            return done(make_error_code(sdk::Errc::unavailable));
        }
        unregister_member(known, false, done);
    }

    void members(const std::string& room, const sdk::MembersDone& done) {
        if (stopping()) return done(make_error_code(sdk::Errc::shutting_down), {});
        if (!available()) {
            unavailable_.add();
            return done(make_error_code(sdk::Errc::unavailable), {});
        }
        eval(scripts::kMembers, {settings_.key_prefix, room, "list"},
             [done](std::error_code ec, const Reply& reply) {
                 if (ec) return done(ec, {});
                 std::vector<sdk::Member> list;
                 list.reserve(reply.elements.size());
                 for (const auto& value : reply.elements) {
                     if (auto m = parse_member(value.str)) list.push_back(std::move(*m));
                 }
                 std::sort(
                     list.begin(), list.end(),
                     [](const sdk::Member& a, const sdk::Member& b) { return a.sid < b.sid; });
                 done({}, std::move(list));
             });
    }

    void count(const std::string& room, const sdk::CountDone& done) {
        if (stopping()) return done(make_error_code(sdk::Errc::shutting_down), 0);
        if (!available()) {
            unavailable_.add();
            return done(make_error_code(sdk::Errc::unavailable), 0);
        }
        eval(scripts::kMembers, {settings_.key_prefix, room, "count"},
             [done](std::error_code ec, const Reply& reply) {
                 if (ec) return done(ec, 0);
                 done({}, static_cast<std::size_t>(std::max(0LL, reply.as_integer())));
             });
    }

    void rooms_of(const std::string& user, const sdk::RoomsDone& done) {
        if (stopping()) return done(make_error_code(sdk::Errc::shutting_down), {});
        if (user.empty()) return done({}, {});  // members without a user are not indexed
        if (!available()) {
            unavailable_.add();
            return done(make_error_code(sdk::Errc::unavailable), {});
        }
        eval(scripts::kRoomsOf, {settings_.key_prefix, user},
             [done](std::error_code ec, const Reply& reply) {
                 if (ec) return done(ec, {});
                 std::set<std::string> rooms;
                 for (const auto& field : reply.elements) {
                     auto parts = unpack_fields(field.str);
                     if (parts && parts->size() == 2) rooms.insert(std::move((*parts)[0]));
                 }
                 done({}, std::vector<std::string>(rooms.begin(), rooms.end()));
             });
    }

    void nodes(const sdk::NodesDone& done) {
        if (stopping()) return done(make_error_code(sdk::Errc::shutting_down), {});
        if (!available()) {
            unavailable_.add();
            return done(make_error_code(sdk::Errc::unavailable), {});
        }
        eval(scripts::kNodes, {settings_.key_prefix},
             [done](std::error_code ec, const Reply& reply) {
                 if (ec) return done(ec, {});
                 // One entry per node id: a node restarted within its ttl has two live
                 // owners until the old one expires; an operator knows nodes, not owners.
                 std::map<std::string, std::size_t> held;
                 const auto& pairs = reply.elements;
                 for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) {
                     held[pairs[i].str] +=
                         static_cast<std::size_t>(std::max(0LL, pairs[i + 1].as_integer()));
                 }
                 std::vector<sdk::NodeInfo> list;
                 list.reserve(held.size());
                 for (auto& [node, members] : held) list.push_back({node, members});
                 done({}, std::move(list));
             });
    }

    void stop(sdk::Done done) {
        const auto was = lifecycle_.begin_stop(std::move(done));
        if (!was) return;
        heartbeat_timer_.cancel();
        if (*was == State::running && cmd_ && cmd_->up()) {
            // Take this node's members off now (with their leaves) rather than after ttl.
            leave_all();
        } else {
            finish({});
        }
    }

    /// The plugin object is going away: drop everything without waiting.
    void close() {
        lifecycle_.close();
        handlers_.clear();
        heartbeat_timer_.cancel();
        start_timer_.cancel();
        if (cmd_) cmd_->close();
        if (sub_) sub_->close();
    }

private:
    using State = Lifecycle::State;
    struct Local {
        sdk::Member member;
        bool announced = false;  // the cluster has seen its join event
    };

    bool stopping() const { return lifecycle_.stopping(); }
    bool available() const { return cmd_ && cmd_->up() && registered_; }

    void eval(std::string_view script, std::vector<std::string> args, ReplyHandler done) {
        std::vector<std::string> command;
        command.reserve(args.size() + 3);
        command.emplace_back("EVAL");
        command.emplace_back(script);
        command.emplace_back("0");
        for (auto& a : args) command.push_back(std::move(a));
        cmd_->command(command,
                      [this_log = &log_, done = std::move(done)](std::error_code ec, Reply reply) {
                          if (ec == ClientErrc::server_error) {
                              this_log->error("presence script failed: " + reply.str);
                          }
                          done(ec, std::move(reply));
                      });
    }

    /// JOIN script for `m`; marks it announced when the server has it.
    void register_member(const sdk::Member& m, bool announce, sdk::Done done) {
        eval(scripts::kJoin,
             {settings_.key_prefix, owner_, m.room, m.sid, m.user, member_value(owner_, m),
              index_field(m), announce ? "1" : "0"},
             [weak = weak_from_this(), key = std::pair{m.room, m.sid}, done = std::move(done)](
                 std::error_code ec, const Reply&) {
                 if (auto self = weak.lock(); self && !ec) {
                     if (auto it = self->local_.find(key); it != self->local_.end()) {
                         it->second.announced = true;
                     }
                 }
                 if (done) done(ec);
             });
    }

    void unregister_member(const sdk::Member& m, bool announce_if_absent, sdk::Done done) {
        eval(scripts::kLeave,
             {settings_.key_prefix, m.room, m.sid, index_field(m),
              announce_if_absent ? member_value(owner_, m) : std::string()},
             [done = std::move(done)](std::error_code ec, const Reply&) {
                 if (done) done(ec);
             });
    }

    void command_up() {
        connected_.set(1);
        registered_ = false;
        restore_pending_.reset();
        beat();
    }

    void command_down() {
        connected_.set(0);
        disconnects_.add();
        registered_ = false;
        report_health();
        // The subscriber may sit on a half-open connection that only the command
        // connection's timeouts reveal: start it over too.
        if (sub_) sub_->reset("the command connection was lost");
    }

    /// Degraded from the loss of a connection until this node's members are registered
    /// again and events flow: chat goes on meanwhile, presence across nodes does not.
    void report_health() {
        if (lifecycle_.state() != State::running) return;
        if (!cmd_->up() || !registered_) {
            const auto& why = cmd_->last_error();
            health_.degraded("Valkey at " + settings_.connection.address.endpoint() +
                             " is out of reach" + (why.empty() ? "" : " (" + why + ")") +
                             "; presence shows this node's members only, reconnecting");
        } else if (!subscribed_) {
            health_.degraded("not subscribed to presence events at " +
                             settings_.connection.address.endpoint() +
                             "; join/leave of other nodes are missed, reconnecting");
        } else {
            health_.recovered();
        }
    }

    void subscribe() {
        auto weak = weak_from_this();
        sub_->subscribe(
            settings_.key_prefix + "events",
            [weak](const std::string& payload) {
                if (auto self = weak.lock()) self->on_event(payload);
            },
            [weak](std::error_code ec, const Reply&) {
                auto self = weak.lock();
                if (!self || ec) return;
                self->subscribed_ = true;
                self->report_health();
                if (auto status = std::exchange(self->restore_pending_, std::nullopt)) {
                    if (self->cmd_->up()) self->restore(*status);
                }
                self->maybe_started();
            });
    }

    void on_event(std::string_view payload) {
        if (lifecycle_.state() != State::running || payload.empty()) return;
        const char kind = payload.front();
        if (kind != 'J' && kind != 'L') return;
        auto member = parse_member(payload.substr(1));
        if (!member) {
            log_.warn("ignored a malformed presence event");
            return;
        }
        const sdk::PresenceEvent event{
            kind == 'J' ? sdk::PresenceEvent::Type::join : sdk::PresenceEvent::Type::leave,
            std::move(*member)};
        for (const auto& handler : handlers_) handler(event);
    }

    static void on_heartbeat_timer(const std::weak_ptr<Core>& weak, boost::system::error_code ec) {
        auto self = weak.lock();
        if (!self || ec || self->stopping()) return;
        self->beat();
        self->heartbeat_timer_.expires_after(self->settings_.heartbeat_interval);
        self->heartbeat_timer_.async_wait(
            [weak](boost::system::error_code e) { on_heartbeat_timer(weak, e); });
    }

    /// Renews this node's liveness, re-registers its members when the server no
    /// longer had them, then removes dead nodes' members.
    void beat() {
        if (beating_ || !cmd_ || !cmd_->up() || stopping()) return;
        beating_ = true;
        eval(scripts::kHeartbeat,
             {settings_.key_prefix, owner_, node_id_, std::to_string(settings_.ttl.count())},
             [weak = weak_from_this()](std::error_code ec, const Reply& reply) {
                 auto self = weak.lock();
                 if (!self) return;
                 self->beating_ = false;
                 if (ec || self->stopping()) return;
                 const long long status = reply.as_integer(-1);
                 if (status != 1 || !self->registered_) {
                     // Announcements wait for this node's own subscription, so that
                     // its handlers see them too.
                     if (self->subscribed_) {
                         self->restore(status);
                     } else if (!self->restore_pending_ || status == 2 ||
                                *self->restore_pending_ == 1) {
                         self->restore_pending_ = status;  // 2 outranks 0 outranks 1
                     }
                 }
                 self->reap();
             });
    }

    /// Applies what happened while the server was out of reach and registers every
    /// member of this node again. `status` is the heartbeat's: 2 means the reaper
    /// announced all our members' leaves, so all are announced again.
    void restore(long long status) {
        if (status == 2) {
            log_.warn(
                "this node's presence had expired (was it stalled for longer than ttl?); "
                "registering its " +
                std::to_string(local_.size()) + " member(s) again");
        } else if (ever_registered_ && status == 0) {
            log_.warn(
                "Valkey no longer had this node's presence (restarted without "
                "persistence?); registering its " +
                std::to_string(local_.size()) + " member(s) again");
        }
        auto leaves = std::move(pending_leaves_);
        pending_leaves_.clear();
        for (const auto& m : leaves) {
            unregister_member(m, true, [weak = weak_from_this(), m](std::error_code ec) {
                auto self = weak.lock();
                if (self && ec && !self->stopping()) self->pending_leaves_.push_back(m);
            });
        }
        for (auto& [key, local] : local_) {
            register_member(local.member, status == 2 || !local.announced, nullptr);
        }
        registered_ = true;
        ever_registered_ = true;
        report_health();
        maybe_started();
    }

    void reap() {
        eval(scripts::kReap,
             {settings_.key_prefix, std::to_string(settings_.reap_batch),
              std::to_string(settings_.ttl.count() * 10), ""},
             [weak = weak_from_this()](std::error_code ec, const Reply& reply) {
                 auto self = weak.lock();
                 if (!self || ec || !reply.is_array() || reply.elements.size() != 2) return;
                 const long long removed = reply.elements[0].as_integer();
                 if (removed > 0) {
                     self->reaped_.add(static_cast<std::uint64_t>(removed));
                     self->log_.info("removed " + std::to_string(removed) +
                                     " member(s) of node(s) that stopped heartbeating");
                 }
                 if (reply.elements[1].as_integer() == 1 && !self->stopping()) self->reap();
             });
    }

    void leave_all() {
        eval(scripts::kReap,
             {settings_.key_prefix, std::to_string(settings_.reap_batch), "0", owner_},
             [weak = weak_from_this()](std::error_code ec, const Reply& reply) {
                 auto self = weak.lock();
                 if (!self) return;
                 if (!ec && reply.is_array() && reply.elements.size() == 2 &&
                     reply.elements[1].as_integer() == 1) {
                     self->leave_all();
                     return;
                 }
                 if (ec) {
                     self->log_.warn("could not remove this node's members on stop (" +
                                     ec.message() + "); they expire after ttl");
                 }
                 self->finish({});
             });
    }

    void maybe_started() {
        if (lifecycle_.state() == State::starting && registered_ && subscribed_) {
            start_timer_.cancel();
            if (auto done = lifecycle_.running()) done({});
        }
    }

    /// Completes start (with an error) or stop.
    void finish(std::error_code result) {
        close();
        lifecycle_.finish(result);
    }

    Settings settings_;
    sdk::Executor executor_;
    sdk::Logger& log_;
    sdk::Health& health_;
    std::string node_id_;
    std::string owner_;
    sdk::Counter& unavailable_;
    sdk::Counter& disconnects_;
    sdk::Counter& reaped_;
    sdk::Gauge& connected_;
    sdk::Gauge& local_members_;
    boost::asio::steady_timer heartbeat_timer_;
    boost::asio::steady_timer start_timer_;

    Lifecycle lifecycle_;
    std::shared_ptr<Connection> cmd_;
    std::shared_ptr<Connection> sub_;
    bool registered_ = false;  // the server has this node's members (since the last connect)
    bool ever_registered_ = false;
    bool subscribed_ = false;
    bool beating_ = false;
    std::optional<long long> restore_pending_;  // a heartbeat's status, until subscribed
    std::vector<sdk::PresenceHandler> handlers_;
    std::map<std::pair<std::string, std::string>, Local> local_;  // (room, sid) -> member
    std::vector<sdk::Member> pending_leaves_;  // announced members that left while out of reach
};

ValkeyPresence::ValkeyPresence(Settings settings, sdk::PluginContext& ctx)
    : core_(ctx.executor(), std::make_shared<Core>(std::move(settings), ctx)) {}

ValkeyPresence::~ValkeyPresence() = default;

void ValkeyPresence::on_change(sdk::PresenceHandler handler) {
    core_.post(
        [handler = std::move(handler)](Core& core) mutable { core.on_change(std::move(handler)); });
}

void ValkeyPresence::start(sdk::Done done) {
    core_.post([done = std::move(done)](Core& core) mutable { core.start(std::move(done)); });
}

void ValkeyPresence::join(const sdk::Member& member, sdk::Done done) {
    // `member = member` copies into a non-const capture, so the move below moves.
    core_.post([member = member, done = std::move(done)](Core& core) mutable {
        core.join(std::move(member), done);
    });
}

void ValkeyPresence::leave(const sdk::Member& member, sdk::Done done) {
    core_.post([member, done = std::move(done)](Core& core) { core.leave(member, done); });
}

void ValkeyPresence::members(std::string_view room, sdk::MembersDone done) {
    core_.post([room = std::string(room), done = std::move(done)](Core& core) {
        core.members(room, done);
    });
}

void ValkeyPresence::count(std::string_view room, sdk::CountDone done) {
    core_.post(
        [room = std::string(room), done = std::move(done)](Core& core) { core.count(room, done); });
}

void ValkeyPresence::rooms_of(std::string_view user, sdk::RoomsDone done) {
    core_.post([user = std::string(user), done = std::move(done)](Core& core) {
        core.rooms_of(user, done);
    });
}

void ValkeyPresence::nodes(sdk::NodesDone done) {
    core_.post([done = std::move(done)](Core& core) { core.nodes(done); });
}

void ValkeyPresence::stop(sdk::Done done) {
    core_.post([done = std::move(done)](Core& core) mutable { core.stop(std::move(done)); });
}

}  // namespace relay::plugins::valkey
