#include "app/render.h"

#include "core/store/database.h"
#include "core/store/integrity.h"
#include "core/store/review_store.h"
#include "core/store/schema.h"
#include "core/store/search_index.h"
#include "core/store/store_writer.h"
#include "core/util/text.h"

#include <QJsonDocument>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace winnow::cli {

std::string Context::storePath() const
{
    return dbPath.empty() ? Database::defaultPath() : dbPath;
}

std::optional<std::int64_t> queueOption(Database& reader, const std::string& name)
{
    if (name.empty())
        return std::nullopt;
    const auto queue = ReviewStore(reader).queue(name);
    if (!queue)
        throw CommandFailed{Error{"no queue '" + name + "' (winnow queue list)", {}}};
    return queue->id;
}

std::string Context::reviewerName() const
{
    if (!reviewer.empty())
        return reviewer;
    for (const char* variable : {"USER", "LOGNAME", "USERNAME"})
        if (const char* name = std::getenv(variable); name && *name)
            return name;
    return "reviewer";
}

void printJson(const QJsonObject& object)
{
    std::cout << QJsonDocument(object).toJson(QJsonDocument::Indented).toStdString();
}

QString q(const std::string& text)
{
    return QString::fromStdString(text);
}

std::string humanBytes(double bytes)
{
    const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    int unit = 0;
    while (bytes >= 1000 && unit < 4) {
        bytes /= 1000;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit ? "%.1f %s" : "%.0f %s", bytes, units[unit]);
    return text;
}

TextTable::TextTable(std::vector<std::string> headers) : m_headers(std::move(headers)) {}

void TextTable::add(std::vector<std::string> row)
{
    row.resize(m_headers.size());
    m_rows.push_back(std::move(row));
}

