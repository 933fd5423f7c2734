#pragma once
// A MetricsFilter as SQL over `interactions i`: conditions are fixed text per field, values are
// always bound parameters. core/store only.

#include "core/store/filter.h"
#include "core/store/sqlite.h"

#include <optional>
#include <string>

namespace winnow {

// " WHERE 1 AND ..." (always a WHERE, so callers append " AND ...").
std::string whereClause(const MetricsFilter& filter);
// Binds the filter's values from parameter `first` on; returns the next free parameter.
int bindFilter(sql::Statement& statement, const MetricsFilter& filter, int first = 1);

// What a breakdown groups by, as SQL over `interactions i`: the value of each row ("NULL" without
// a grouping), and the join it needs (a metadata key's value comes from a joined row). Its
// parameters come first in the statement, bound by bindGrouping.
struct GroupingSql
{
    std::string value;
    std::string join;
};
GroupingSql groupingSql(const std::optional<Grouping>& grouping);
int bindGrouping(sql::Statement& statement, const std::optional<Grouping>& grouping, int first);

} // namespace winnow
