#pragma once
// A MetricsFilter as SQL over `interactions i`: conditions are fixed text per field, values are
// always bound parameters. core/store only.

#include "core/store/filter.h"
#include "core/store/sqlite.h"

#include <string>

namespace winnow {

// " WHERE 1 AND ..." (always a WHERE, so callers append " AND ...").
std::string whereClause(const MetricsFilter& filter);
// Binds the filter's values from parameter `first` on; returns the next free parameter.
int bindFilter(sql::Statement& statement, const MetricsFilter& filter, int first = 1);

// A metadata key's value as text (NULL without the key) over metadataGroupJoin()'s `gm`; two
// parameters, the key's path, bound by bindMetadataKey.
std::string metadataGroupJoin();
std::string metadataValueSql();
int bindMetadataKey(sql::Statement& statement, const std::string& key, int first);

} // namespace winnow
