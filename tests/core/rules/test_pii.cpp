#include "core/rules/pii.h"

#include <re2/re2.h>

#include <gtest/gtest.h>

#include <random>
#include <string>

using namespace winnow;

namespace {
// The texts found of one kind in a text.
std::vector<std::string> found(PiiEntity entity, const std::string& text)
{
    std::vector<std::string> texts;
    for (const TextSpan& span : findPii(entity, text))
        texts.push_back(text.substr(span.begin, span.end - span.begin));
    return texts;
}
using Texts = std::vector<std::string>;
} // namespace

// Test card numbers the networks publish (Stripe, PayPal, Adyen test sets), and their one-digit
// Luhn failures.
TEST(Pii, CardsPassLuhnAndAKnownIssuer)
{
    for (const char* valid :
         {"4111111111111111", "4012888888881881", "5555555555554444", "5105105105105100", "2223003122003222",
          "378282246310005", "371449635398431", "6011111111111117", "6011000990139424", "3530111333300000",
          "3566002020360505", "30569309025904", "38520000023237", "6200000000000005", "4222222222222"})
        EXPECT_TRUE(cardValid(valid)) << valid;
    for (const char* invalid : {"4111111111111112", "5555555555554445", "378282246310006", "6011111111111118",
                                "1234567812345678", "0000000000000000", "4111111111111",
                                "41111111111111111111", "9111111111111111" /* passes Luhn? no issuer */})
        EXPECT_FALSE(cardValid(invalid)) << invalid;
    EXPECT_TRUE(cardValid("4111 1111 1111 1111"));
    EXPECT_TRUE(cardValid("4111-1111-1111-1111"));
    EXPECT_FALSE(cardValid("4111 1111-1111 1111")) << "mixed separators";
    EXPECT_EQ(found(PiiEntity::Card, "paid with 4111 1111 1111 1111, thanks"), Texts{"4111 1111 1111 1111"});
    EXPECT_TRUE(found(PiiEntity::Card, "order ORD-4111111111111111 shipped").empty()) << "part of an id";
    EXPECT_TRUE(found(PiiEntity::Card, "tracking 1Z999AA10123456784").empty());
    EXPECT_TRUE(found(PiiEntity::Card, "IBAN DE89 3704 0044 0532 0130 01").empty())
        << "an IBAN's digits (this one broken) pass Luhn and start like Amex: found by the corpus";
}

// IBAN examples of the registry (one per country) and the same with a digit changed.
TEST(Pii, IbansPassMod97AndTheirCountrysLength)
{
    for (const char* valid : {"DE89370400440532013000",
                              "GB82WEST12345698765432",
                              "FR1420041010050500013M02606",
                              "NL91ABNA0417164300",
                              "BE68539007547034",
                              "CH9300762011623852957",
                              "ES9121000418450200051332",
                              "IT60X0542811101000000123456",
                              "NO9386011117947",
                              "PL61109010140000071219812874",
                              "SE4550000000058398257466",
                              "AT611904300234573201",
                              "MT84MALT011000012345MTLCAST001S",
                              "LC55HEMM000100010012001200023015",
                              "SA0380000000608010167519",
                              "BR1800360305000010009795493C1",
                              "UA213223130000026007233566001",
                              "RU0204452560040702810412345678901",
                              "GB82 WEST 1234 5698 7654 32",
                              "DE89 3704 0044 0532 0130 00"})
        EXPECT_TRUE(ibanValid(valid)) << valid;
    for (const char* invalid :
         {"DE89370400440532013001", "GB82WEST12345698765431", "DE8937040044053201300",
          "XX89370400440532013000", "NO938601111794", "de89370400440532013000", "FR1420041010050500013M0260"})
        EXPECT_FALSE(ibanValid(invalid)) << invalid;
    EXPECT_EQ(found(PiiEntity::Iban, "pay to DE89 3704 0044 0532 0130 00 AND NOT LATER"),
              Texts{"DE89 3704 0044 0532 0130 00"})
        << "the country's length says where it ends";
    EXPECT_EQ(found(PiiEntity::Iban, "IBAN: GB82WEST12345698765432."), Texts{"GB82WEST12345698765432"});
}

