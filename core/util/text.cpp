#include "core/util/text.h"

#include <chrono>

#include <xxhash.h>

#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace winnow {

void appendJsonString(std::string& out, std::string_view text)
{
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    for (const char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                out += "\\u00";
                out.push_back(hex[(c >> 4) & 0xf]);
                out.push_back(hex[c & 0xf]);
            } else {
                out.push_back(c);
            }
        }
    }
    out.push_back('"');
}

std::string jsonString(std::string_view text)
{
    std::string out;
    out.reserve(text.size() + 2);
    appendJsonString(out, text);
    return out;
}

namespace {
// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is invalid.
size_t utf8SequenceLength(std::string_view text, size_t i)
{
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80)
        return 1;
    size_t length = 0;
    std::uint32_t codepoint = 0;
    if ((c & 0xe0) == 0xc0) {
        length = 2;
        codepoint = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        length = 3;
        codepoint = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        length = 4;
        codepoint = c & 0x07;
    } else {
        return 0;
    }
    if (i + length > text.size())
        return 0;
    for (size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xc0) != 0x80)
            return 0;
        codepoint = (codepoint << 6) | (byte(i + k) & 0x3f);
    }
    static constexpr std::uint32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (codepoint < minimum[length] || codepoint > 0x10ffff || (codepoint >= 0xd800 && codepoint <= 0xdfff))
        return 0;
    return length;
}
} // namespace

bool isValidUtf8(std::string_view text)
{
    for (size_t i = 0; i < text.size();) {
        const size_t length = utf8SequenceLength(text, i);
        if (!length)
            return false;
        i += length;
    }
    return true;
}

std::string excerptOf(std::string_view raw, size_t maxBytes)
{
    std::string out;
    const size_t end = std::min(raw.size(), maxBytes);
    for (size_t i = 0; i < end;) {
        const size_t length = utf8SequenceLength(raw, i);
        const unsigned char c = static_cast<unsigned char>(raw[i]);
        if (length == 0 || (length == 1 && c < 0x20 && c != '\t')) {
            char escaped[5];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
            ++i;
        } else {
            out.append(raw.substr(i, length));
            i += length;
        }
    }
    if (raw.size() > maxBytes)
        out += "…";
    return out;
}

std::string contentKey(std::string_view bytes)
{
    const XXH128_hash_t hash = XXH3_128bits(bytes.data(), bytes.size());
    char text[40];
    std::snprintf(text, sizeof text, "h:%016llx%016llx", static_cast<unsigned long long>(hash.high64),
                  static_cast<unsigned long long>(hash.low64));
    return text;
}

std::uint64_t hash64(std::string_view bytes)
{
    return XXH3_64bits(bytes.data(), bytes.size());
}

namespace {
bool readDigits(std::string_view text, size_t& pos, size_t count, int& value)
{
    if (pos + count > text.size())
        return false;
    value = 0;
    for (size_t k = 0; k < count; ++k) {
        const char c = text[pos + k];
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + (c - '0');
    }
    pos += count;
    return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t daysFromCivil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
} // namespace

bool parseIsoTimestamp(std::string_view text, std::int64_t& msSinceEpoch)
{
    size_t pos = 0;
    int year, month, day, hour = 0, minute = 0, second = 0;
    if (!readDigits(text, pos, 4, year) || pos >= text.size() || text[pos++] != '-' ||
        !readDigits(text, pos, 2, month) || pos >= text.size() || text[pos++] != '-' ||
        !readDigits(text, pos, 2, day))
        return false;
    if (month < 1 || month > 12 || day < 1 || day > 31)
        return false;
    int millis = 0;
    int offsetMinutes = 0;
    if (pos < text.size() && (text[pos] == 'T' || text[pos] == 't' || text[pos] == ' ')) {
        ++pos;
        if (!readDigits(text, pos, 2, hour) || pos >= text.size() || text[pos++] != ':' ||
            !readDigits(text, pos, 2, minute))
            return false;
        if (pos < text.size() && text[pos] == ':') {
            ++pos;
            if (!readDigits(text, pos, 2, second))
                return false;
        }
        if (hour > 23 || minute > 59 || second > 60)
            return false;
        if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
            ++pos;
            int digits = 0;
            while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
                if (digits < 3)
                    millis = millis * 10 + (text[pos] - '0');
                ++digits;
                ++pos;
            }
            if (!digits)
                return false;
            for (int k = digits; k < 3; ++k)
                millis *= 10;
        }
        if (pos < text.size()) {
            const char zone = text[pos];
            if (zone == 'Z' || zone == 'z') {
                ++pos;
            } else if (zone == '+' || zone == '-') {
                ++pos;
                int zh, zm = 0;
                if (!readDigits(text, pos, 2, zh))
                    return false;
                if (pos < text.size() && text[pos] == ':')
                    ++pos;
                if (pos < text.size() && !readDigits(text, pos, 2, zm))
                    return false;
                offsetMinutes = (zh * 60 + zm) * (zone == '-' ? -1 : 1);
            } else {
                return false;
            }
        }
    }
    if (pos != text.size())
        return false;
    const std::int64_t days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
    msSinceEpoch = seconds * 1000 + millis;
    return true;
}

std::int64_t epochNumberToMs(double value)
{
    const double magnitude = std::fabs(value);
    double ms;
    if (magnitude >= 1e17)
        ms = value / 1e6; // nanoseconds
    else if (magnitude >= 1e14)
        ms = value / 1e3; // microseconds
    else if (magnitude >= 1e11)
        ms = value; // milliseconds
    else
        ms = std::round(value * 1000.0); // seconds
    // Past what an int64 holds (1e30, NaN): the extreme of its sign, which no time range accepts.
    if (!(std::fabs(ms) < 9.2e18))
        return std::signbit(ms) ? INT64_MIN : INT64_MAX;
    return static_cast<std::int64_t>(ms);
}

std::string formatIsoTimestamp(std::int64_t msSinceEpoch)
{
    std::int64_t seconds = msSinceEpoch / 1000;
    int millis = static_cast<int>(msSinceEpoch % 1000);
    if (millis < 0) {
        millis += 1000;
        --seconds;
    }
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    return text;
}

std::string toLowerAscii(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::int64_t nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string numberText(double value)
{
    char text[32];
    if (value == std::floor(value) && std::fabs(value) < 1e15)
        std::snprintf(text, sizeof text, "%.0f", value);
    else
        std::snprintf(text, sizeof text, "%.10g", value);
    return text;
}

} // namespace winnow
