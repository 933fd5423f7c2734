#pragma once
// How well the detectors do on labelled conversations: a JSONL file of Winnow records whose
// metadata lists the signal kinds a reader expects ({"metadata": {"expect": ["escalation"]}}),
// each record compared with what the detectors find in it. Precision and recall per kind, and
// every disagreement with its record id, so a pattern change can be judged before it is saved.

#include "core/signals/detectors.h"
#include "core/util/result.h"

#include <map>
#include <string>
#include <vector>

namespace winnow {

struct KindScore
{
    std::int64_t truePositives = 0, falsePositives = 0, falseNegatives = 0;
    double precision() const;
    double recall() const;
};

struct Disagreement
{
    std::string id;
    std::int64_t line = 0;
    SignalKind kind = SignalKind::Escalation;
    bool missed = false; // expected, not found; otherwise found, not expected
    std::string reason;  // the detector's reason when it found one
};

struct DetectorEvaluation
{
    std::int64_t records = 0;
    std::map<SignalKind, KindScore> kinds; // the kinds expected or found somewhere in the file
    std::vector<Disagreement> disagreements;
};

// An Error names the first line that is not a labelled record.
Result<DetectorEvaluation> evaluateDetectors(const std::string& path, const DetectorSettings& settings);

} // namespace winnow
