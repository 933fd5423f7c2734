#pragma once
// Walking the matches of a pattern through a text, the one way the engine and the personal-data
// detectors do it.

#include "core/rules/pii.h"

#include <re2/re2.h>

#include <algorithm>
#include <string_view>

namespace winnow {

// Each match of `pattern` in `text`, left to right, as `found(span)` while it returns true; the
// next search starts where a match ended. An empty match finds nothing.
template <typename Found> void forEachMatch(const re2::RE2& pattern, std::string_view text, Found&& found)
{
    const re2::StringPiece input(text.data(), text.size());
    size_t at = 0;
    re2::StringPiece match;
    while (at <= text.size() && pattern.Match(input, at, text.size(), re2::RE2::UNANCHORED, &match, 1)) {
        const TextSpan span{size_t(match.data() - text.data()), size_t(match.data() - text.data()) + match.size()};
        at = std::max(span.end, span.begin + 1);
        if (span.end == span.begin)
            continue;
        if (!found(span))
            return;
    }
}

// Each candidate of an entity, as forEachMatch finds them: by the entity's finder in code where it
// has one, else by `pattern`, its candidate pattern compiled (unused, and may be null, with a finder).
template <typename Found>
void forEachCandidate(const PiiSpec& spec, const re2::RE2* pattern, std::string_view text, Found&& found)
{
    if (!spec.nextCandidate) {
        forEachMatch(*pattern, text, found);
        return;
    }
    TextSpan span;
    for (size_t at = 0; at <= text.size() && spec.nextCandidate(text, at, span);) {
        at = std::max(span.end, span.begin + 1);
        if (!found(span))
            return;
    }
}

} // namespace winnow
