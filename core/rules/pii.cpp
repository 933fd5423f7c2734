#include "core/rules/pii.h"

#include "core/rules/matching.h"

#include <QChar>
#include <re2/re2.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <map>
#include <memory>

namespace winnow {

namespace {

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isAlnum(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

std::string digitsOf(std::string_view text)
{
    std::string digits;
    for (char c : text)
        if (isDigit(c))
            digits += c;
    return digits;
}

// The characters just outside a span (0 at the ends of the text).
char before(std::string_view text, const TextSpan& span)
{
    return span.begin > 0 ? text[span.begin - 1] : '\0';
}
char after(std::string_view text, const TextSpan& span)
{
    return span.end < text.size() ? text[span.end] : '\0';
}

// A number glued to letters, a dash or a dot on either side is part of a longer id, a version or
// a reference ("ORD-4111111111111111", "v10.0.0.1"), not an entity of its own.
bool standsAlone(std::string_view text, const TextSpan& span)
{
    const char b = before(text, span);
    const char a = after(text, span);
    const bool gluedBefore = isAlnum(b) || b == '-' || b == '_' || b == '/' ||
                             (b == '.' && span.begin >= 2 && isDigit(text[span.begin - 2]));
    const bool gluedAfter =
        isAlnum(a) || a == '_' ||
        ((a == '.' || a == '-') && span.end + 1 < text.size() && isAlnum(text[span.end + 1]));
    return !gluedBefore && !gluedAfter;
}

std::string_view slice(std::string_view text, const TextSpan& span)
{
    return text.substr(span.begin, span.end - span.begin);
}

// The length of the character RE2 sees at text[i] as one of [\x{80}-\x{10FFFF}] (1 for ASCII),
// or 0 where it sees none. RE2 compiles that range loosely (any lead byte C2-F4 with its number of
// continuation bytes, overlong E0/F0 forms and F4 past U+10FFFF included), and so does this.
size_t characterLength(std::string_view text, size_t i)
{
    const auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80)
        return 1;
    const size_t length = lead >= 0xC2 && lead <= 0xDF   ? 2
                          : lead >= 0xE0 && lead <= 0xEF ? 3
                          : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                         : 0;
    if (length == 0 || i + length > text.size())
        return 0;
    for (size_t k = 1; k < length; ++k)
        if ((byte(i + k) & 0xC0) != 0x80)
            return 0;
    return length;
}

// The code point of the character at text[i] that characterLength() measures, U+FFFD for what is
// not one in well-formed UTF-8 (a malformed byte, which counts one byte; an overlong form, a
// surrogate, past U+10FFFF: RE2's loose reading takes those as characters).
char32_t codePointAt(std::string_view text, size_t i, size_t& length)
{
    length = characterLength(text, i);
    const auto byte = [&](size_t at) { return char32_t(static_cast<unsigned char>(text[at])); };
    if (length == 0) {
        length = 1;
        return 0xFFFD;
    }
    if (length == 1)
        return byte(i);
    char32_t point = byte(i) & (0xFF >> (length + 1));
    for (size_t k = 1; k < length; ++k)
        point = (point << 6) | (byte(i + k) & 0x3F);
    constexpr char32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (point < least[length] || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF))
        return 0xFFFD;
    return point;
}

// The candidate pattern takes any non-ASCII character as a possible letter (Unicode letter classes
// make RE2 slow to compile and its DFA large); here non-ASCII punctuation ends the address
// ("«jane@example.com»", "jane@example.com—thanks"). Read on the bytes themselves, so that the
// span stays on them whatever they hold.
bool acceptEmail(std::string_view text, TextSpan& span)
{
    const size_t at = slice(text, span).find('@');
    if (at == std::string_view::npos)
        return false;
    const size_t atByte = span.begin + at;
    // The address starts after the last stray character before the @ and ends at the first after
    // it; a stray character is one beyond ASCII that is no letter or digit (ASCII ones the pattern
    // already left out).
    size_t first = span.begin;
    size_t last = span.end;
    bool afterAt = false;
    for (size_t i = span.begin, length = 0; i < span.end; i += length) {
        if (i == atByte)
            afterAt = true;
        const char32_t point = codePointAt(text, i, length);
        if (point < 0x80 || QChar::isLetterOrNumber(point))
            continue;
        if (!afterAt) {
            first = i + length;
        } else {
            last = i;
            break;
        }
    }
    if (first >= atByte)
        return false;
    while (last > atByte + 1 && text[last - 1] == '.')
        --last; // a sentence's full stop
    span = {first, last};
    return emailValid(slice(text, span));
}

// The email pattern's ASCII classes, as bits of one table (the finder reads every byte near an @).
enum EmailClass : unsigned char { EmailLocal = 1, EmailLabel = 2, EmailTopLevel = 4 };
constexpr std::array<unsigned char, 128> emailClasses = [] {
    std::array<unsigned char, 128> classes{};
    for (int c = 0; c < 128; ++c) {
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        const bool alnum = letter || (c >= '0' && c <= '9');
        classes[size_t(c)] =
            (alnum || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' ? EmailLocal : 0) |
            (alnum || c == '-' ? EmailLabel : 0) | (letter ? EmailTopLevel : 0);
    }
    return classes;
}();

bool isEmailLocalChar(char c)
{
    return emailClasses[size_t(c)] & EmailLocal;
}

bool isEmailLabelChar(char c)
{
    return emailClasses[size_t(c)] & EmailLabel;
}

bool isEmailTopLevelChar(char c)
{
    return emailClasses[size_t(c)] & EmailTopLevel;
}

// Where a run of characters of a class starting at `at` ends (ASCII by `ascii`, any other
// character RE2 takes as one), after at most `most` characters; `count` is how many it holds.
template <typename Ascii>
size_t runEnd(std::string_view text, size_t at, Ascii ascii, size_t most, size_t& count)
{
    count = 0;
    while (at < text.size() && count < most) {
        const char c = text[at];
        const size_t length =
            static_cast<unsigned char>(c) < 0x80 ? (ascii(c) ? 1 : 0) : characterLength(text, at);
        if (length == 0)
            break;
        at += length;
        ++count;
    }
    return at;
}

// Where the email candidate pattern's domain, after the @ at `at`, ends as RE2's leftmost-first
// search ends it: as many "label." as there are, then two to 63 letters, giving back labels
// until the letters are there: the last "label." after which they are (npos: none is).
size_t emailDomainEnd(std::string_view text, size_t at)
{
    size_t domainEnd = std::string_view::npos;
    size_t position = at + 1;
    for (;;) {
        size_t characters = 0;
        const size_t labelEnd = runEnd(text, position, isEmailLabelChar, SIZE_MAX, characters);
        if (characters == 0 || labelEnd >= text.size() || text[labelEnd] != '.')
            return domainEnd;
        position = labelEnd + 1;
        size_t letters = 0;
        if (const size_t end = runEnd(text, position, isEmailTopLevelChar, 63, letters); letters >= 2)
            domainEnd = end;
    }
}

bool acceptPhone(std::string_view text, TextSpan& span)
{
    // "(call +1 415-555-8163)": the closing bracket is the sentence's.
    while (span.end > span.begin && text[span.end - 1] == ')') {
        const std::string_view number = slice(text, span);
        if (std::count(number.begin(), number.end(), '(') >= std::count(number.begin(), number.end(), ')'))
            break;
        --span.end;
    }
    return standsAlone(text, span) && phoneValid(slice(text, span));
}

// The token just before a span, past one space ("DE89" in "DE89 3704 0044 ...").
std::string_view tokenBefore(std::string_view text, const TextSpan& span)
{
    if (span.begin < 2 || text[span.begin - 1] != ' ')
        return {};
    size_t start = span.begin - 1;
    while (start > 0 && isAlnum(text[start - 1]))
        --start;
    return text.substr(start, span.begin - 1 - start);
}

bool acceptCard(std::string_view text, TextSpan& span)
{
    // The digits of an IBAN, after its country and check digits, are no card.
    const std::string_view before = tokenBefore(text, span);
    if (before.size() == 4 && std::isupper(static_cast<unsigned char>(before[0])) &&
        std::isupper(static_cast<unsigned char>(before[1])) && isDigit(before[2]) && isDigit(before[3]))
        return false;
    return standsAlone(text, span) && cardValid(slice(text, span));
}

// Lengths by country, from the SWIFT IBAN registry.
const std::map<std::string, int, std::less<>>& ibanLengths()
{
    static const std::map<std::string, int, std::less<>> lengths = {
        {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
        {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
        {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
        {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
        {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27},
        {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
        {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
        {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28},
        {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
        {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28},
        {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
    };
    return lengths;
}

// The candidate may run on into capitals that follow it ("DE89 3704 0044 0532 0130 00 AND"): the
// country's length says where it ends.
bool acceptIban(std::string_view text, TextSpan& span)
{
    const std::string_view candidate = slice(text, span);
    const auto length = ibanLengths().find(candidate.substr(0, 2));
    if (length == ibanLengths().end())
        return false;
    int characters = 0;
    size_t end = 0;
    for (; end < candidate.size() && characters < length->second; ++end)
        if (candidate[end] != ' ')
            ++characters;
    if (characters != length->second)
        return false;
    const TextSpan narrowed{span.begin, span.begin + end};
    if (isAlnum(after(text, narrowed)) || isAlnum(before(text, narrowed)))
        return false;
    if (!ibanValid(slice(text, narrowed)))
        return false;
    span = narrowed;
    return true;
}

bool acceptSsn(std::string_view text, TextSpan& span)
{
    return standsAlone(text, span) && usSsnValid(slice(text, span));
}

bool acceptIp(std::string_view text, TextSpan& span)
{
    const std::string_view candidate = slice(text, span);
    if (candidate.find(':') == std::string_view::npos) {
        // "v1.2.3.4", "1.2.3.4.5" and "version 1.2.3.4" are versions; "10.0.0.1" is an address.
        const char b = before(text, span);
        if (b == 'v' || b == 'V')
            return false;
        std::string word(tokenBefore(text, span));
        std::transform(word.begin(), word.end(), word.begin(), ::tolower);
        if (word == "version" || word == "release" || word == "build" || word == "firmware")
            return false;
        return standsAlone(text, span) && ipValid(candidate);
    }
    if (isAlnum(before(text, span)) || isAlnum(after(text, span)))
        return false;
    return ipValid(candidate);
}

bool acceptUrl(std::string_view text, TextSpan& span)
{
    // Trailing punctuation belongs to the sentence; a closing bracket only when the URL opened one.
    while (span.end > span.begin) {
        const char last = text[span.end - 1];
        const std::string_view url = slice(text, span);
        if (std::strchr(".,;:!?'\"", last) != nullptr) {
            --span.end;
            continue;
        }
        if ((last == ')' &&
             std::count(url.begin(), url.end(), '(') < std::count(url.begin(), url.end(), ')')) ||
            (last == ']' &&
             std::count(url.begin(), url.end(), '[') < std::count(url.begin(), url.end(), ']')) ||
            (last == '}' &&
             std::count(url.begin(), url.end(), '{') < std::count(url.begin(), url.end(), '}'))) {
            --span.end;
            continue;
        }
        break;
    }
    const std::string_view url = slice(text, span);
    const size_t scheme = url.find("://");
    const std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
    const std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
    return host.find('.') != std::string_view::npos && host.back() != '.';
}

bool acceptToken(std::string_view text, TextSpan& span)
{
    const char b = before(text, span);
    const char a = after(text, span);
    return !isAlnum(b) && b != '_' && !isAlnum(a) && a != '_';
}

bool acceptJwt(std::string_view text, TextSpan& span)
{
    return acceptToken(text, span) && jwtValid(slice(text, span));
}

bool acceptBlock(std::string_view, TextSpan&)
{
    return true;
}

std::string base64UrlDecode(std::string_view text)
{
    std::string out;
    unsigned value = 0;
    int bits = 0;
    for (char c : text) {
        int digit = -1;
        if (c >= 'A' && c <= 'Z')
            digit = c - 'A';
        else if (c >= 'a' && c <= 'z')
            digit = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            digit = c - '0' + 52;
        else if (c == '-' || c == '+')
            digit = 62;
        else if (c == '_' || c == '/')
            digit = 63;
        else if (c == '=')
            break;
        else
            return {};
        value = (value << 6) | unsigned(digit);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((value >> bits) & 0xff);
        }
    }
    return out;
}

} // namespace

bool luhnValid(std::string_view digits)
{
    if (digits.empty())
        return false;
    int sum = 0;
    bool doubled = false;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        if (!isDigit(*it))
            return false;
        int d = *it - '0';
        if (doubled) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
        doubled = !doubled;
    }
    return sum % 10 == 0;
}

bool cardValid(std::string_view candidate)
{
    // One kind of separator (or none), digits only otherwise.
    char separator = 0;
    for (char c : candidate) {
        if (isDigit(c))
            continue;
        if (c != ' ' && c != '-')
            return false;
        if (separator && c != separator)
            return false;
        separator = c;
    }
    const std::string digits = digitsOf(candidate);
    if (digits.size() < 13 || digits.size() > 19)
        return false;
    if (std::all_of(digits.begin(), digits.end(), [&](char c) { return c == digits[0]; }))
        return false;
    // Issuer prefixes of the networks in use: an order number that passes Luhn by chance rarely
    // starts like a card.
    auto prefix = [&](size_t n) { return std::stoi(digits.substr(0, n)); };
    const int two = prefix(2), three = prefix(3), four = prefix(4), six = prefix(6);
    const bool known = digits[0] == '4' ||                                            // Visa
                       (two >= 51 && two <= 55) ||                                    // Mastercard
                       (four >= 2221 && four <= 2720) ||                              // Mastercard 2-series
                       two == 34 || two == 37 ||                                      // American Express
                       four == 6011 || two == 65 || (three >= 644 && three <= 649) || // Discover
                       (six >= 622126 && six <= 622925) || two == 62 ||               // UnionPay
                       (four >= 3528 && four <= 3589) ||                              // JCB
                       two == 36 || two == 38 || (three >= 300 && three <= 305) ||    // Diners
                       two == 50 || (two >= 56 && two <= 69);                         // Maestro
    return known && luhnValid(digits);
}

bool ibanValid(std::string_view candidate)
{
    std::string compact;
    for (char c : candidate)
        if (c != ' ')
            compact += c;
    if (compact.size() < 15 || !std::isupper(static_cast<unsigned char>(compact[0])) ||
        !std::isupper(static_cast<unsigned char>(compact[1])) || !isDigit(compact[2]) || !isDigit(compact[3]))
        return false;
    const auto length = ibanLengths().find(std::string_view(compact).substr(0, 2));
    if (length == ibanLengths().end() || int(compact.size()) != length->second)
        return false;
    // Move the first four to the end, letters as 10..35, then the number mod 97 is 1.
    const std::string rearranged = compact.substr(4) + compact.substr(0, 4);
    int remainder = 0;
    for (char c : rearranged) {
        if (isDigit(c))
            remainder = (remainder * 10 + (c - '0')) % 97;
        else if (c >= 'A' && c <= 'Z')
            remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
        else
            return false;
    }
    return remainder == 1;
}

bool usSsnValid(std::string_view candidate)
{
    // AAA-GG-SSSS with one delimiter (a dash or a space) used twice.
    if (candidate.size() != 11 || (candidate[3] != '-' && candidate[3] != ' ') ||
        candidate[6] != candidate[3])
        return false;
    const std::string digits = digitsOf(candidate);
    if (digits.size() != 9)
        return false;
    const int area = std::stoi(digits.substr(0, 3));
    const int group = std::stoi(digits.substr(3, 2));
    const int serial = std::stoi(digits.substr(5, 4));
    if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0)
        return false;
    if (std::all_of(digits.begin(), digits.end(), [&](char c) { return c == digits[0]; }))
        return false;
    // Published in advertising and used by thousands: never a person's.
    return digits != "078051120" && digits != "219099999" && digits != "123456789";
}

bool ipValid(std::string_view candidate)
{
    const std::string text(candidate);
    if (text.find(':') == std::string::npos) {
        // Dotted quad, no leading zeros (which some parsers read as octal).
        int parts = 0;
        size_t at = 0;
        while (at <= text.size()) {
            const size_t dot = std::min(text.find('.', at), text.size());
            const std::string part = text.substr(at, dot - at);
            if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), isDigit) ||
                (part.size() > 1 && part[0] == '0') || std::stoi(part) > 255)
                return false;
            ++parts;
            at = dot + 1;
        }
        return parts == 4;
    }
    if (std::count(text.begin(), text.end(), ':') < 2 || std::none_of(text.begin(), text.end(), [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c));
        }))
        return false;
    unsigned char address[16];
    return inet_pton(AF_INET6, text.c_str(), address) == 1;
}

bool emailValid(std::string_view candidate)
{
    const size_t at = candidate.find('@');
    if (at == std::string_view::npos || at == 0 || candidate.find('@', at + 1) != std::string_view::npos ||
        candidate.size() > 254 || at > 64)
        return false;
    const std::string_view local = candidate.substr(0, at);
    const std::string_view domain = candidate.substr(at + 1);
    if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
        return false;
    const size_t lastDot = domain.rfind('.');
    if (lastDot == std::string_view::npos || lastDot == 0)
        return false;
    size_t start = 0;
    while (start <= domain.size()) {
        const size_t dot = std::min(domain.find('.', start), domain.size());
        const std::string_view label = domain.substr(start, dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return false;
        start = dot + 1;
    }
    const std::string_view tld = domain.substr(lastDot + 1);
    return tld.size() >= 2 &&
           std::none_of(tld.begin(), tld.end(), [](char c) { return isDigit(c) || c == '-'; });
}

bool phoneValid(std::string_view candidate)
{
    const std::string digits = digitsOf(candidate);
    // No two separators in a row, brackets only around the first group.
    for (size_t i = 1; i < candidate.size(); ++i)
        if (std::strchr(" .-", candidate[i]) && std::strchr(" .-", candidate[i - 1]))
            return false;
    if (candidate.front() == '+')
        // E.164: a country code and a number, 8 to 15 digits in all.
        return digits.size() >= 8 && digits.size() <= 15 && digits[0] != '0';
    // North American: NXX-NXX-XXXX, the area code and the exchange not starting with 0 or 1.
    if (digits.size() != 10)
        return false;
    return digits[0] >= '2' && digits[3] >= '2' && !(digits[1] == '1' && digits[2] == '1');
}

bool jwtValid(std::string_view candidate)
{
    const size_t firstDot = candidate.find('.');
    const size_t secondDot = candidate.find('.', firstDot + 1);
    if (firstDot == std::string_view::npos || secondDot == std::string_view::npos)
        return false;
    const std::string header = base64UrlDecode(candidate.substr(0, firstDot));
    const std::string payload = base64UrlDecode(candidate.substr(firstDot + 1, secondDot - firstDot - 1));
    return !header.empty() && header.front() == '{' && header.find("\"alg\"") != std::string::npos &&
           !payload.empty() && payload.front() == '{';
}

bool nextEmailCandidate(std::string_view text, size_t from, TextSpan& found)
{
    for (size_t at = text.find('@', from); at != std::string_view::npos; at = text.find('@', at + 1)) {
        // Back to the first byte that cannot be in the local part, then forward by characters:
        // a malformed byte among them ends a run as it ends RE2's.
        size_t start = at;
        while (start > from &&
               (static_cast<unsigned char>(text[start - 1]) >= 0x80 || isEmailLocalChar(text[start - 1])))
            --start;
        size_t runStart = start;
        for (size_t i = start; i < at;) {
            const size_t length = characterLength(text, i);
            i += std::max<size_t>(length, 1);
            if (length == 0)
                runStart = i;
        }
        if (runStart == at)
            continue; // nothing before the @
        if (const size_t end = emailDomainEnd(text, at); end != std::string_view::npos) {
            found = {runStart, end};
            return true;
        }
    }
    return false;
}

const std::vector<PiiSpec>& piiSpecs()
{
    static const std::vector<PiiSpec> specs = {
        {PiiEntity::Email, "email", "pii.email", "Email address",
         R"([A-Za-z0-9._%+\-\x{80}-\x{10FFFF}]+@(?:[A-Za-z0-9\-\x{80}-\x{10FFFF}]+\.)+[A-Za-z\x{80}-\x{10FFFF}]{2,63})",
         acceptEmail, "write to jane.doe@example.com", "the @example handle", nextEmailCandidate},
        {PiiEntity::Phone, "phone", "pii.phone", "Phone number",
         R"(\+\d{1,3}(?:[ .\-]?\(?\d{1,4}\)?){2,6}|(?:\(\d{3}\) ?|\b\d{3}[ .\-])\d{3}[ .\-]\d{4}\b)",
         acceptPhone, "call me on +1 415-555-8163", "order 2026-11-30-0042"},
        {PiiEntity::Card, "card", "pii.card", "Payment card number", R"(\b\d(?:[ \-]?\d){12,18}\b)",
         acceptCard, "card 4111 1111 1111 1111 exp 12/27", "card 4111 1111 1111 1112"},
        {PiiEntity::Iban, "iban", "pii.iban", "IBAN", R"(\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30})", acceptIban,
         "IBAN DE89 3704 0044 0532 0130 00", "IBAN DE89 3704 0044 0532 0130 01"},
        {PiiEntity::UsSsn, "us_ssn", "pii.us_ssn", "US Social Security number",
         R"(\b\d{3}[\- ]\d{2}[\- ]\d{4}\b)", acceptSsn, "SSN 536-22-1234", "SSN 666-22-1234"},
        {PiiEntity::Ip, "ip", "pii.ip", "IP address",
         R"(\b\d{1,3}(?:\.\d{1,3}){3}\b|(?i:(?:[0-9a-f]{1,4}:|:)(?:[0-9a-f]{0,4}:){1,6}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{1,4})?))",
         acceptIp, "from 203.0.113.7 and 2001:db8::1", "version 1.2.3.4.5"},
        {PiiEntity::Url, "url", "pii.url", "URL", R"((?i)\b(?:https?://|ftp://|www\.)[^\s<>"'`]+)", acceptUrl,
         "see https://example.com/a?b=1.", "see example dot com"},
        {PiiEntity::AwsAccessKey, "aws_access_key", "secret.aws_access_key", "AWS access key id",
         R"(\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b)", acceptToken, "key AKIAIOSFODNN7EXAMPLE",
         "key AKIAIOSFODNN7EXAMPL"},
        {PiiEntity::GithubToken, "github_token", "secret.github_token", "GitHub token",
         R"(\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,255}))", acceptToken,
         "token ghp_16C7e42F292c6912E7710c838347Ae178B4a", "token ghp_short"},
        {PiiEntity::SlackToken, "slack_token", "secret.slack_token", "Slack token",
         R"(\bxox[abposr]-[0-9A-Za-z][0-9A-Za-z\-]{8,})", acceptToken,
         "SLACK=xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "the xox- prefix"},
        {PiiEntity::Jwt, "jwt", "secret.jwt", "JSON Web Token",
         R"(\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{10,})", acceptJwt,
         "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
         "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
         "eyJub3QiOiJhIHRva2VuIn0.eyJhIjoxfQ.notatokenatall"},
        {PiiEntity::PrivateKey, "private_key", "secret.private_key", "Private key block",
         R"(-----BEGIN [A-Z ]*PRIVATE KEY-----(?s:.*?-----END [A-Z ]*PRIVATE KEY-----)?)", acceptBlock,
         "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----",
         "-----BEGIN PUBLIC KEY-----"},
    };
    return specs;
}

const PiiSpec& piiSpec(PiiEntity entity)
{
    return piiSpecs()[static_cast<size_t>(entity)];
}

const PiiSpec* findPiiSpec(std::string_view name)
{
    for (const PiiSpec& spec : piiSpecs())
        if (name == spec.name)
            return &spec;
    return nullptr;
}

std::vector<TextSpan> findPii(PiiEntity entity, std::string_view text)
{
    const PiiSpec& spec = piiSpec(entity);
    std::unique_ptr<re2::RE2> pattern; // only where code does not find the candidates
    if (!spec.nextCandidate) {
        re2::RE2::Options options;
        options.set_log_errors(false);
        pattern = std::make_unique<re2::RE2>(spec.pattern, options);
    }
    std::vector<TextSpan> found;
    forEachCandidate(spec, pattern.get(), text, [&](TextSpan span) {
        if (spec.accept(text, span))
            found.push_back(span);
        return true;
    });
    return found;
}

} // namespace winnow