// The ranges the SSA never issues, one delimiter used twice, and numbers in advertising.
TEST(Pii, UsSocialSecurityNumbersOutsideTheNeverIssuedRanges)
{
    for (const char* valid : {"536-22-1234", "001-01-0001", "899-99-9999", "123-45-6780", "536 22 1234"})
        EXPECT_TRUE(usSsnValid(valid)) << valid;
    for (const char* invalid :
         {"000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "536-00-1234", "536-22-0000",
          "111-11-1111", "536-22 1234", "536 22-1234", "078-05-1120", "123-45-6789", "536221234"})
        EXPECT_FALSE(usSsnValid(invalid)) << invalid;
    EXPECT_EQ(found(PiiEntity::UsSsn, "SSN: 536-22-1234."), Texts{"536-22-1234"});
    EXPECT_TRUE(found(PiiEntity::UsSsn, "ref 536-22-1234-99").empty()) << "part of a longer reference";
}

TEST(Pii, IpAddressesParse)
{
    for (const char* valid : {"203.0.113.7", "10.0.0.1", "255.255.255.255", "0.0.0.0", "2001:db8::1", "::1",
                              "fe80::1ff:fe23:4567:890a", "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
                              "::ffff:192.0.2.128", "2001:DB8:0:0:8:800:200C:417A"})
        EXPECT_TRUE(ipValid(valid)) << valid;
    for (const char* invalid : {"256.1.1.1", "1.2.3", "01.2.3.4", "1.2.3.4.5", "2001:db8:::1", "12:30:45",
                                "2001:db8::g", "::", "1:2:3:4:5:6:7:8:9"})
        EXPECT_FALSE(ipValid(invalid)) << invalid;
    EXPECT_EQ(found(PiiEntity::Ip, "from 203.0.113.7 and 2001:db8::1, at 12:30:45"),
              (Texts{"203.0.113.7", "2001:db8::1"}));
    EXPECT_TRUE(found(PiiEntity::Ip, "release v10.0.0.1 and 1.2.3.4.5").empty()) << "versions";
    EXPECT_TRUE(found(PiiEntity::Ip, "Version 1.2.3.4 fixes the crash").empty()) << "found by the corpus";
}

TEST(Pii, EmailsIncludingInternationalisedDomains)
{
    for (const char* valid : {"jane.doe@example.com", "a+tag@sub.example.co.uk", "josé@exämple.de",
                              "user@例子.广告", "o'brien@example.ie" /* local part stops at the quote */})
        EXPECT_FALSE(found(PiiEntity::Email, std::string("mail ") + valid + " now").empty()) << valid;
    for (const char* invalid : {"@example", "jane@localhost", "jane..doe@example.com", ".jane@example.com",
                                "jane@-example.com", "jane@example.c0m"})
        EXPECT_TRUE(found(PiiEntity::Email, std::string("mail ") + invalid + " now").empty()) << invalid;
    EXPECT_EQ(found(PiiEntity::Email, "write to <jane.doe@example.com>."), Texts{"jane.doe@example.com"});
    EXPECT_EQ(found(PiiEntity::Email, "«jane@example.com»"), Texts{"jane@example.com"});
    EXPECT_EQ(found(PiiEntity::Email, "jane@example.com—thanks"), Texts{"jane@example.com"});
    EXPECT_EQ(found(PiiEntity::Email, "mail josé@exämple.de."), Texts{"josé@exämple.de"});
    EXPECT_EQ(found(PiiEntity::Email, "jane@example.com😀 hi"), Texts{"jane@example.com"}) << "an emoji";
    // Byte sequences RE2 takes as characters but UTF-8 does not have (overlong, past U+10FFFF, a
    // surrogate) end the address like punctuation, and its span stays on the text's own bytes
    // (found by the fuzzer: read through a QString, they came back longer and moved it).
    EXPECT_EQ(found(PiiEntity::Email, "mail \xE0\x81\x81jane@example.com now"), Texts{"jane@example.com"});
    EXPECT_EQ(found(PiiEntity::Email, "\xF4\x90\x80\x80\xF4\x90\x80\x80x@example.org\xED\xA0\x80 now"),
              Texts{"x@example.org"});
}

