#pragma once
// Values no real log holds: a start time in the year 10000, a negative token count, a latency of
// centuries. One such record stored would skew every figure (and a start time at the edge of the
// integer range once broke every query), so it is quarantined with its reason instead.

#include "core/store/records.h"

#include <cstdint>
#include <string>

namespace winnow {

// Times run from 1970-01-01 to 9999-12-31 (UTC).
constexpr std::int64_t earliestTimeMs = 0;
constexpr std::int64_t latestTimeMs = 253'402'300'799'999;

// Why the interaction's values cannot be stored, or empty.
std::string implausibleValues(const Interaction& interaction);

} // namespace winnow
