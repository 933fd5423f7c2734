// Precision and recall of the personal-data and secret detectors on a labelled corpus of 511
// sentences (tests/data/pii_corpus.jsonl, made by tools/make-pii-corpus.py): public test values,
// checksum-valid values and the look-alikes real logs are full of. A hit counts when its rule's
// entity and its span (code points) are exactly a marked one. The figures are in bench/RESULTS.md.

#include "core/rules/engine.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <tuple>

using namespace winnow;

TEST(PiiCorpus, PrecisionAndRecallPerEntity)
{
    QFile file(QStringLiteral(WINNOW_TEST_DATA "/pii_corpus.jsonl"));
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    std::vector<Rule> rules;
    for (const Rule& rule : defaultRulePack().rules)
        if (rule.detector.kind == DetectorKind::Pii)
            rules.push_back(rule);
    auto engine = RuleEngine::compile(rules, 1);
    ASSERT_TRUE(engine);
    struct Counts
    {
        int truePositives = 0, falsePositives = 0, falseNegatives = 0;
    };
    std::map<std::string, Counts> counts;
    std::vector<std::string> misses, wrong;
    int sentences = 0;
    while (!file.atEnd()) {
        const QJsonObject line = QJsonDocument::fromJson(file.readLine()).object();
        if (line.isEmpty())
            continue;
        ++sentences;
        const std::string text = line.value(QStringLiteral("text")).toString().toStdString();
        std::set<std::tuple<std::string, std::int64_t, std::int64_t>> marked, found;
        for (const QJsonValue& span : line.value(QStringLiteral("spans")).toArray()) {
            const QJsonObject s = span.toObject();
            marked.insert({s.value(QStringLiteral("entity")).toString().toStdString(),
                           s.value(QStringLiteral("start")).toInt(), s.value(QStringLiteral("end")).toInt()});
        }
        for (const TextHit& hit : (*engine)->scanText(text))
            found.insert({piiSpec((*engine)->rules()[hit.rule].detector.entity).name, hit.start, hit.end});
        for (const auto& f : found) {
            if (marked.count(f))
                ++counts[std::get<0>(f)].truePositives;
            else {
                ++counts[std::get<0>(f)].falsePositives;
                wrong.push_back(std::get<0>(f) + " in: " + text);
            }
        }
        for (const auto& m : marked)
            if (!found.count(m)) {
                ++counts[std::get<0>(m)].falseNegatives;
                misses.push_back(std::get<0>(m) + " in: " + text);
            }
    }
    EXPECT_GE(sentences, 500);
    std::printf("entity          marked  found  precision  recall\n");
    for (const PiiSpec& spec : piiSpecs()) {
        const Counts& c = counts[spec.name];
        const int markedCount = c.truePositives + c.falseNegatives;
        const int foundCount = c.truePositives + c.falsePositives;
        const double precision = foundCount ? double(c.truePositives) / foundCount : 1.0;
        const double recall = markedCount ? double(c.truePositives) / markedCount : 1.0;
        std::printf("%-15s %6d %6d %10.3f %7.3f\n", spec.name, markedCount, foundCount, precision, recall);
        EXPECT_GE(precision, 0.95) << spec.name;
        EXPECT_GE(recall, 0.85) << spec.name;
    }
    for (const std::string& m : misses)
        std::printf("missed: %s\n", m.c_str());
    for (const std::string& w : wrong)
        std::printf("wrong: %s\n", w.c_str());
}
