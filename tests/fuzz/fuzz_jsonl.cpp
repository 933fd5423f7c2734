// One line of Winnow JSONL, or of any JSON record with a field mapping (the first line of the
// input, as a profile saves it: {"TARGET":"SOURCE",...}), through what ingest does with it:
// parse, detect signals, run the default rules.

#include "core/ingest/field_mapping.h"
#include "core/ingest/record_parser.h"
#include "core/ingest/validation.h"
#include "core/rules/engine.h"
#include "core/rules/rule.h"
#include "core/signals/detectors.h"

#include <simdjson.h>

#include <cstdint>
#include <string>

using namespace winnow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size)
{
    static const auto rules = RuleEngine::compile(defaultRulePack().rules, 1);
    static SignalDetector detector{DetectorSettings{}};
    std::string_view input(reinterpret_cast<const char*>(data), size);
    FieldMapping mapping;
    if (!input.empty() && input.front() == '{') {
        const size_t newline = input.find('\n');
        if (newline != std::string_view::npos) {
            std::string error;
            if (auto parsed = FieldMapping::fromJson(std::string(input.substr(0, newline)), error))
                mapping = *parsed;
            input.remove_prefix(newline + 1);
        }
    }
    simdjson::dom::parser json;
    simdjson::dom::element record;
    if (json.parse(input.data(), input.size()).get(record))
        return 0;
    RecordParser parser(mapping);
    Interaction interaction;
    if (!parser.parse(record, input, interaction).empty())
        return 0;
    if (!implausibleValues(interaction).empty())
        return 0;
    interaction.signals = detector.detect(interaction);
    if (rules)
        interaction.ruleHits = (*rules)->scan(interaction);
    return 0;
}