namespace {
bool isNumber(const std::string& text)
{
    if (text.empty())
        return true;
    size_t digits = 0;
    for (char c : text) {
        if (std::isdigit(static_cast<unsigned char>(c)))
            ++digits;
        else if (!std::strchr("+-.,%$ ", c) && c != 'e')
            return false;
    }
    return digits > 0;
}

size_t displayWidth(const std::string& text)
{
    // Columns are counted in characters, not bytes (UTF-8 continuation bytes take none).
    return static_cast<size_t>(std::count_if(
        text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}
} // namespace

void TextTable::print(std::ostream& out) const
{
    std::vector<size_t> widths(m_headers.size());
    std::vector<bool> numeric(m_headers.size(), true);
    for (size_t c = 0; c < m_headers.size(); ++c) {
        widths[c] = displayWidth(m_headers[c]);
        for (const auto& row : m_rows) {
            widths[c] = std::max(widths[c], displayWidth(row[c]));
            numeric[c] = numeric[c] && isNumber(row[c]);
        }
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string text;
        for (size_t c = 0; c < cells.size(); ++c) {
            const std::string pad(widths[c] - displayWidth(cells[c]), ' ');
            const bool last = c + 1 == cells.size();
            if (numeric[c])
                text += pad + cells[c];
            else
                text += cells[c] + (last ? "" : pad);
            if (!last)
                text += "  ";
        }
        out << text << "\n";
    };
    line(m_headers);
    for (const auto& row : m_rows)
        line(row);
}

void printNothing(const Context& context, const std::string& what)
{
    if (context.json)
        return;
    std::cout << what << " (" << context.storePath() << ")\n";
}

namespace {

std::function<void(int fromVersion)> announceUpgrade(const Context& context)
{
    return [&context](int fromVersion) {
        // On standard error, so that --json output stays one document.
        std::fprintf(stderr,
                     "Upgrading %s from store version %d to %d (once; a large store takes a minute)...\n",
                     context.storePath().c_str(), fromVersion, latestSchemaVersion());
    };
}

// Figures from a damaged store would be served as if they were sound, and writing into it can
// spread the damage: a command checks the store (and its search index) before using it, once per
// run, unless a check found it whole and its files have not changed since (isKnownWhole), or
// --no-check says a script checks on its own schedule. A damaged store is refused with what is
// wrong; a damaged index only said, as search alone depends on it and it can be made again.
void refuseDamagedStore(const Context& context)
{
    if (context.noCheck || context.storeChecked)
        return;
    const std::string path = context.storePath();
    constexpr std::uintmax_t sayItAbove = std::uintmax_t(512) << 20;
    std::error_code ignored;
    if (std::filesystem::file_size(path, ignored) > sayItAbove && !ignored && !isKnownWhole(path))
        std::fprintf(stderr,
                     "Checking %s (once after it changes; a large store takes a while; --no-check "
                     "skips)...\n",
                     path.c_str());
    const StoreCheck check = checkStoreUnlessKnownWhole(path, &interrupted());
    if (check.cancelled)
        throw CommandFailed{Error{path + " was not checked: interrupted", {}}};
    auto firstOf = [](const std::vector<std::string>& problems) {
        return problems.front() + (problems.size() > 1
                                       ? " (and " + std::to_string(problems.size() - 1) + " more)"
                                       : std::string());
    };
    if (!check.storeProblems.empty())
        throw CommandFailed{
            Error{path + " is damaged: " + firstOf(check.storeProblems) +
                      ". Winnow neither serves figures from it nor writes to it: restore it "
                      "from a backup (winnow check lists the damage; --no-check uses it anyway)",
                  {}}};
    if (!check.indexProblems.empty())
        std::fprintf(
            stderr,
            "winnow: the search index %s is damaged: %s. Search may miss or misplace results; delete "
            "it and run winnow index to make it again.\n",
            SearchIndex::pathFor(path).c_str(), firstOf(check.indexProblems).c_str());
    context.storeChecked = true;
}

} // namespace

std::unique_ptr<Database> openReader(const Context& context, CheckFirst checkFirst)
{
    auto database = openUpgradedForReading(context.storePath(), announceUpgrade(context));
    if (!database)
        throw CommandFailed{database.error()};
    if (checkFirst == CheckFirst::Yes)
        refuseDamagedStore(context);
    return std::move(database).take();
}

std::shared_ptr<StoreWriter> openWriter(const Context& context)
{
    auto writer = StoreWriter::open(context.storePath(), announceUpgrade(context));
    if (!writer)
        throw CommandFailed{writer.error()};
    refuseDamagedStore(context);
    return *writer;
}

std::int64_t parseTimeOption(const std::string& option, const std::string& text)
{
    std::int64_t ms = 0;
    if (!parseIsoTimestamp(text, ms))
        throw UsageError{option + " needs an ISO 8601 time, e.g. 2026-11-01 or 2026-11-01T12:00:00Z, not '" +
                         text + "'"};
    return ms;
}

MetricsFilter parseFilterOptions(const std::string& from, const std::string& to,
                                 const std::vector<std::string>& where)
{
    MetricsFilter filter;
    if (!from.empty())
        filter.fromMs = parseTimeOption("--from", from);
    if (!to.empty())
        filter.toMs = parseTimeOption("--to", to);
    if (Status range = checkTimeRange(filter.fromMs, filter.toMs); !range)
        throw UsageError{range.error().text()};
    for (const std::string& text : where) {
        auto condition = parseCondition(text);
        if (!condition)
            throw UsageError{"--where " + condition.error().text()};
        filter.where.push_back(*condition);
    }
    return filter;
}

namespace {
std::atomic<bool> g_interrupted{false};
extern "C" void onInterrupt(int)
{
    g_interrupted.store(true);
}
} // namespace

void stopOnInterrupt()
{
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
}

const std::atomic<bool>& interrupted()
{
    return g_interrupted;
}

CLI::Option* repeatable(CLI::Option* option)
{
    return option->allow_extra_args(false);
}

void setExamples(CLI::App& command, const std::vector<std::string>& examples)
{
    std::string footer = "\nExample" + std::string(examples.size() > 1 ? "s" : "") + ":\n";
    for (const std::string& example : examples)
        footer += "  " + example + "\n";
    command.footer(footer);
}

} // namespace winnow::cli
