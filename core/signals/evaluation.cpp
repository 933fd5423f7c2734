#include "core/signals/evaluation.h"

#include "core/ingest/field_mapping.h"
#include "core/ingest/record_parser.h"

#include <simdjson.h>

#include <fstream>
#include <set>

namespace winnow {

double KindScore::precision() const
{
    const auto found = truePositives + falsePositives;
    return found ? static_cast<double>(truePositives) / static_cast<double>(found) : 1.0;
}

double KindScore::recall() const
{
    const auto expected = truePositives + falseNegatives;
    return expected ? static_cast<double>(truePositives) / static_cast<double>(expected) : 1.0;
}

Result<DetectorEvaluation> evaluateDetectors(const std::string& path, const DetectorSettings& settings)
{
    std::ifstream in(path);
    if (!in)
        return Error{"cannot read " + path, {}};
    SignalDetector detector(settings);
    if (!detector.error().empty())
        return Error{detector.error(), {}};
    RecordParser records{FieldMapping{}};
    simdjson::dom::parser json;
    DetectorEvaluation evaluation;
    std::string line;
    for (std::int64_t number = 1; std::getline(in, line); ++number) {
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        auto where = [&](const std::string& what) {
            return Error{path + ":" + std::to_string(number) + ": " + what, {}};
        };
        simdjson::dom::element record;
        if (json.parse(line).get(record))
            return where("not JSON");
        Interaction interaction;
        if (std::string reason = records.parse(record, line, interaction); !reason.empty())
            return where(reason);
        simdjson::dom::array expect;
        if (record["metadata"]["expect"].get_array().get(expect))
            return where("no metadata.expect list of signal kinds");
        std::set<SignalKind> expected;
        for (auto item : expect) {
            std::string_view name;
            SignalKind kind;
            if (item.get_string().get(name) || !parseSignalKind(name, kind))
                return where("metadata.expect holds an unknown signal kind");
            expected.insert(kind);
        }
        std::map<SignalKind, std::string> found;
        for (const Signal& signal : detector.detect(interaction))
            found.emplace(signal.kind, signal.reason);
        ++evaluation.records;
        for (int k = 0; k < signalKindCount; ++k) {
            const auto kind = static_cast<SignalKind>(k);
            const bool wanted = expected.count(kind) > 0;
            const auto detected = found.find(kind);
            if (!wanted && detected == found.end())
                continue;
            KindScore& score = evaluation.kinds[kind];
            if (wanted && detected != found.end()) {
                ++score.truePositives;
                continue;
            }
            (wanted ? score.falseNegatives : score.falsePositives)++;
            evaluation.disagreements.push_back({interaction.key, number, kind, wanted,
                                                detected == found.end() ? std::string() : detected->second});
        }
    }
    return evaluation;
}

} // namespace winnow
