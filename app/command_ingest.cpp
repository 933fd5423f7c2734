// winnow ingest PATH...: read log files, folders or standard input into the store.

#include "app/command.h"
#include "app/render.h"

#include "core/ingest/ingestor.h"
#include "core/store/database.h"
#include "core/store/profile_store.h"
#include "core/store/store_writer.h"

#include <QJsonArray>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>

#include <unistd.h>

namespace winnow::cli {

namespace {
QJsonObject summaryJson(const IngestSummary& summary)
{
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
        if (f.replaced)
            file.insert(QStringLiteral("replaced"), static_cast<qint64>(f.replaced));
        if (f.updated)
            file.insert(QStringLiteral("updated"), static_cast<qint64>(f.updated));
        if (f.error)
            file.insert(QStringLiteral("error"), q(f.error->text()));
        QJsonArray hints;
        for (const MappingHint& hint : f.hints)
            hints.append(QJsonObject{{QStringLiteral("records"), static_cast<qint64>(hint.records)},
                                     {QStringLiteral("map"), q(hint.map())}});
        if (!hints.isEmpty())
            file.insert(QStringLiteral("hints"), hints);
        files.append(file);
    }
    QJsonObject result{{QStringLiteral("ingested"), static_cast<qint64>(summary.ingested)},
                       {QStringLiteral("duplicates"), static_cast<qint64>(summary.duplicates)},
                       {QStringLiteral("quarantined"), static_cast<qint64>(summary.quarantined)},
                       {QStringLiteral("bytes"), static_cast<qint64>(summary.bytes)},
                       {QStringLiteral("seconds"), summary.seconds},
                       {QStringLiteral("cancelled"), summary.cancelled},
                       {QStringLiteral("index_error"), q(summary.indexError)},
                       {QStringLiteral("files"), files}};
    if (summary.storeError)
        result.insert(QStringLiteral("store_error"), q(summary.storeError->text()));
    return result;
}

void printSummary(const IngestSummary& summary)
{
    for (const FileReport& f : summary.files) {
        if (f.error)
            std::cerr << "winnow: " << f.error->text() << "\n";
        else if (f.restarted)
            std::cerr << "winnow: " << f.path
                      << ": rotated or truncated since the last run, read from the start\n";
        if (f.replaced)
            std::cerr << "winnow: " << f.path << ": " << f.replaced
                      << " interactions of the earlier read taken back\n";
        if (f.updated)
            std::cerr << "winnow: " << f.path << ": " << f.updated
                      << " stored interactions completed (late spans or log records, joined model calls)\n";
        if (f.pendingBytes > 0 && !summary.storeError) // a stopped run has not read to the end
            std::cerr << "winnow: " << f.path << ": " << f.pendingBytes
                      << " bytes of an unfinished last line wait for the next run\n";
        for (const MappingHint& hint : f.hints)
            std::cerr
                << "winnow: " << f.path << ": " << hint.records
                << " interactions have no messages, but their records hold role/content messages under \""
                << hint.sourcePath << "\": read them with --map " << hint.map() << "\n";
    }
    std::cout << "ingested     " << summary.ingested << "\n"
              << "duplicates   " << summary.duplicates << "\n"
              << "quarantined  " << summary.quarantined
              << (summary.quarantined ? "   (see: winnow quarantine)" : "") << "\n"
              << "bytes        " << summary.bytes << " (" << humanBytes(static_cast<double>(summary.bytes))
              << ")\n"
              << "seconds      " << summary.seconds << "\n";
    if (!summary.signalsError.empty())
        std::cerr << "winnow: no signals were detected: " << summary.signalsError << "\n";
    if (!summary.rulesError.empty())
        std::cerr << "winnow: no guardrail rules ran: " << summary.rulesError << "\n";
    if (!summary.indexError.empty())
        std::cerr << "winnow: the search index is behind: " << summary.indexError << " (run winnow index)\n";
    if (summary.storeError)
        std::cerr << "winnow: the store refused a write, the run stopped there: "
                  << summary.storeError->text() << "\n";
    if (summary.cancelled)
        std::cout << "interrupted: everything up to the last commit is stored; run again to resume\n";
}

struct IngestArguments
{
    std::vector<std::string> paths;
    std::string format = "auto";
    std::vector<std::string> maps;
    std::string profile;
    std::string saveProfile;
    std::int64_t maxRecordMb = 16;
    std::int64_t batch = 2000;
    bool noIndex = false;
    bool follow = false;
    std::int64_t intervalMs = 1000;
    bool replace = false;
};
} // namespace

