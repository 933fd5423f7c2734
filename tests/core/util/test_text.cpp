#include "core/util/text.h"

#include <gtest/gtest.h>

using namespace winnow;

TEST(Text, ParsesIsoTimestampsWithZonesAndFractions)
{
    std::int64_t ms = 0;
    ASSERT_TRUE(parseIsoTimestamp("1970-01-01T00:00:00Z", ms));
    EXPECT_EQ(ms, 0);
    ASSERT_TRUE(parseIsoTimestamp("2026-03-01T10:00:00.123Z", ms));
    EXPECT_EQ(ms, 1772359200123);
    ASSERT_TRUE(parseIsoTimestamp("2026-03-01T11:00:00.123+01:00", ms));
    EXPECT_EQ(ms, 1772359200123);
    ASSERT_TRUE(parseIsoTimestamp("2026-03-01 10:00:00.123456", ms));
    EXPECT_EQ(ms, 1772359200123);
    ASSERT_TRUE(parseIsoTimestamp("2026-03-01", ms));
    EXPECT_EQ(ms, 1772323200000);
    EXPECT_FALSE(parseIsoTimestamp("yesterday", ms));
    EXPECT_FALSE(parseIsoTimestamp("2026-13-01T00:00:00Z", ms));
    EXPECT_FALSE(parseIsoTimestamp("2026-03-01T10:00:00Zjunk", ms));
}

TEST(Text, FormatsWhatItParses)
{
    std::int64_t ms = 0;
    ASSERT_TRUE(parseIsoTimestamp(formatIsoTimestamp(1772359200123), ms));
    EXPECT_EQ(ms, 1772359200123);
    EXPECT_EQ(formatIsoTimestamp(0), "1970-01-01T00:00:00.000Z");
}

TEST(Text, EpochNumbersByMagnitude)
{
    EXPECT_EQ(epochNumberToMs(1761984000), 1761984000000);            // seconds
    EXPECT_EQ(epochNumberToMs(1761984000.5), 1761984000500);          // fractional seconds
    EXPECT_EQ(epochNumberToMs(1761984000123), 1761984000123);         // milliseconds
    EXPECT_EQ(epochNumberToMs(1761984000123456.0), 1761984000123);    // microseconds
    EXPECT_EQ(epochNumberToMs(1761984000123456789.0), 1761984000123); // nanoseconds
}

TEST(Text, ExcerptsAreValidUtf8AndShowBadBytes)
{
    const std::string raw = std::string("ok \xff\xfe caf\xc3\xa9 \x01", 13);
    const std::string excerpt = excerptOf(raw);
    EXPECT_TRUE(isValidUtf8(excerpt));
    EXPECT_EQ(excerpt, "ok \\xff\\xfe café \\x01");
    EXPECT_FALSE(isValidUtf8(raw));
    EXPECT_EQ(excerptOf(std::string(1000, 'a'), 10), std::string(10, 'a') + "…");
}

TEST(Text, JsonStringsEscapeControlCharacters)
{
    EXPECT_EQ(jsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(Text, ContentKeysAreStableAndDistinct)
{
    EXPECT_EQ(contentKey("abc"), contentKey("abc"));
    EXPECT_NE(contentKey("abc"), contentKey("abd"));
    EXPECT_EQ(contentKey("abc").size(), 34u);
}
