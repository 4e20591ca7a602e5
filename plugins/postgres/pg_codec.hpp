#pragma once
/// PostgreSQL's binary wire formats for the few types the store sends and reads
/// (text, int4, int8 and one-dimensional arrays of them and of bytea). Pure: no
/// libpq, no I/O, so it is tested alone.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relay::plugins::postgres::codec {

/// Type OIDs (pg_type.oid), stable across server versions.
inline constexpr unsigned kInt4 = 23;
inline constexpr unsigned kInt8 = 20;
inline constexpr unsigned kText = 25;
inline constexpr unsigned kBytea = 17;
inline constexpr unsigned kInt4Array = 1007;
inline constexpr unsigned kInt8Array = 1016;
inline constexpr unsigned kTextArray = 1009;
inline constexpr unsigned kByteaArray = 1001;

/// Builds a one-dimensional array value in binary format, element by element.
/// Use one builder per parameter; `finish()` fixes the header.
class ArrayBuilder {
public:
    explicit ArrayBuilder(unsigned element_oid, std::size_t reserve_bytes = 0);
    void add(std::string_view bytes);  ///< text or bytea element
    void add_int4(std::int32_t value);
    void add_int8(std::int64_t value);
    std::size_t size() const noexcept { return count_; }
    /// The finished value (an empty array when nothing was added).
    std::string finish() &&;

private:
    unsigned element_oid_;
    std::string data_;
    std::size_t count_ = 0;
};

/// The elements of a one-dimensional binary array as views into `value` (which
/// must outlive them). nullopt when `value` is malformed, multi-dimensional or holds
/// a NULL element.
std::optional<std::vector<std::string_view>> parse_array(std::string_view value);

/// A binary int4 / int8 parameter value (4 / 8 bytes, big-endian).
std::string encode_int4(std::int32_t value);
std::string encode_int8(std::int64_t value);

/// A binary int8 (8 bytes, big-endian). nullopt for another length.
std::optional<std::int64_t> parse_int8(std::string_view value);

/// A five-character SQLSTATE packed into an int (6 bits a character), so an
/// error_code can carry it; 0 for anything that is not a SQLSTATE.
int pack_sqlstate(std::string_view sqlstate) noexcept;
std::string unpack_sqlstate(int value);

}  // namespace relay::plugins::postgres::codec
