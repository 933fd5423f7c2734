// The rules engine's speed goal (issue #11), as one timed run on one core:
//   winnow_bench_rules DEMO.jsonl [LIMIT]
// 25 rules (version 1's personal-data, secret and pattern rules, a 1,000-term keyword list and more
// patterns) over the texts of the file's interactions (what ingest scans: user, assistant, tool
// arguments and results), against a baseline that runs each rule's regular expression separately
// with QRegularExpression over the same texts. Prints MB/s of each and the ratio; copy them into
// bench/RESULTS.md. Parsing the file is not timed, nor the second scan that counts the hits by rule
// (a profile of RuleEngine::scan sees both).

#include "core/ingest/field_mapping.h"
#include "core/ingest/record_parser.h"
#include "core/rules/backtest.h"
#include "core/rules/engine.h"

#include <QRegularExpression>

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace winnow;

namespace {

std::vector<Rule> benchRules()
{
    std::vector<Rule> rules = defaultRulePack().rules; // 16: 12 personal data and secrets, 4 more
    Rule terms;
    terms.id = "terms.thousand";
    terms.title = "A thousand terms";
    terms.detector.kind = DetectorKind::Keywords;
    // Words of the kind a blocklist holds: product names, competitors, slurs' stand-ins.
    for (int i = 0; i < 1000; ++i)
        terms.detector.terms.push_back("blockterm" + std::to_string(i * 7919 % 100000));
    terms.detector.terms.push_back("refund");
    rules.push_back(terms);
    const char* patterns[] = {
        R"(\b(kill|hurt|harm) (yourself|myself|someone)\b)",
        R"(\b(password|passwd|pwd)\s*[:=]\s*\S+)",
        R"(\bssn\b|social security number)",
        R"(\bI (cannot|can't|am unable to) (help|assist) with\b)",
        R"(\b(lawsuit|attorney|lawyer|sue you)\b)",
        R"(\b\d{5}(-\d{4})?\b)",
        R"((?:as an ai|as a language model))",
        R"(\b(unsubscribe|cancel my (account|subscription))\b)",
    };
    int n = 0;
    for (const char* pattern : patterns) {
        Rule r;
        r.id = "bench.pattern_" + std::to_string(++n);
        r.title = r.id;
        r.detector.pattern = pattern;
        rules.push_back(r);
    }
    return rules; // 25
}

// Each rule's regular expression as the baseline runs it (a PII rule's candidate pattern).
std::vector<QRegularExpression> baselineOf(const std::vector<Rule>& rules)
{
    std::vector<QRegularExpression> list;
    for (const Rule& rule : rules) {
        QString pattern;
        QRegularExpression::PatternOptions options = QRegularExpression::UseUnicodePropertiesOption;
        switch (rule.detector.kind) {
        case DetectorKind::Pattern:
            pattern = QString::fromStdString(rule.detector.pattern);
            options |= QRegularExpression::CaseInsensitiveOption;
            break;
        case DetectorKind::Keywords: {
            QStringList terms;
            for (const std::string& term : rule.detector.terms)
                terms << QRegularExpression::escape(QString::fromStdString(term));
            pattern = QStringLiteral("\\b(?:") + terms.join(QLatin1Char('|')) + QStringLiteral(")\\b");
            options |= QRegularExpression::CaseInsensitiveOption;
            break;
        }
        case DetectorKind::Pii:
            pattern = QString::fromLatin1(piiSpec(rule.detector.entity).pattern);
            pattern.replace(QStringLiteral("\\x{10FFFF}"), QStringLiteral("\\x{FFFF}"));
            break;
        default:
            continue; // thresholds read figures, not text
        }
        QRegularExpression re(pattern, options);
        re.optimize();
        if (!re.isValid())
            std::fprintf(stderr, "baseline: %s does not compile: %s\n", rule.id.c_str(),
                         re.errorString().toUtf8().constData());
        list.push_back(re);
    }
    return list;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: winnow_bench_rules DEMO.jsonl [LIMIT]\n");
        return 2;
    }
    const long long limit = argc > 2 ? std::atoll(argv[2]) : -1;
    const std::vector<Rule> rules = benchRules();
    auto engine = RuleEngine::compile(rules, 1);
    if (!engine) {
        std::fprintf(stderr, "%s\n", engine.error().message.c_str());
        return 1;
    }
    const std::vector<QRegularExpression> baseline = baselineOf(rules);