TEST(Pii, PhonesInInternationalOrNorthAmericanForm)
{
    EXPECT_EQ(found(PiiEntity::Phone, "My number is +1 415-555-8163."), Texts{"+1 415-555-8163"});
    EXPECT_EQ(found(PiiEntity::Phone, "call (415) 555-8163 today"), Texts{"(415) 555-8163"});
    EXPECT_EQ(found(PiiEntity::Phone, "(mail or +1 415-555-8163)"), Texts{"+1 415-555-8163"});
    EXPECT_EQ(found(PiiEntity::Phone, "call +44 20 7946 0958"), Texts{"+44 20 7946 0958"});
    EXPECT_EQ(found(PiiEntity::Phone, "or 415.555.8163"), Texts{"415.555.8163"});
    for (const char* negative : {"on 2026-11-30", "order 123-456-7890", "id 555-123-4567", "v1.2.3",
                                 "ticket INC-415-555-8163", "+1 2", "2026-11-30-0042", "3.14159", "12:30:45"})
        EXPECT_TRUE(found(PiiEntity::Phone, negative).empty()) << negative;
}

TEST(Pii, UrlsWithoutTheSentencesPunctuation)
{
    EXPECT_EQ(found(PiiEntity::Url, "see https://example.com/a?b=1."), Texts{"https://example.com/a?b=1"});
    EXPECT_EQ(found(PiiEntity::Url, "(see https://en.wikipedia.org/wiki/Foo_(bar))"),
              Texts{"https://en.wikipedia.org/wiki/Foo_(bar)"});
    EXPECT_EQ(found(PiiEntity::Url, "at www.example.org, or"), Texts{"www.example.org"});
    EXPECT_TRUE(found(PiiEntity::Url, "http://localhost is not public").empty());
}

TEST(Pii, SecretsByTheirKnownShapes)
{
    EXPECT_EQ(found(PiiEntity::AwsAccessKey, "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"),
              Texts{"AKIAIOSFODNN7EXAMPLE"});
    EXPECT_TRUE(found(PiiEntity::AwsAccessKey, "AKIAIOSFODNN7EXAMPLEX").empty());
    EXPECT_EQ(found(PiiEntity::GithubToken, "token: ghp_16C7e42F292c6912E7710c838347Ae178B4a").size(), 1u);
    EXPECT_EQ(
        found(PiiEntity::GithubToken,
              "github_pat_11ABCDEFG0abcdefghijkl_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234")
            .size(),
        1u);
    EXPECT_EQ(found(PiiEntity::SlackToken, "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx").size(),
              1u);
    const std::string jwt =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
        "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    EXPECT_EQ(found(PiiEntity::Jwt, "Authorization: Bearer " + jwt), Texts{jwt});
    EXPECT_FALSE(jwtValid("eyJub3QiOiJhIHRva2VuIn0.eyJhIjoxfQ.notatokenatall")) << "a header without alg";
    const std::string key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
                            "-----END OPENSSH PRIVATE KEY-----";
    EXPECT_EQ(found(PiiEntity::PrivateKey, "here:\n" + key + "\nbye"), Texts{key});
    EXPECT_TRUE(found(PiiEntity::PrivateKey, "-----BEGIN PUBLIC KEY-----").empty());
}

// Every entity finds its own example and not its non-example (what version 1's rules embed).
TEST(Pii, EachSpecFindsItsExample)
{
    for (const PiiSpec& spec : piiSpecs()) {
        EXPECT_FALSE(findPii(spec.entity, spec.example).empty()) << spec.name;
        EXPECT_TRUE(findPii(spec.entity, spec.nonExample).empty()) << spec.name;
        EXPECT_EQ(findPiiSpec(spec.name), &spec);
    }
}