Runner defineIngest(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<IngestArguments>();
    command.description(
        "Read log files, folders (recursively) or - (standard input) into the store. A re-run "
        "reads only what was appended since the last one.");
    command.add_option("paths", a->paths, "Files, folders, or - for standard input")
        ->required()
        ->type_name("PATH");
    command.add_option("--format", a->format, "auto (detected per file), jsonl, json or otlp")
        ->check(CLI::IsMember({"auto", "jsonl", "winnow", "ndjson", "json", "otlp", "otlp-json"}));
    repeatable(
        command.add_option("--map", a->maps, "TARGET=SOURCE: read a field from a dotted path (repeatable)"))
        ->type_name("TARGET=SOURCE");
    command.add_option("--profile", a->profile, "Use a saved mapping profile")->type_name("NAME");
    command.add_option("--save-profile", a->saveProfile, "Save the --map options as a profile")
        ->type_name("NAME");
    command.add_option("--max-record-mb", a->maxRecordMb, "Longer records are quarantined (1 to 1024)")
        ->check(CLI::Range(1, 1024));
    command.add_option("--batch", a->batch, "Interactions per commit (1 to 100000)")
        ->check(CLI::Range(1, 100000));
    command.add_flag("--no-index", a->noIndex, "Leave the full-text index for a later run or winnow index");
    command.add_flag("--follow", a->follow, "Keep reading what is appended until Ctrl-C (rotation followed)");
    command.add_option("--interval-ms", a->intervalMs, "How often --follow looks (50 to 3600000)")
        ->check(CLI::Range(50, 3'600'000));
    command.add_flag(
        "--replace", a->replace,
        "Take back what an earlier read of each file brought, and read it again with these options");
    setExamples(command, {"winnow --db agents.db ingest logs/ --json",
                          "winnow ingest rollouts.jsonl --map messages=traj --map scores.reward=reward",
                          "winnow ingest --follow /var/log/agents/"});
    return [&context, a]() -> int {
        IngestOptions options;
        options.format = *parseFormatName(a->format);
        options.maxRecordBytes = static_cast<size_t>(a->maxRecordMb) << 20;
        options.batchInteractions = static_cast<size_t>(a->batch);
        options.indexText = !a->noIndex;
        options.follow = a->follow;
        options.replace = a->replace;
        std::shared_ptr<StoreWriter> writer = openWriter(context);
        if (!a->profile.empty()) {
            auto profile = writer->write<std::optional<MappingProfile>>(
                WritePriority::Interactive, [name = a->profile](WriteTransaction& tx) {
                    return ProfileStore(tx.database()).profile(name);
                });
            if (!profile)
                throw CommandFailed{profile.error()};
            if (!*profile)
                throw UsageError{"no profile named '" + a->profile + "' (winnow profile list shows them)"};
            std::string error;
            const auto mapping = FieldMapping::fromJson((*profile)->specJson, error);
            if (!mapping)
                throw CommandFailed{Error{"profile " + a->profile + ": " + error, {}}};
            options.mapping = *mapping;
        }
        for (const std::string& spec : a->maps)
            if (const std::string error = options.mapping.add(spec); !error.empty())
                throw UsageError{"--map " + error};
        if (!a->saveProfile.empty()) {
            Status saved = writer->write(WritePriority::Interactive, [&](WriteTransaction& tx) {
                ProfileStore(tx.database()).save({a->saveProfile, options.mapping.toJson()});
                tx.changed(StoreChange::Profiles);
            });
            if (!saved)
                throw CommandFailed{saved.error()};
        }
        stopOnInterrupt();
        options.cancel = &interrupted();
        Ingestor ingestor(*writer, options);
        const bool showProgress = !context.json && isatty(STDERR_FILENO);
        auto lastShown = std::chrono::steady_clock::now();
        if (showProgress) {
            ingestor.onProgress = [&lastShown](const IngestProgress& p) {
                const auto now = std::chrono::steady_clock::now();
                if (now - lastShown < std::chrono::milliseconds(250))
                    return;
                lastShown = now;
                const double percent = p.bytesTotal ? 100.0 * static_cast<double>(p.bytesDone) /
                                                          static_cast<double>(p.bytesTotal)
                                                    : 0;
                std::fprintf(stderr, "\r%s  %5.1f%%  %lld ingested",
                             std::filesystem::path(p.path).filename().c_str(), percent,
                             static_cast<long long>(p.ingested));
            };
        }
        IngestSummary summary;
        if (a->follow) {
            if (!context.json)
                std::cerr << "following " << a->paths.size() << " input(s); Ctrl-C to stop\n";
            summary = ingestor.follow(a->paths, std::chrono::milliseconds(a->intervalMs), interrupted(),
                                      [&context, &writer, first = true](const IngestSummary& round) mutable {
                                          if (!context.json && !first)
                                              std::cerr << "+" << round.ingested << " ingested, +"
                                                        << round.duplicates << " duplicates, +"
                                                        << round.quarantined << " quarantined\n";
                                          first = false;
                                          if (round.ingested > 0)
                                              checkMonitorsAfterData(context, *writer);
                                      });
        } else {
            summary = ingestor.ingest(a->paths);
        }
        std::vector<std::int64_t> raised;
        if (summary.ingested > 0 && !summary.storeError && !a->follow)
            raised = checkMonitorsAfterData(context, *writer);
        if (showProgress)
            std::fprintf(stderr, "\r\033[K");
        if (context.json) {
            QJsonObject json = summaryJson(summary);
            QJsonArray triggers;
            for (const std::int64_t id : raised)
                triggers.append(static_cast<qint64>(id));
            json.insert(QStringLiteral("triggers_raised"), triggers);
            printJson(json);
        } else {
            printSummary(summary);
        }
        const bool nothingRead =
            !summary.files.empty() && summary.unreadable() == static_cast<int>(summary.files.size());
        return nothingRead || summary.storeError ? exitFailed : exitOk;
    };
}

} // namespace winnow::cli
