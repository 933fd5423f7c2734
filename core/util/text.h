#pragma once
// Small text helpers shared by the ingest formats, the generator and the store.

#include <cstdint>
#include <string>
#include <string_view>

namespace winnow {

// Appends `text` as a JSON string literal (with quotes), escaping what JSON requires.
void appendJsonString(std::string& out, std::string_view text);
std::string jsonString(std::string_view text);

// A short, always valid UTF-8 excerpt of raw input: invalid bytes and control characters are
// written as \xNN so a reviewer sees exactly what was there.
std::string excerptOf(std::string_view raw, size_t maxBytes = 400);

bool isValidUtf8(std::string_view text);

// "h:" followed by the 128-bit XXH3 hash of the bytes, in hex.
std::string contentKey(std::string_view bytes);
std::uint64_t hash64(std::string_view bytes);

// Parses an ISO 8601 / RFC 3339 timestamp ("2026-03-01T10:00:00.123Z", "+02:00" offsets, a space
// instead of T, no zone meaning UTC) into milliseconds since the epoch.
bool parseIsoTimestamp(std::string_view text, std::int64_t& msSinceEpoch);
// Interprets a bare number as seconds, milliseconds, microseconds or nanoseconds by magnitude.
std::int64_t epochNumberToMs(double value);
std::string formatIsoTimestamp(std::int64_t msSinceEpoch);
// The wall clock, in milliseconds since the epoch.
std::int64_t nowMs();

std::string toLowerAscii(std::string_view text);

// A number as JSON and CSV write it: whole numbers without a fraction, others to ten digits.
std::string numberText(double value);

// splitmix64's finaliser: every input bit moves every output bit (hash mixing, seeded orders).
constexpr std::uint64_t mix64(std::uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

} // namespace winnow