    // The engine gets the interactions as a backtest reads them from the store (backtestChunk at
    // a time) unless WINNOW_BENCH_CHUNK says otherwise: 10,000, as the first runs did, leaves
    // them out of the cache by the time they are scanned, which neither ingest (each interaction
    // scanned as it is parsed) nor a backtest does.
    const char* chunkSetting = std::getenv("WINNOW_BENCH_CHUNK");
    const size_t chunkSize =
        chunkSetting ? size_t(std::max(1, std::atoi(chunkSetting))) : size_t(backtestChunk);
    std::ifstream in(argv[1]);
    simdjson::dom::parser json;
    RecordParser parser(FieldMapping{});
    std::vector<Interaction> chunk;
    double engineSeconds = 0, baselineSeconds = 0;
    long long interactions = 0, bytes = 0, hits = 0, baselineHits = 0;
    std::map<std::string, long long> hitsByRule;
    auto run = [&] {
        // The engine: the whole interaction, as ingest runs it.
        auto t0 = std::chrono::steady_clock::now();
        for (const Interaction& i : chunk)
            hits += static_cast<long long>((*engine)->scan(i).size());
        auto t1 = std::chrono::steady_clock::now();
        engineSeconds += std::chrono::duration<double>(t1 - t0).count();
        for (const Interaction& i : chunk) // untimed: which rules the hits come from
            for (const RuleHit& hit : (*engine)->scan(i))
                ++hitsByRule[hit.ruleId];
        // The baseline: each regular expression over each of the same texts.
        if (std::getenv("WINNOW_BENCH_ENGINE_ONLY")) {
            chunk.clear();
            return;
        }
        std::vector<QString> texts;
        for (const Interaction& i : chunk) {
            for (const Message& m : i.messages)
                if (m.role != "system")
                    texts.push_back(QString::fromStdString(m.content));
            for (const ToolCall& c : i.toolCalls) {
                texts.push_back(QString::fromStdString(c.arguments));
                if (c.resultMessageIndex < 0)
                    texts.push_back(QString::fromStdString(c.result));
            }
        }
        t0 = std::chrono::steady_clock::now();
        for (const QString& text : texts)
            for (const QRegularExpression& re : baseline) {
                auto matches = re.globalMatch(text);
                while (matches.hasNext()) {
                    matches.next();
                    ++baselineHits;
                }
            }
        t1 = std::chrono::steady_clock::now();
        baselineSeconds += std::chrono::duration<double>(t1 - t0).count();
        chunk.clear();
    };
    std::string line;
    while ((limit < 0 || interactions < limit) && std::getline(in, line)) {
        simdjson::dom::element record;
        if (json.parse(line).get(record))
            continue;
        Interaction interaction;
        if (!parser.parse(record, line, interaction).empty())
            continue;
        for (const Message& m : interaction.messages)
            if (m.role != "system")
                bytes += static_cast<long long>(m.content.size());
        for (const ToolCall& c : interaction.toolCalls)
            bytes +=
                static_cast<long long>(c.arguments.size() + (c.resultMessageIndex < 0 ? c.result.size() : 0));
        chunk.push_back(std::move(interaction));
        ++interactions;
        if (chunk.size() == chunkSize)
            run();
    }
    run();
    const double mb = double(bytes) / 1e6;
    std::printf("rules                 %zu (%zu regular expressions in the baseline)\n", rules.size(),
                baseline.size());
    std::printf("interactions          %lld (scanned %zu at a time)\n", interactions, chunkSize);
    std::printf("text                  %.1f MB\n", mb);
    std::printf("engine                %.2f s  %.1f MB/s  %lld hits\n", engineSeconds, mb / engineSeconds,
                hits);
    std::printf("QRegularExpression    %.2f s  %.1f MB/s  %lld matches (candidates, no validation)\n",
                baselineSeconds, mb / baselineSeconds, baselineHits);
    std::printf("ratio                 %.1fx\n", baselineSeconds / engineSeconds);
    for (const auto& [rule, count] : hitsByRule)
        std::printf("  %-22s %lld hits\n", rule.c_str(), count);
    return 0;
}
