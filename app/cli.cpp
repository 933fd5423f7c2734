#include "app/cli.h"

#include "core/demo/generator.h"
#include "core/ingest/ingestor.h"
#include "core/ingest/otlp_receiver.h"
#include "core/jobs/ingest_runner.h"
#include "core/metrics/metrics.h"
#include "core/signals/rebuild.h"
#include "core/store/search_index.h"
#include "core/store/store.h"
#include "core/util/text.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <unistd.h>

namespace winnow::cli {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void onInterrupt(int)
{
    g_interrupted.store(true);
}

struct UsageError
{
    std::string message;
};

// Arguments after the command: options (with or without a value) and positionals.
class Arguments
{
public:
    Arguments(std::vector<std::string> args, std::map<std::string, bool> known) : m_known(std::move(known))
    {
        for (size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            if (a.size() > 2 && a.rfind("--", 0) == 0) {
                std::string name = a.substr(2), value;
                const auto equals = name.find('=');
                const bool inlineValue = equals != std::string::npos;
                if (inlineValue) {
                    value = name.substr(equals + 1);
                    name = name.substr(0, equals);
                }
                const auto it = m_known.find(name);
                if (it == m_known.end())
                    throw UsageError{"unknown option --" + name};
                if (it->second && !inlineValue) {
                    if (i + 1 >= args.size())
                        throw UsageError{"--" + name + " needs a value"};
                    value = args[++i];
                }
                m_options[name].push_back(value);
            } else {
                m_positionals.push_back(a);
            }
        }
    }
    bool has(const std::string& name) const { return m_options.count(name) > 0; }
    std::optional<std::string> value(const std::string& name) const
    {
        const auto it = m_options.find(name);
        if (it == m_options.end())
            return std::nullopt;
        return it->second.back();
    }
    std::vector<std::string> values(const std::string& name) const
    {
        const auto it = m_options.find(name);
        return it == m_options.end() ? std::vector<std::string>{} : it->second;
    }
    std::int64_t integer(const std::string& name, std::int64_t fallback) const
    {
        const auto text = value(name);
        if (!text)
            return fallback;
        try {
            size_t used = 0;
            const long long v = std::stoll(*text, &used);
            if (used != text->size())
                throw std::invalid_argument("trailing");
            return v;
        } catch (...) {
            throw UsageError{"--" + name + " needs a whole number, not '" + *text + "'"};
        }
    }
    const std::vector<std::string>& positionals() const { return m_positionals; }

private:
    std::map<std::string, bool> m_known;
    std::map<std::string, std::vector<std::string>> m_options;
    std::vector<std::string> m_positionals;
};

struct Context
{
    std::string dbPath;
    bool json = false;
};

QString q(const std::string& text)
{
    return QString::fromStdString(text);
}

void printJson(const QJsonObject& object)
{
    std::cout << QJsonDocument(object).toJson(QJsonDocument::Indented).toStdString();
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

const char* usageText = R"(usage: winnow [--db PATH] [--json] COMMAND [OPTIONS]

Without a command, opens the desktop app on the store.

Commands:
  ingest PATH...          Read log files, folders or - (standard input) into the store.
                          --format auto|jsonl|json|otlp   --map TARGET=SOURCE (repeatable)
                          --profile NAME   --save-profile NAME   --max-record-mb N
                          --no-index (leave the full-text index for a later run or winnow index)
                          --follow [--interval-ms N]: keep reading what is appended until Ctrl-C
  index                   Bring the full-text index up to date.
  demo                    Write realistic demo logs: --out FILE [--interactions N] [--seed S]
                          [--format jsonl|otlp] [--days D] [--end ISO-TIME]
  stats                   Counts of interactions, messages, tool calls, sources, quarantined records.
  sources                 Every log source with its position and counts.
  quarantine              Quarantined records with file, line and reason [--limit N].
  metrics                 Rates (Wilson 95% intervals), latency percentiles, tokens, cost, scores
                          [--from T] [--to T] [--where FIELD=VALUE]... [--bucket hour|day|week]
                          [--by FIELD [--impact RATE]] [--compare-to FROM..TO]
                          [--success-score NAME>=X: success by a score instead of the outcome]
                          [--rebuild-rollups: recompute the stored totals first (repair)]
  signals                 Interactions with each feedback signal [--kind K] [--list [--limit N]]
                          [--rebuild: recompute every interaction's signals after a detector change]
  screenshot [--screen NAME] --out FILE.png
                          Render a screen offscreen at 1440x900: dashboard, interactions, review,
                          rules, monitors, exports, sources.
  serve                   Receive OTLP/HTTP traces (POST /v1/traces, JSON or protobuf, gzip) and
                          watch log paths until SIGINT/SIGTERM; then commit everything received.
                          [--otlp HOST:PORT (default 127.0.0.1:4318)] [--watch PATH]...
                          [--max-body-mb N (64)] [--quiet-seconds N (30): a trace without its root
                          span is taken as it is after N seconds without new spans]
  profile list|show NAME|save NAME --map T=S...|delete NAME
                          Named field mappings for JSON records.

Global options:
  --db PATH   the store (default: the user's data folder, winnow.db)
  --json      machine-readable output
)";

Store openStore(const Context& context)
{
    return Store(context.dbPath);
}

// Adds a tailing round to the totals; files are matched by path.
void accumulate(IngestSummary& total, const IngestSummary& round)
{
    total.ingested += round.ingested;
    total.duplicates += round.duplicates;
    total.quarantined += round.quarantined;
    total.bytes += round.bytes;
    if (!round.indexError.empty())
        total.indexError = round.indexError;
    for (const FileReport& file : round.files) {
        auto it = std::find_if(total.files.begin(), total.files.end(),
                               [&file](const FileReport& f) { return f.path == file.path; });
        if (it == total.files.end()) {
            total.files.push_back(file);
            continue;
        }
        it->ingested += file.ingested;
        it->duplicates += file.duplicates;
        it->quarantined += file.quarantined;
        it->bytes += file.bytes;
        it->pendingBytes = file.pendingBytes;
        it->restarted = it->restarted || file.restarted;
        it->error = file.error;
        it->format = file.format;
    }
}

int commandIngest(const Context& context, const std::vector<std::string>& args)
{
    Arguments a(args, {{"format", true},
                       {"map", true},
                       {"profile", true},
                       {"save-profile", true},
                       {"max-record-mb", true},
                       {"batch", true},
                       {"no-index", false},
                       {"follow", false},
                       {"interval-ms", true}});
    if (a.positionals().empty())
        throw UsageError{"ingest needs at least one PATH (a file, a folder, or - for standard input)"};
    IngestOptions options;
    if (auto format = a.value("format"); format && !parseFormatName(*format, options.format))
        throw UsageError{"unknown format '" + *format + "' (auto, jsonl, json, otlp)"};
    options.maxRecordBytes = static_cast<size_t>(a.integer("max-record-mb", 16)) << 20;
    options.batchInteractions = static_cast<size_t>(std::max<std::int64_t>(1, a.integer("batch", 2000)));
    options.indexText = !a.has("no-index");
    const bool follow = a.has("follow");
    options.follow = follow;
    const auto interval =
        std::chrono::milliseconds(std::max<std::int64_t>(10, a.integer("interval-ms", 1000)));

    Store store = openStore(context);
    if (auto name = a.value("profile")) {
        const auto profile = store.profile(*name);
        if (!profile)
            throw UsageError{"no mapping profile named '" + *name + "' (see winnow profile list)"};
        std::string error;
        auto mapping = FieldMapping::fromJson(profile->specJson, error);
        if (!mapping)
            throw UsageError{"profile '" + *name + "': " + error};
        options.mapping = *mapping;
    }
    for (const std::string& spec : a.values("map")) {
        const std::string error = options.mapping.add(spec);
        if (!error.empty())
            throw UsageError{error};
    }
    if (auto name = a.value("save-profile"))
        store.saveProfile({*name, options.mapping.toJson()});

    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    options.cancel = &g_interrupted;
    Ingestor ingestor(store, options);
    const bool showProgress = !context.json && isatty(STDERR_FILENO);
    auto lastShown = std::chrono::steady_clock::now();
    if (showProgress) {
        ingestor.onProgress = [&lastShown](const IngestProgress& p) {
            const auto now = std::chrono::steady_clock::now();
            if (now - lastShown < std::chrono::milliseconds(250))
                return;
            lastShown = now;
            const double percent =
                p.bytesTotal ? 100.0 * static_cast<double>(p.bytesDone) / static_cast<double>(p.bytesTotal)
                             : 0;
            std::fprintf(stderr, "\r%s  %5.1f%%  %lld ingested",
                         std::filesystem::path(p.path).filename().c_str(), percent,
                         static_cast<long long>(p.ingested));
        };
    }
    IngestSummary summary = ingestor.ingest(a.positionals());
    if (showProgress)
        std::fprintf(stderr, "\r\033[K");
    if (follow) {
        // Tail until interrupted: each round reads only what was appended since the last commit.
        const auto started = std::chrono::steady_clock::now() -
                             std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(summary.seconds));
        if (!context.json)
            std::cerr << "following " << a.positionals().size() << " input(s); Ctrl-C to stop\n";
        while (!g_interrupted.load()) {
            const auto wakeAt = std::chrono::steady_clock::now() + interval;
            while (!g_interrupted.load() && std::chrono::steady_clock::now() < wakeAt)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (g_interrupted.load())
                break;
            const IngestSummary round = ingestor.ingest(a.positionals());
            accumulate(summary, round);
            if (!context.json && (round.ingested || round.duplicates || round.quarantined))
                std::cerr << "+" << round.ingested << " ingested, +" << round.duplicates << " duplicates, +"
                          << round.quarantined << " quarantined\n";
        }
        summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        summary.cancelled = false; // an interrupt is how following ends
    }

    const bool nothingRead =
        !summary.files.empty() && summary.unreadable() == static_cast<int>(summary.files.size());
    if (context.json) {
        QJsonArray files;
        for (const FileReport& f : summary.files) {
            QJsonObject file{{QStringLiteral("path"), q(f.path)},
                             {QStringLiteral("format"), q(f.format)},
                             {QStringLiteral("ingested"), static_cast<qint64>(f.ingested)},
                             {QStringLiteral("duplicates"), static_cast<qint64>(f.duplicates)},
                             {QStringLiteral("quarantined"), static_cast<qint64>(f.quarantined)},
                             {QStringLiteral("bytes"), static_cast<qint64>(f.bytes)},
                             {QStringLiteral("pending_bytes"), static_cast<qint64>(f.pendingBytes)},
                             {QStringLiteral("restarted"), f.restarted}};
            if (!f.error.empty())
                file.insert(QStringLiteral("error"), q(f.error));
            files.append(file);
        }
        printJson({{QStringLiteral("ingested"), static_cast<qint64>(summary.ingested)},
                   {QStringLiteral("duplicates"), static_cast<qint64>(summary.duplicates)},
                   {QStringLiteral("quarantined"), static_cast<qint64>(summary.quarantined)},
                   {QStringLiteral("bytes"), static_cast<qint64>(summary.bytes)},
                   {QStringLiteral("seconds"), summary.seconds},
                   {QStringLiteral("cancelled"), summary.cancelled},
                   {QStringLiteral("index_error"), q(summary.indexError)},
                   {QStringLiteral("files"), files}});
    } else {
        for (const FileReport& f : summary.files) {
            if (!f.error.empty())
                std::cerr << "winnow: " << f.path << ": " << f.error << "\n";
            else if (f.restarted)
                std::cerr << "winnow: " << f.path
                          << ": rotated or truncated since the last run, read from the start\n";
            if (f.pendingBytes > 0)
                std::cerr << "winnow: " << f.path << ": " << f.pendingBytes
                          << " bytes of an unfinished last line wait for the next run\n";
        }
        std::cout << "ingested     " << summary.ingested << "\n"
                  << "duplicates   " << summary.duplicates << "\n"
                  << "quarantined  " << summary.quarantined
                  << (summary.quarantined ? "   (see: winnow quarantine)" : "") << "\n"
                  << "bytes        " << summary.bytes << " ("
                  << humanBytes(static_cast<double>(summary.bytes)) << ")\n"
                  << "seconds      " << summary.seconds << "\n";
        if (!summary.signalsError.empty())
            std::cerr << "winnow: no signals were detected: " << summary.signalsError << "\n";
        if (!summary.indexError.empty())
            std::cerr << "winnow: the search index is behind: " << summary.indexError
                      << " (run winnow index)\n";
        if (summary.cancelled)
            std::cout << "interrupted: everything up to the last commit is stored; run again to resume\n";
    }
    return nothingRead ? 1 : 0;
}

int commandDemo(const Context& context, const std::vector<std::string>& args)
{
    Arguments a(args, {{"interactions", true},
                       {"seed", true},
                       {"out", true},
                       {"format", true},
                       {"days", true},
                       {"end", true}});
    const auto out = a.value("out");
    if (!out)
        throw UsageError{"demo needs --out FILE (or --out - for standard output)"};
    DemoOptions options;
    options.interactions = a.integer("interactions", 1000);
    options.seed = static_cast<std::uint64_t>(a.integer("seed", 1));
    options.days = static_cast<int>(a.integer("days", 30));
    if (options.interactions < 0 || options.days < 1)
        throw UsageError{"--interactions must be 0 or more and --days at least 1"};
    if (auto end = a.value("end")) {
        std::int64_t ms = 0;
        if (!parseIsoTimestamp(*end, ms))
            throw UsageError{"--end needs an ISO 8601 time, e.g. 2026-11-20T00:00:00Z"};
        options.endMs = ms;
    }
    DemoFormat format = DemoFormat::Jsonl;
    const std::string formatText = a.value("format").value_or("jsonl");
    if (formatText == "otlp")
        format = DemoFormat::Otlp;
    else if (formatText != "jsonl")
        throw UsageError{"demo --format is jsonl or otlp"};
    const auto started = std::chrono::steady_clock::now();
    const std::string error = writeDemo(options, format, *out);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!error.empty()) {
        std::cerr << "winnow: " << error << "\n";
        return 1;
    }
    std::error_code ec;
    const auto bytes = *out == "-" ? 0 : std::filesystem::file_size(*out, ec);
    if (context.json)
        printJson({{QStringLiteral("interactions"), static_cast<qint64>(options.interactions)},
                   {QStringLiteral("out"), q(*out)},
                   {QStringLiteral("format"), q(formatText)},
                   {QStringLiteral("bytes"), static_cast<qint64>(bytes)},
                   {QStringLiteral("seconds"), seconds}});
    else if (*out != "-")
        std::cerr << "wrote " << options.interactions << " interactions ("
                  << humanBytes(static_cast<double>(bytes)) << ") to " << *out << "\n";
    return 0;
}

int commandIndex(const Context& context, const std::vector<std::string>& args)
{
    Arguments a(args, {});
    if (!a.positionals().empty())
        throw UsageError{"index takes no arguments"};
    Store store = openStore(context); // creates the store when it is new
    SearchIndex index(store.path());
    const auto started = std::chrono::steady_clock::now();
    std::int64_t indexed = 0;
    while (const std::int64_t step = index.indexPending())
        indexed += step;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (context.json)
        printJson({{QStringLiteral("indexed_messages"), static_cast<qint64>(indexed)},
                   {QStringLiteral("seconds"), seconds}});
    else
        std::cout << "indexed " << indexed << " messages in " << seconds << " s\n";
    return 0;
}

int commandSignals(const Context& context, const std::vector<std::string>& args)
{
    Arguments a(args, {{"kind", true}, {"list", false}, {"limit", true}, {"rebuild", false}});
    if (!a.positionals().empty())
        throw UsageError{"signals takes no arguments"};
    std::optional<SignalKind> only;
    if (auto name = a.value("kind")) {
        SignalKind kind;
        if (!parseSignalKind(*name, kind))
            throw UsageError{"unknown signal kind '" + *name +
                             "' (escalation, correction, repeat, partial, negative_feedback, tool_error)"};
        only = kind;
    }
    if (a.has("list") && !only)
        throw UsageError{"signals --list needs --kind K"};
    Store store = openStore(context);
    QJsonObject result;
    if (a.has("rebuild")) {
        std::string error;
        const DetectorSettings settings = loadDetectorSettings(store, error);
        if (!error.empty()) {
            std::cerr << "winnow: the store's detector settings: " << error << "\n";
            return 1;
        }
        std::signal(SIGINT, onInterrupt);
        const auto started = std::chrono::steady_clock::now();
        const RebuildSummary rebuilt = rebuildSignals(store, settings, {}, &g_interrupted);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        result.insert(QStringLiteral("rebuilt"), static_cast<qint64>(rebuilt.interactions));
        result.insert(QStringLiteral("seconds"), seconds);
        result.insert(QStringLiteral("cancelled"), rebuilt.cancelled);
        if (!context.json)
            std::cout << "recomputed the signals of " << rebuilt.interactions << " interactions in "
                      << seconds << " s" << (rebuilt.cancelled ? " (interrupted: run again to finish)" : "")
                      << "\n";
    }
    if (a.has("list")) {
        QJsonArray items;
        for (const SignalEntry& e : store.signalsOfKind(*only, a.integer("limit", 50))) {
            const QString when = e.startMs ? q(formatIsoTimestamp(*e.startMs)) : QString();
            items.append(QJsonObject{{QStringLiteral("interaction"), q(e.interactionKey)},
                                     {QStringLiteral("start_time"), when},
                                     {QStringLiteral("message"), e.signal.messageIndex},
                                     {QStringLiteral("confidence"), e.signal.confidence},
                                     {QStringLiteral("reason"), q(e.signal.reason)}});
            if (!context.json)
                std::cout << e.interactionKey << "  " << when.toStdString() << "  message "
                          << e.signal.messageIndex << "  " << e.signal.reason << "\n";
        }
        result.insert(QStringLiteral("kind"), QString::fromLatin1(signalKindName(*only)));
        result.insert(QStringLiteral("items"), items);
        if (context.json)
            printJson(result);
        return 0;
    }
    const std::int64_t total = store.stats().interactions;
    QJsonObject kinds;
    std::map<std::string, std::int64_t> counts;
    for (const auto& [kind, count] : store.signalCounts())
        counts[kind] = count;
    if (!context.json)
        std::cout << "interactions        " << total << "\n";
    for (int k = 0; k < signalKindCount; ++k) {
        const SignalKind kind = static_cast<SignalKind>(k);
        if (only && *only != kind)
            continue;
        const std::int64_t n = counts[signalKindName(kind)];
        const double rate = total ? static_cast<double>(n) / static_cast<double>(total) : 0.0;
        kinds.insert(QString::fromLatin1(signalKindName(kind)),
                     QJsonObject{{QStringLiteral("interactions"), static_cast<qint64>(n)},
                                 {QStringLiteral("rate"), rate}});
        if (!context.json) {
            char line[96];
            std::snprintf(line, sizeof line, "%-19s %lld  (%.2f%%)\n", signalKindName(kind),
                          static_cast<long long>(n), rate * 100);
            std::cout << line;
        }
    }
    result.insert(QStringLiteral("interactions"), static_cast<qint64>(total));
    result.insert(QStringLiteral("signals"), kinds);
    if (context.json)
        printJson(result);
    return 0;
}

QJsonObject rateJson(const RateEstimate& rate)
{
    return {{QStringLiteral("value"), rate.value},
            {QStringLiteral("low"), rate.low},
            {QStringLiteral("high"), rate.high},
            {QStringLiteral("n"), static_cast<qint64>(rate.n)}};
}

QJsonObject summaryJson(const MetricsSummary& m)
{
    const double n = static_cast<double>(std::max<std::int64_t>(m.interactions, 1));
    QJsonObject rates;
    for (const auto& [name, rate] : m.rates)
        rates.insert(q(name), rateJson(rate));
    QJsonObject latency;
    for (const auto& [name, value] :
         {std::pair{"p50", m.latencyP50}, {"p90", m.latencyP90}, {"p99", m.latencyP99}})
        latency.insert(QString::fromLatin1(name), value ? QJsonValue(*value) : QJsonValue());
    QJsonObject scores;
    for (const auto& [name, score] : m.scores)
        scores.insert(q(name), QJsonObject{{QStringLiteral("mean"), score.first},
                                           {QStringLiteral("n"), static_cast<qint64>(score.second)}});
    return {
        {QStringLiteral("interactions"), static_cast<qint64>(m.interactions)},
        {QStringLiteral("rates"), rates},
        {QStringLiteral("latency_ms"), latency},
        {QStringLiteral("tokens"),
         QJsonObject{{QStringLiteral("input"), static_cast<qint64>(m.inputTokens)},
                     {QStringLiteral("output"), static_cast<qint64>(m.outputTokens)},
                     {QStringLiteral("input_per_interaction"), static_cast<double>(m.inputTokens) / n},
                     {QStringLiteral("output_per_interaction"), static_cast<double>(m.outputTokens) / n}}},
        {QStringLiteral("cost_usd"), QJsonObject{{QStringLiteral("total"), m.costUsd},
                                                 {QStringLiteral("per_interaction"), m.costUsd / n}}},
        {QStringLiteral("scores"), scores}};
}

void printSummary(const MetricsSummary& m)
{
    const double n = static_cast<double>(std::max<std::int64_t>(m.interactions, 1));
    char line[160];
    std::cout << "interactions   " << m.interactions << "\n\nrate             value    95% interval\n";
    for (const auto& [name, rate] : m.rates) {
        std::snprintf(line, sizeof line, "%-14s %6.2f%%   %6.2f%% – %6.2f%%\n", name.c_str(),
                      rate.value * 100, rate.low * 100, rate.high * 100);
        std::cout << line;
    }
    auto ms = [](std::optional<double> v) {
        return v ? std::to_string(static_cast<long long>(std::llround(*v))) + " ms" : std::string("–");
    };
    std::cout << "\nlatency        p50 " << ms(m.latencyP50) << ", p90 " << ms(m.latencyP90) << ", p99 "
              << ms(m.latencyP99) << "\n";
    std::snprintf(line, sizeof line, "tokens         %lld in, %lld out (%.0f / %.0f per interaction)\n",
                  static_cast<long long>(m.inputTokens), static_cast<long long>(m.outputTokens),
                  static_cast<double>(m.inputTokens) / n, static_cast<double>(m.outputTokens) / n);
    std::cout << line;
    std::snprintf(line, sizeof line, "cost           $%.2f ($%.5f per interaction)\n", m.costUsd,
                  m.costUsd / n);
    std::cout << line;
    for (const auto& [name, score] : m.scores) {
        std::snprintf(line, sizeof line, "score %-8s mean %.3f over %lld\n", name.c_str(), score.first,
                      static_cast<long long>(score.second));
        std::cout << line;
    }
}

std::int64_t parseTimeOption(const std::string& option, const std::string& text)
{
    std::int64_t ms = 0;
    if (!parseIsoTimestamp(text, ms))
        throw UsageError{option + " needs an ISO 8601 time, e.g. 2026-11-01 or 2026-11-01T12:00:00Z"};
    return ms;
}

int commandMetrics(const Context& context, const std::vector<std::string>& args)
{
    Arguments a(args, {{"from", true},
                       {"to", true},
                       {"where", true},
                       {"bucket", true},
                       {"by", true},
                       {"impact", true},
                       {"compare-to", true},
                       {"success-score", true},
                       {"rebuild-rollups", false}});
    if (!a.positionals().empty())
        throw UsageError{"metrics takes no arguments (filters are --from, --to and --where FIELD=VALUE)"};
    MetricsQuery query;
    MetricsFilter& filter = query.filter;
    if (auto text = a.value("from"))
        filter.fromMs = parseTimeOption("--from", *text);
    if (auto text = a.value("to"))
        filter.toMs = parseTimeOption("--to", *text);
    for (const std::string& condition : a.values("where")) {
        const auto equals = condition.find('=');
        if (equals == std::string::npos || !MetricsFilter::isField(condition.substr(0, equals)))
            throw UsageError{
                "--where needs FIELD=VALUE with FIELD one of agent, agent_version, model, intent, "
                "channel, outcome, user, session, signal, tool, thumb (down, up or none)"};
        SignalKind kind;
        if (condition.substr(0, equals) == "signal" && !parseSignalKind(condition.substr(equals + 1), kind))
            throw UsageError{"unknown signal kind '" + condition.substr(equals + 1) + "'"};
        filter.where.emplace_back(condition.substr(0, equals), condition.substr(equals + 1));
    }
    if (auto bucket = a.value("bucket")) {
        Bucket parsed;
        if (!parseBucket(*bucket, parsed))
            throw UsageError{"--bucket is hour, day or week"};
        query.bucket = parsed;
    }
    if (auto by = a.value("by")) {
        if (!MetricsFilter::isDimension(*by))
            throw UsageError{
                "--by is one of agent, agent_version, model, intent, channel, outcome, user, session"};
        query.breakdown = *by;
    }
    if (auto impact = a.value("impact")) {
        static const std::vector<std::string> rates = {"success", "thumbs_down", "escalation", "correction",
                                                       "repeat",  "partial",     "tool_error"};
        if (std::find(rates.begin(), rates.end(), *impact) == rates.end())
            throw UsageError{
                "--impact is a rate: success, thumbs_down, escalation, correction, repeat, partial, "
                "tool_error"};
        query.impactRate = *impact;
    }
    if (auto rule = a.value("success-score")) {
        const auto at = rule->find(">=");
        char* end = nullptr;
        const double threshold = at == std::string::npos ? 0 : std::strtod(rule->c_str() + at + 2, &end);
        if (at == std::string::npos || at == 0 || end == rule->c_str() + at + 2 || *end != '\0')
            throw UsageError{"--success-score needs NAME>=THRESHOLD, e.g. reward>=0.7"};
        query.successScore = rule->substr(0, at);
        query.successThreshold = threshold;
    }
    if (auto period = a.value("compare-to")) {
        const auto dots = period->find("..");
        if (dots == std::string::npos)
            throw UsageError{"--compare-to needs FROM..TO (ISO 8601 times)"};
        query.compareFromMs = parseTimeOption("--compare-to", period->substr(0, dots));
        query.compareToMs = parseTimeOption("--compare-to", period->substr(dots + 2));
    }

    Store store = openStore(context);
    if (a.has("rebuild-rollups"))
        store.rebuildRollups();
    const MetricsReport report = computeMetrics(store, query);
    if (context.json) {
        QJsonObject result = summaryJson(report.summary);
        // Rollups answer filters on agent, agent_version, model, intent and channel; the rest scan.
        result.insert(QStringLiteral("computed_from"), q(report.fromRollups ? "rollups" : "scan"));
        if (query.bucket) {
            QJsonArray series;
            for (const auto& [start, summary] : report.series) {
                QJsonObject bucket = summaryJson(summary);
                bucket.insert(QStringLiteral("start"), q(formatIsoTimestamp(start)));
                bucket.remove(QStringLiteral("scores"));
                series.append(bucket);
            }
            result.insert(QStringLiteral("series"), series);
        }
        if (!query.breakdown.empty()) {
            QJsonArray rows;
            for (const BreakdownRow& row : report.breakdown) {
                QJsonObject entry = summaryJson(row.summary);
                entry.remove(QStringLiteral("scores"));
                entry.insert(QStringLiteral("value"), q(row.value));
                entry.insert(QStringLiteral("impact"), static_cast<qint64>(row.impact));
                rows.append(entry);
            }
            result.insert(QStringLiteral("breakdown"),
                          QJsonObject{{QStringLiteral("dimension"), q(query.breakdown)},
                                      {QStringLiteral("impact_rate"), q(query.impactRate)},
                                      {QStringLiteral("rows"), rows}});
        }
        if (report.previous) {
            QJsonObject rates;
            for (const auto& [name, c] : report.comparison)
                rates.insert(q(name),
                             QJsonObject{{QStringLiteral("value"), report.summary.rates.at(name).value},
                                         {QStringLiteral("other"), report.previous->rates.at(name).value},
                                         {QStringLiteral("difference"), c.difference},
                                         {QStringLiteral("z"), c.z},
                                         {QStringLiteral("p_value"), c.pValue},
                                         {QStringLiteral("significant"), c.significant}});
            QJsonObject comparison = summaryJson(*report.previous);
            comparison.remove(QStringLiteral("scores"));
            comparison.insert(QStringLiteral("from"), q(formatIsoTimestamp(*query.compareFromMs)));
            comparison.insert(QStringLiteral("to"), q(formatIsoTimestamp(*query.compareToMs)));
            comparison.insert(QStringLiteral("rates"), rates);
            result.insert(QStringLiteral("comparison"), comparison);
        }
        printJson(result);
        return 0;
    }
    printSummary(report.summary);
    char line[200];
    if (query.bucket) {
        std::cout
            << "\nbucket                    interactions  success  escalation  correction  p90 latency\n";
        for (const auto& [start, m] : report.series) {
            std::snprintf(line, sizeof line, "%-24s  %12lld  %6.2f%%  %9.2f%%  %9.2f%%  %8.0f ms\n",
                          formatIsoTimestamp(start).c_str(), static_cast<long long>(m.interactions),
                          m.rates.at("success").value * 100, m.rates.at("escalation").value * 100,
                          m.rates.at("correction").value * 100, m.latencyP90.value_or(0));
            std::cout << line;
        }
    }
    if (!query.breakdown.empty()) {
        std::cout << "\nby " << query.breakdown << " (sorted by " << query.impactRate << " × volume)\n";
        for (const BreakdownRow& row : report.breakdown) {
            std::snprintf(line, sizeof line, "%-24s  %8lld interactions  %s %6.2f%%  impact %lld\n",
                          row.value.empty() ? "(none)" : row.value.c_str(),
                          static_cast<long long>(row.summary.interactions), query.impactRate.c_str(),
                          row.summary.rates.at(query.impactRate).value * 100,
                          static_cast<long long>(row.impact));
            std::cout << line;
        }
    }
    if (report.previous) {
        std::cout << "\ncompared with " << formatIsoTimestamp(*query.compareFromMs) << " .. "
                  << formatIsoTimestamp(*query.compareToMs) << " (" << report.previous->interactions
                  << " interactions)\n";
        for (const auto& [name, c] : report.comparison) {
            std::snprintf(line, sizeof line, "%-14s %6.2f%% vs %6.2f%%  %+6.2f pts  p = %.4f%s\n",
                          name.c_str(), report.summary.rates.at(name).value * 100,
                          report.previous->rates.at(name).value * 100, c.difference * 100, c.pValue,
                          c.significant ? "  significant" : "");
            std::cout << line;
        }
    }
    return 0;
}

int commandStats(const Context& context, const std::vector<std::string>& args)
{
    Arguments a(args, {});
    if (!a.positionals().empty())
        throw UsageError{"stats takes no arguments"};
    Store store = openStore(context);
    const StoreStats s = store.stats();
    if (context.json) {
        printJson({{QStringLiteral("interactions"), static_cast<qint64>(s.interactions)},
                   {QStringLiteral("messages"), static_cast<qint64>(s.messages)},
                   {QStringLiteral("tool_calls"), static_cast<qint64>(s.toolCalls)},
                   {QStringLiteral("sources"), static_cast<qint64>(s.sources)},
                   {QStringLiteral("quarantined"), static_cast<qint64>(s.quarantined)},
                   {QStringLiteral("store"), q(store.path())}});
    } else {
        std::cout << "store         " << store.path() << "\n"
                  << "interactions  " << s.interactions << "\n"
                  << "messages      " << s.messages << "\n"
                  << "tool calls    " << s.toolCalls << "\n"
                  << "sources       " << s.sources << "\n"
                  << "quarantined   " << s.quarantined << "\n";
    }
    return 0;
}

int commandSources(const Context& context, const std::vector<std::string>& args)
{
    Arguments a(args, {});
    Store store = openStore(context);
    QJsonArray list;
    for (const SourceState& s : store.sources()) {
        if (context.json) {
            list.append(
                QJsonObject{{QStringLiteral("path"), q(s.path)},
                            {QStringLiteral("format"), q(s.format)},
                            {QStringLiteral("offset"), static_cast<qint64>(s.offset)},
                            {QStringLiteral("line"), static_cast<qint64>(s.line)},
                            {QStringLiteral("ingested"), static_cast<qint64>(s.ingested)},
                            {QStringLiteral("duplicates"), static_cast<qint64>(s.duplicates)},
                            {QStringLiteral("quarantined"), static_cast<qint64>(s.quarantined)},
                            {QStringLiteral("last_activity"),
                             s.lastActivityMs ? q(formatIsoTimestamp(s.lastActivityMs)) : QString()}});
        } else {
            std::cout << s.path << "  [" << s.format << "]  offset " << s.offset << ", line " << s.line
                      << ", " << s.ingested << " ingested, " << s.duplicates << " duplicates, "
                      << s.quarantined << " quarantined\n";
        }
    }
    if (context.json)
        printJson({{QStringLiteral("sources"), list}});
    return 0;
}

int commandQuarantine(const Context& context, const std::vector<std::string>& args)
{
    Arguments a(args, {{"limit", true}});
    Store store = openStore(context);
    QJsonArray list;
    for (const QuarantineEntry& e : store.quarantine(a.integer("limit", 100))) {
        if (context.json) {
            list.append(QJsonObject{{QStringLiteral("source"), q(e.sourcePath)},
                                    {QStringLiteral("line"), static_cast<qint64>(e.record.line)},
                                    {QStringLiteral("byte_offset"), static_cast<qint64>(e.record.byteOffset)},
                                    {QStringLiteral("reason"), q(e.record.reason)},
                                    {QStringLiteral("excerpt"), q(e.record.excerpt)}});
        } else {
            std::cout << e.sourcePath << ":" << e.record.line << " (byte " << e.record.byteOffset
                      << "): " << e.record.reason << "\n    " << excerptOf(e.record.excerpt, 160) << "\n";
        }
    }
    if (context.json)
        printJson({{QStringLiteral("quarantined"), list}});
    return 0;
}

int commandProfile(const Context& context, const std::vector<std::string>& args)
{
    Arguments a(args, {{"map", true}});
    const auto& p = a.positionals();
    if (p.empty())
        throw UsageError{"profile needs list, show NAME, save NAME --map T=S..., or delete NAME"};
    Store store = openStore(context);
    const std::string& action = p[0];
    auto needName = [&p, &action]() -> const std::string& {
        if (p.size() != 2)
            throw UsageError{"profile " + action + " needs a NAME"};
        return p[1];
    };
    auto profileJson = [](const MappingProfile& profile) {
        return QJsonObject{{QStringLiteral("name"), q(profile.name)},
                           {QStringLiteral("mapping"),
                            QJsonDocument::fromJson(QByteArray::fromStdString(profile.specJson)).object()}};
    };
    if (action == "list") {
        QJsonArray list;
        for (const MappingProfile& profile : store.profiles()) {
            list.append(profileJson(profile));
            if (!context.json)
                std::cout << profile.name << "  " << profile.specJson << "\n";
        }
        if (context.json)
            printJson({{QStringLiteral("profiles"), list}});
        return 0;
    }
    if (action == "show") {
        const auto profile = store.profile(needName());
        if (!profile) {
            std::cerr << "winnow: no profile named '" << p[1] << "'\n";
            return 1;
        }
        if (context.json)
            printJson(profileJson(*profile));
        else
            std::cout << profile->specJson << "\n";
        return 0;
    }
    if (action == "save") {
        const std::string& name = needName();
        FieldMapping mapping;
        for (const std::string& spec : a.values("map")) {
            const std::string error = mapping.add(spec);
            if (!error.empty())
                throw UsageError{error};
        }
        if (mapping.isEmpty())
            throw UsageError{"profile save needs at least one --map TARGET=SOURCE"};
        store.saveProfile({name, mapping.toJson()});
        if (context.json)
            printJson(profileJson({name, mapping.toJson()}));
        else
            std::cout << "saved profile " << name << "\n";
        return 0;
    }
    if (action == "delete") {
        const bool removed = store.deleteProfile(needName());
        if (context.json)
            printJson({{QStringLiteral("deleted"), removed}});
        if (!removed)
            std::cerr << "winnow: no profile named '" << p[1] << "'\n";
        return removed ? 0 : 1;
    }
    throw UsageError{"unknown profile action '" + action + "'"};
}

// `winnow serve`: the OTLP/HTTP receiver and watched paths, until SIGINT or SIGTERM; then every
// pending trace is committed and the watchers stop at their next commit.
int commandServe(const Context& context, const std::vector<std::string>& args)
{
    Arguments a(args, {{"otlp", true},
                       {"watch", true},
                       {"max-body-mb", true},
                       {"quiet-seconds", true},
                       {"interval-ms", true}});
    if (!a.positionals().empty())
        throw UsageError{"serve takes no arguments (--otlp HOST:PORT, --watch PATH)"};
    OtlpReceiverOptions options;
    const std::string endpoint = a.value("otlp").value_or("127.0.0.1:4318");
    const auto colon = endpoint.rfind(':');
    bool portOk = false;
    const int port =
        colon == std::string::npos ? -1 : QString::fromStdString(endpoint.substr(colon + 1)).toInt(&portOk);
    options.address =
        QHostAddress(QString::fromStdString(endpoint.substr(0, colon == std::string::npos ? 0 : colon)));
    if (!portOk || port < 0 || port > 65535 || options.address.isNull())
        throw UsageError{"--otlp needs HOST:PORT with a numeric address, e.g. 127.0.0.1:4318"};
    options.port = static_cast<quint16>(port);
    if (auto mb = a.value("max-body-mb"))
        options.maxBodyBytes = std::max<std::int64_t>(1, std::atoll(mb->c_str())) << 20;
    if (auto quiet = a.value("quiet-seconds"))
        options.quietSeconds = std::max(1, std::atoi(quiet->c_str()));
    const int intervalMs = std::max(50, std::atoi(a.value("interval-ms").value_or("1000").c_str()));

    {
        Store create(context.dbPath);
    } // create or migrate the store before two writers open it
    OtlpReceiver receiver(context.dbPath, options);
    QString error;
    if (!receiver.start(&error)) {
        std::cerr << "winnow: cannot serve on " << endpoint << ": " << error.toStdString() << "\n";
        return 1;
    }
    IngestRunner watcher;
    watcher.setStorePath(context.dbPath);
    const std::vector<std::string> watched = a.values("watch");
    if (!watched.empty())
        watcher.ingest(watched, true, intervalMs);
    std::cerr << "listening on " << receiver.port() << " (" << options.address.toString().toStdString() << ":"
              << receiver.port() << "/v1/traces)";
    for (const std::string& path : watched)
        std::cerr << ", watching " << path;
    std::cerr << "; Ctrl-C to stop" << std::endl;

    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (g_interrupted.load())
            loop.quit();
    });
    poll.start(50);
    loop.exec();
    receiver.stop();
    watcher.cancel();
    watcher.setStorePath({}); // waits for the watcher to finish its round
    const OtlpReceiverStats stats = receiver.stats();
    if (context.json) {
        printJson(QJsonObject{{QStringLiteral("requests"), static_cast<qint64>(stats.requests)},
                              {QStringLiteral("rejected"), static_cast<qint64>(stats.rejected)},
                              {QStringLiteral("spans"), static_cast<qint64>(stats.spans)},
                              {QStringLiteral("interactions"), static_cast<qint64>(stats.interactions)}});
    } else {
        std::cout << "requests      " << stats.requests << "\nrejected      " << stats.rejected
                  << "\nspans         " << stats.spans << "\ninteractions  " << stats.interactions
                  << " (before the last flush; `winnow stats` has the total)\n";
    }
    return 0;
}

