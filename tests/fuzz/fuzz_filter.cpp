// The filter bar's text and `--where`/`--by`: parsed, written back and parsed again to the same
// conditions, and run as SQL against a small store (bound parameters only).

#include "core/store/filter.h"
#include "core/store/filter_sql.h"
#include "core/store/sqlite.h"
#include "fuzz_store.h"

#include <cstdint>
#include <cstdlib>

using namespace winnow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)parseGrouping(text);
    auto conditions = parseConditionList(text);
    if (!conditions)
        return 0;
    auto again = parseConditionList(conditionListText(*conditions));
    if (!again || *again != *conditions)
        std::abort(); // the filter bar would not read back what it shows
    MetricsFilter filter;
    filter.where = *conditions;
    Database& store = fuzz::fuzzStore();
    sql::Statement count(store.connection(), "SELECT count(*) FROM interactions i" + whereClause(filter));
    bindFilter(count, filter);
    count.step();
    return 0;
}