// An entity whose candidates are found by code finds exactly what its pattern finds in RE2, from
// any starting point: on random texts of the characters that matter to the pattern, malformed
// UTF-8 and the forms RE2's loose \x{80}-\x{10FFFF} takes (overlong, past U+10FFFF) among them.
TEST(Pii, CandidatesFoundByCodeAreThePatternsMatches)
{
    const std::vector<std::string> pieces = {"a",
                                             "Z",
                                             "q",
                                             "0",
                                             "7",
                                             "-",
                                             ".",
                                             ".",
                                             "@",
                                             "@",
                                             "_",
                                             "%",
                                             "+",
                                             " ",
                                             "\n",
                                             "!",
                                             "'",
                                             "com",
                                             "de",
                                             "\xC3\xA9" /* é */,
                                             "\xE4\xBE\x8B" /* 例 */,
                                             "\xF0\x9F\x98\x80" /* 😀 */,
                                             "\xE2\x80\x94" /* — */,
                                             "\xE0\x80\x80" /* overlong */,
                                             "\xF4\x90\x80\x80" /* past U+10FFFF */,
                                             "\x80",
                                             "\xC3",
                                             "\xFF",
                                             "\xE4\xBE",
                                             "x@y.",
                                             "jane@example.com",
                                             std::string(70, 'k')};
    std::mt19937 random(20261201);
    int specsWithCode = 0;
    for (const PiiSpec& spec : piiSpecs()) {
        if (!spec.nextCandidate)
            continue;
        ++specsWithCode;
        re2::RE2::Options options;
        options.set_log_errors(false);
        const re2::RE2 pattern(spec.pattern, options);
        ASSERT_TRUE(pattern.ok()) << spec.name;
        int withCandidates = 0;
        for (int round = 0; round < 20000; ++round) {
            std::string text;
            const int length = int(random() % 24);
            for (int i = 0; i < length; ++i)
                text += pieces[random() % pieces.size()];
            const size_t from = random() % 4 == 0 ? random() % (text.size() + 1) : 0;
            std::vector<std::pair<size_t, size_t>> byRe2, byCode;
            const re2::StringPiece input(text.data(), text.size());
            re2::StringPiece match;
            for (size_t at = from; at <= text.size() &&
                                   pattern.Match(input, at, text.size(), re2::RE2::UNANCHORED, &match, 1);) {
                byRe2.emplace_back(match.data() - text.data(), match.data() - text.data() + match.size());
                at = std::max(byRe2.back().second, byRe2.back().first + 1);
            }
            TextSpan span;
            for (size_t at = from; at <= text.size() && spec.nextCandidate(text, at, span);) {
                byCode.emplace_back(span.begin, span.end);
                at = std::max(span.end, span.begin + 1);
            }
            withCandidates += !byRe2.empty();
            ASSERT_EQ(byCode, byRe2) << spec.name << " in \"" << text << "\" from " << from;
        }
        EXPECT_GT(withCandidates, 2000) << spec.name << ": the texts rarely hold a candidate";
    }
    EXPECT_GE(specsWithCode, 1);
}

// The email finder reads each byte a bounded number of times: texts of 100,000 characters made of
// what it looks back and forward over (local parts, @s, dotted labels) finish at once, with the
// candidates RE2 would give.
TEST(Pii, TheEmailFinderStaysLinearOnLongTexts)
{
    auto candidates = [](const std::string& text) {
        size_t count = 0;
        TextSpan span;
        for (size_t at = 0; nextEmailCandidate(text, at, span); at = span.end)
            ++count;
        return count;
    };
    std::string ats, labels = "x@", glued;
    while (ats.size() < 100'000)
        ats += "a@a.";
    while (labels.size() < 100'000)
        labels += "1.";
    labels += "com";
    while (glued.size() < 100'000)
        glued += "ab.cd@ef.gh";
    EXPECT_EQ(candidates(ats), 0u) << "no label is followed by two letters";
    EXPECT_EQ(candidates(std::string(100'000, 'a') + "@example.org"), 1u);
    EXPECT_EQ(candidates(labels), 1u) << "one address, its domain 50,000 labels long";
    // Each address's domain runs on into the next one's local part ("ef.ghab.cd"), which leaves
    // that next @ without one: every other @ starts an address.
    EXPECT_EQ(candidates(glued), (glued.size() / 11 + 1) / 2);
}