const std::map<std::string, std::function<int(const Context&, const std::vector<std::string>&)>>& commands()
{
    static const std::map<std::string, std::function<int(const Context&, const std::vector<std::string>&)>>
        table = {
            {"ingest", commandIngest},   {"demo", commandDemo},
            {"stats", commandStats},     {"sources", commandSources},
            {"index", commandIndex},     {"signals", commandSignals},
            {"metrics", commandMetrics}, {"quarantine", commandQuarantine},
            {"profile", commandProfile}, {"serve", commandServe},
        };
    return table;
}

// Global options before the command; returns the index of the command, or args.size().
size_t parseGlobal(const std::vector<std::string>& args, Context& context, bool& help)
{
    size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--db") {
            if (i + 1 >= args.size())
                throw UsageError{"--db needs a PATH"};
            context.dbPath = args[++i];
        } else if (a.rfind("--db=", 0) == 0) {
            context.dbPath = a.substr(5);
        } else if (a == "--json") {
            context.json = true;
        } else if (a == "--help" || a == "-h") {
            help = true;
        } else if (a.rfind("-", 0) == 0) {
            // Qt's own options (-platform, -style ...) belong to the GUI.
            return args.size();
        } else {
            return i;
        }
    }
    return i;
}

} // namespace

bool hasCommand(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    Context context;
    bool help = false;
    try {
        const size_t index = parseGlobal(args, context, help);
        return help || index < args.size();
    } catch (const UsageError&) {
        return true; // let run() report it
    }
}

int run(const std::vector<std::string>& arguments)
{
    Context context;
    bool help = false;
    try {
        const size_t index = parseGlobal(arguments, context, help);
        if (help || index >= arguments.size()) {
            std::cout << usageText;
            return help ? 0 : 2;
        }
        // --json may also follow the command.
        std::vector<std::string> rest;
        for (size_t i = index + 1; i < arguments.size(); ++i) {
            if (arguments[i] == "--json")
                context.json = true;
            else if (arguments[i] == "--db" && i + 1 < arguments.size())
                context.dbPath = arguments[++i];
            else
                rest.push_back(arguments[i]);
        }
        const auto command = commands().find(arguments[index]);
        if (command == commands().end())
            throw UsageError{"unknown command '" + arguments[index] + "'"};
        if (context.dbPath.empty())
            context.dbPath = Store::defaultPath();
        return command->second(context, rest);
    } catch (const UsageError& e) {
        std::cerr << "winnow: " << e.message << "\n(see winnow --help)\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "winnow: " << e.what() << "\n";
        return 1;
    }
}

} // namespace winnow::cli
