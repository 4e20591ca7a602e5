#pragma once
#include <relay/sdk/message.hpp>

#include <string>

namespace relay::host {

/// What the host checks of a message after the processors ran, before the queue sees
/// it (the rules sdk/processor.hpp states): the payload is still a JSON object, and
/// every binary placeholder in it (`{"_placeholder":true,"num":N}`) names one of the
/// message's attachments. Empty when the message may go on; otherwise the reason, in
/// words for the sender's error ack.
std::string check_processed_message(const sdk::Message& msg);

}  // namespace relay::host
