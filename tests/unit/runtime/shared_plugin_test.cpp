#include "runtime/shared_plugin.hpp"

#include <relay/sdk/processor.hpp>

#include <gtest/gtest.h>

namespace relay::host {
namespace {

class Probe final : public sdk::Processor {
public:
    explicit Probe(bool& destroyed) : destroyed_(destroyed) {}
    ~Probe() override { destroyed_ = true; }
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;
    void process(sdk::Message&, sdk::VerdictDone done) override { done(sdk::Verdict::accept()); }

private:
    bool& destroyed_;
};

std::shared_ptr<SharedPlugin<sdk::Processor>> probe(bool& destroyed, boost::asio::io_context& io) {
    SharedPlugin<sdk::Processor> record;
    record.instance.object = std::make_unique<Probe>(destroyed);
    return share_plugin(std::move(record), io.get_executor());
}

TEST(SharedPlugin, TheLastOwnerDestroysItInAHandlerOfItsOwnNotInline) {
    boost::asio::io_context io;
    bool destroyed = false;
    auto record = probe(destroyed, io);
    auto object = object_of(record);
    record.reset();
    object.reset();  // the last owner: perhaps a callback the plugin is running
    EXPECT_FALSE(destroyed);
    io.run();
    EXPECT_TRUE(destroyed);
}

TEST(SharedPlugin, OnceTheIoThreadsStoppedItGoesAtOnce) {
    boost::asio::io_context io;
    io.stop();
    bool destroyed = false;
    auto record = probe(destroyed, io);
    record.reset();
    EXPECT_TRUE(destroyed);
}

TEST(SharedPlugin, ObjectOfNothingIsNull) {
    EXPECT_EQ(object_of(std::shared_ptr<SharedPlugin<sdk::Processor>>{}), nullptr);
}

}  // namespace
}  // namespace relay::host
