#pragma once
// A deterministic generator of realistic production agent logs, for demos, tests and benchmarks.
// The same options give the same bytes. Each interaction carries the generator's own truth in
// metadata.demo.truth (e.g. ["escalation","correction"]) so detectors can be scored against it.

#include "core/store/records.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

struct DemoOptions
{
    std::int64_t interactions = 1000;
    std::uint64_t seed = 1;
    // Interactions are spread over the `days` before `endMs` (default: 2026-11-20T00:00Z, fixed so
    // that the output depends on the options alone).
    std::int64_t endMs = 1'795'132'800'000;
    int days = 30;
    // Where in the time range (0-1) a later release of the regressed agent fixes the regression
    // (version 3.3.0 of support-bot); none: the regression stays.
    std::optional<double> fixAt;
};

class DemoGenerator
{
public:
    explicit DemoGenerator(const DemoOptions& options);
    ~DemoGenerator();
    // The next interaction; false once `interactions` have been made.
    bool next(Interaction& out);
    std::int64_t made() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

enum class DemoFormat { Jsonl, Otlp };

// Writes the generated logs to `path` ("-" for standard output). Returns an error, or empty.
std::string writeDemo(const DemoOptions& options, DemoFormat format, const std::string& path,
                      const std::function<void(std::int64_t made)>& progress = {},
                      const std::atomic<bool>* cancel = nullptr);

// One ExportTraceServiceRequest (OTLP/JSON, GenAI semantic conventions) holding the traces of
// `interactions`: an invoke_agent root, a chat span per model call, an execute_tool span per call.
std::string otlpRequestJson(const std::vector<Interaction>& interactions);

} // namespace winnow
