#include "pg_codec.hpp"

namespace relay::plugins::postgres::codec {

namespace {

// Array header: ndim, has-null flag, element type, then (size, lower bound) per dimension.
constexpr std::size_t kHeader = 20;  // five 4-byte fields

void put_u32(std::string& out, std::uint32_t v) {
    out.push_back(static_cast<char>(v >> 24));
    out.push_back(static_cast<char>(v >> 16));
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v));
}

void put_u32_at(std::string& out, std::size_t at, std::uint32_t v) {
    out[at] = static_cast<char>(v >> 24);
    out[at + 1] = static_cast<char>(v >> 16);
    out[at + 2] = static_cast<char>(v >> 8);
    out[at + 3] = static_cast<char>(v);
}

bool get_u32(std::string_view& in, std::uint32_t& v) {
    if (in.size() < 4) return false;
    v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
    in.remove_prefix(4);
    return true;
}

}  // namespace

ArrayBuilder::ArrayBuilder(unsigned element_oid, std::size_t reserve_bytes)
    : element_oid_(element_oid) {
    data_.reserve(kHeader + reserve_bytes);
    data_.resize(kHeader);
}

void ArrayBuilder::add(std::string_view bytes) {
    put_u32(data_, static_cast<std::uint32_t>(bytes.size()));
    data_.append(bytes);
    ++count_;
}

void ArrayBuilder::add_int4(std::int32_t value) {
    put_u32(data_, 4);
    put_u32(data_, static_cast<std::uint32_t>(value));
    ++count_;
}

void ArrayBuilder::add_int8(std::int64_t value) {
    put_u32(data_, 8);
    const auto v = static_cast<std::uint64_t>(value);
    put_u32(data_, static_cast<std::uint32_t>(v >> 32));
    put_u32(data_, static_cast<std::uint32_t>(v));
    ++count_;
}

std::string ArrayBuilder::finish() && {
    if (count_ == 0) {
        // No dimensions: the empty array.
        std::string empty;
        put_u32(empty, 0);
        put_u32(empty, 0);
        put_u32(empty, element_oid_);
        return empty;
    }
    put_u32_at(data_, 0, 1);  // one dimension
    put_u32_at(data_, 4, 0);  // no NULL elements
    put_u32_at(data_, 8, element_oid_);
    put_u32_at(data_, 12, static_cast<std::uint32_t>(count_));
    put_u32_at(data_, 16, 1);  // lower bound
    return std::move(data_);
}

std::optional<std::vector<std::string_view>> parse_array(std::string_view value) {
    std::uint32_t ndim = 0;
    std::uint32_t flags = 0;
    std::uint32_t oid = 0;
    if (!get_u32(value, ndim) || !get_u32(value, flags) || !get_u32(value, oid)) {
        return std::nullopt;
    }
    std::vector<std::string_view> elements;
    if (ndim == 0) {
        if (!value.empty()) return std::nullopt;
        return elements;
    }
    std::uint32_t count = 0;
    std::uint32_t lower = 0;
    if (ndim != 1 || !get_u32(value, count) || !get_u32(value, lower)) return std::nullopt;
    if (count > value.size() / 4) return std::nullopt;  // each needs at least its length
    elements.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        std::uint32_t size = 0;
        if (!get_u32(value, size)) return std::nullopt;
        if (size == 0xffffffffU || size > value.size()) return std::nullopt;  // NULL or short
        elements.push_back(value.substr(0, size));
        value.remove_prefix(size);
    }
    if (!value.empty()) return std::nullopt;
    return elements;
}

std::string encode_int4(std::int32_t value) {
    std::string out;
    put_u32(out, static_cast<std::uint32_t>(value));
    return out;
}

std::string encode_int8(std::int64_t value) {
    const auto v = static_cast<std::uint64_t>(value);
    std::string out;
    put_u32(out, static_cast<std::uint32_t>(v >> 32));
    put_u32(out, static_cast<std::uint32_t>(v));
    return out;
}

std::optional<std::int64_t> parse_int8(std::string_view value) {
    if (value.size() != 8) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : value) v = (v << 8) | static_cast<unsigned char>(c);
    return static_cast<std::int64_t>(v);
}

int pack_sqlstate(std::string_view sqlstate) noexcept {
    if (sqlstate.size() != 5) return 0;
    int value = 0;
    for (char c : sqlstate) {
        int digit = 0;
        if (c >= '0' && c <= '9') {
            digit = c - '0';
        } else if (c >= 'A' && c <= 'Z') {
            digit = c - 'A' + 10;
        } else {
            return 0;
        }
        value = (value << 6) | (digit + 1);  // +1: "00000" must not pack to 0
    }
    return value;
}

std::string unpack_sqlstate(int value) {
    std::string out(5, '?');
    for (int i = 4; i >= 0; --i) {
        const int digit = (value & 0x3f) - 1;
        value >>= 6;
        out[static_cast<std::size_t>(i)] = digit >= 0 && digit < 10 ? static_cast<char>('0' + digit)
                                           : digit >= 10 && digit < 36
                                               ? static_cast<char>('A' + digit - 10)
                                               : '?';
    }
    return out;
}

}  // namespace relay::plugins::postgres::codec
