// The personal-data and secret detectors on any bytes: every entity's candidates and validators
// run without a fault, a validator only ever narrows a candidate, and a candidate found by code
// (PiiSpec::nextCandidate) is exactly the match RE2 finds with the entity's pattern, from any
// starting point.

#include "core/rules/pii.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

using namespace winnow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    // The first byte picks where the search starts; the rest is the text.
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    const size_t from = data[0] % (text.size() + 1);
    static const auto patterns = [] {
        std::vector<std::unique_ptr<re2::RE2>> compiled;
        re2::RE2::Options options;
        options.set_log_errors(false);
        for (const PiiSpec& spec : piiSpecs())
            compiled.push_back(std::make_unique<re2::RE2>(spec.pattern, options));
        return compiled;
    }();
    for (const PiiSpec& spec : piiSpecs()) {
        const re2::RE2& pattern = *patterns[size_t(spec.entity)];
        const re2::StringPiece input(text.data(), text.size());
        re2::StringPiece match;
        TextSpan span;
        for (size_t at = from;;) {
            const bool byRe2 =
                at <= text.size() && pattern.Match(input, at, text.size(), re2::RE2::UNANCHORED, &match, 1);
            if (spec.nextCandidate) {
                const bool byCode = at <= text.size() && spec.nextCandidate(text, at, span);
                if (byRe2 != byCode || (byRe2 && (span.begin != size_t(match.data() - text.data()) ||
                                                  span.end != span.begin + match.size())))
                    std::abort(); // the finder and its pattern disagree
            }
            if (!byRe2)
                break;
            span = {size_t(match.data() - text.data()), size_t(match.data() - text.data()) + match.size()};
            at = std::max(span.end, span.begin + 1);
            TextSpan accepted = span;
            if (spec.accept(text, accepted) && (accepted.begin < span.begin || accepted.end > span.end)) {
                std::fprintf(stderr, "%s widened [%zu, %zu) to [%zu, %zu)\n", spec.name, span.begin, span.end,
                             accepted.begin, accepted.end);
                std::abort(); // a validator may narrow a candidate, never widen it
            }
        }
    }
    return 0;
}
