#pragma once
// Personal data and secrets found in text. Each entity is a candidate pattern (RE2: linear time)
// and a validator in code for what a pattern cannot check: the Luhn sum of a card, an IBAN's
// mod-97 and its country's length, the ranges the US never issues as SSNs, an address that
// parses, a JWT whose header decodes. The rules engine scans every candidate pattern in one pass
// (but for a candidate found by code, see PiiSpec::nextCandidate) and validates what it finds.

#include <string>
#include <string_view>
#include <vector>

namespace winnow {

enum class PiiEntity {
    Email,
    Phone,
    Card,
    Iban,
    UsSsn,
    Ip,
    Url,
    AwsAccessKey,
    GithubToken,
    SlackToken,
    Jwt,
    PrivateKey,
};
constexpr int piiEntityCount = 12;

// A found entity: byte offsets into the text.
struct TextSpan
{
    size_t begin = 0;
    size_t end = 0;
};

struct PiiSpec
{
    PiiEntity entity;
    const char* name;    // "email", "card", "aws_access_key": what packs and the CLI call it
    const char* ruleId;  // its rule in version 1: "pii.email", "secret.jwt"
    const char* title;   // for people
    const char* pattern; // RE2, the candidates
    // Whether a candidate (at `span` in `text`) is one; may narrow the span (an IBAN followed by
    // capitals, a URL's closing bracket). The text around it is context (a longer id, a version).
    bool (*accept)(std::string_view text, TextSpan& span);
    const char* example;    // one text it finds
    const char* nonExample; // one text it must not find
    // Finds the pattern's matches in code instead of RE2 (null: RE2 finds them): the first at or
    // after `from`, exactly where RE2's leftmost-first search would find it.
    bool (*nextCandidate)(std::string_view text, size_t from, TextSpan& found) = nullptr;
};

const std::vector<PiiSpec>& piiSpecs();
const PiiSpec& piiSpec(PiiEntity entity);
// By name ("email", "us_ssn"); null for an unknown one.
const PiiSpec* findPiiSpec(std::string_view name);

// Every valid entity of this kind in the text (for tests and ad-hoc use; the engine scans all
// kinds at once).
std::vector<TextSpan> findPii(PiiEntity entity, std::string_view text);

// The validators, exposed for their tests.
bool luhnValid(std::string_view digits);
bool cardValid(std::string_view candidate);
bool ibanValid(std::string_view candidate);
bool usSsnValid(std::string_view candidate);
bool ipValid(std::string_view candidate);
bool emailValid(std::string_view candidate);
bool phoneValid(std::string_view candidate);
bool jwtValid(std::string_view candidate);
// The email pattern's finder: where an @ is rare, a search for it beats the pattern in RE2's set,
// where the pattern made the set slower on every byte of every text (a local part can start at
// nearly any character).
bool nextEmailCandidate(std::string_view text, size_t from, TextSpan& found);

} // namespace winnow
