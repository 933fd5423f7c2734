#pragma once
// Writes an Interaction in Winnow's canonical JSONL shape (one object, no newline), the inverse
// of RecordParser with the empty mapping. Used by the demo generator and "copy as JSON".

#include "core/store/records.h"

#include <string>

namespace winnow {

std::string canonicalJson(const Interaction& interaction);

} // namespace winnow
