#pragma once
// What the commands share: printing tables and JSON, opening the store, reading core values from
// option text with core's parsers.

#include "app/command.h"
#include "core/store/filter.h"

#include <QJsonObject>
#include <QString>

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace winnow {
class Database;
class StoreWriter;
} // namespace winnow

namespace winnow::cli {

void printJson(const QJsonObject& object);
QString q(const std::string& text);
std::string humanBytes(double bytes);

// Columns of text, aligned; a column whose every cell is a number is aligned right.
class TextTable
{
public:
    explicit TextTable(std::vector<std::string> headers);
    void add(std::vector<std::string> row);
    bool empty() const { return m_rows.empty(); }
    void print(std::ostream& out) const;

private:
    std::vector<std::string> m_headers;
    std::vector<std::vector<std::string>> m_rows;
};

// What a command with nothing to list says (never silence): "no sources in …/x.db yet".
void printNothing(const Context& context, const std::string& what);

// Whether a command checks the store before using it: every command but `check`, which lists the
// damage instead of refusing the store.
enum class CheckFirst { Yes, No };
// The store to read: never created, upgraded first when it is from an older Winnow, checked (see
// refuseDamagedStore).
std::unique_ptr<Database> openReader(const Context& context, CheckFirst checkFirst = CheckFirst::Yes);
// The store's writer, creating the store when missing; checked like a reader.
std::shared_ptr<StoreWriter> openWriter(const Context& context);

// --queue NAME as the queue's id (none without the option), or a CommandFailed naming it.
std::optional<std::int64_t> queueOption(Database& reader, const std::string& name);
// An ISO 8601 time for an option, or a UsageError naming it.
std::int64_t parseTimeOption(const std::string& option, const std::string& text);
// --from, --to and --where conditions as a filter, checked by core (reversed range, field, value).
MetricsFilter parseFilterOptions(const std::string& from, const std::string& to,
                                 const std::vector<std::string>& where);
// SIGINT and SIGTERM set interrupted() from now on (Ctrl-C stops at the last commit).
void stopOnInterrupt();
const std::atomic<bool>& interrupted();

// An option given once per value (--map A --map B): each takes exactly one value, so that a path
// after it stays a path.
CLI::Option* repeatable(CLI::Option* option);

// After data arrived (an ingest, a tail's round, the receiver's commits): the monitors evaluated on
// it, and what they raised said on standard error. Returns the triggers raised.
std::vector<std::int64_t> checkMonitorsAfterData(const Context& context, StoreWriter& writer);

// Adds "Example:" lines to a command's help.
void setExamples(CLI::App& command, const std::vector<std::string>& examples);

} // namespace winnow::cli
