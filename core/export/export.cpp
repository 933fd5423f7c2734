#include "core/export/export.h"

#include "core/export/near_duplicates.h"
#include "core/export/redaction.h"
#include "core/rules/rule.h"
#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/monitor_store.h"
#include "core/store/review_store.h"
#include "core/store/rule_store.h"
#include "core/store/store_writer.h"
#include "core/util/json.h"
#include "core/util/text.h"
#include "core/util/version.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

namespace winnow {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t idChunk = 20'000;
constexpr std::int64_t readChunk = 256;
// The manifest lists the first clusters, each with its first removed keys: templated logs make
// clusters of thousands.
constexpr int clustersListed = 1000;
constexpr int removedListed = 20;

bool cancelled(const std::atomic<bool>* cancel)
{
    return cancel && cancel->load();
}

Error cancelledError()
{
    return Error{"the export was cancelled", {}};
}

// The slice's ids in id order, and the final labels of its reviewed interactions, from one state of
// the store.
struct Selection
{
    std::vector<std::int64_t> ids;
    std::map<std::int64_t, Label> labels;
    std::vector<ReviewCategory> taxonomy;
};

Selection select(Database& reader, const MetricsFilter& slice)
{
    Selection selection;
    InteractionStore interactions(reader);
    for (std::int64_t after = 0;;) {
        const std::vector<std::int64_t> chunk = interactions.idsOf(slice, after, idChunk);
        if (chunk.empty())
            break;
        selection.ids.insert(selection.ids.end(), chunk.begin(), chunk.end());
        after = chunk.back();
    }
    selection.labels = finalLabels(reader, slice);
    selection.taxonomy = ReviewStore(reader).categories();
    return selection;
}

std::vector<std::string> categoryNames(const Label& label, const std::vector<ReviewCategory>& taxonomy)
{
    std::vector<std::string> names;
    for (const std::int64_t id : label.categories) {
        std::string name = std::to_string(id);
        for (const ReviewCategory& category : taxonomy)
            if (category.id == id)
                name = category.name;
        names.push_back(name);
    }
    return names;
}

Result<Redactor> appliedRedactor(Database& reader)
{
    const std::optional<RuleVersion> applied = RuleStore(reader).applied();
    if (!applied)
        return Error{"the store has no published rule version to redact with", {}};
    auto pack = parseRulePack(applied->packJson);
    if (!pack)
        return pack.error();
    pack->version = applied->number;
    return Redactor::fromPack(*pack);
}

// The texts of the interaction (and of its label) the format writes, redacted: the conversation and
// the corrected answer for the training formats; for Winnow's JSONL and CSV also the message parts,
// metadata, feedback comment, signal reasons and the reviewer's note. Counted per rule.
void redactInteraction(const Redactor& redactor, ExportFormat format, Interaction& in, std::optional<Label>& label,
                       std::map<std::string, std::int64_t>& counts)
{
    const bool everything = !formatNeedsLabel(format);
    for (Message& message : in.messages) {
        message.content = redactor.redact(message.content, counts);
        if (everything && !message.partsJson.empty())
            message.partsJson = redactor.redactJson(message.partsJson, counts);
    }
    for (ToolCall& call : in.toolCalls) {
        call.arguments = redactor.redactJson(call.arguments, counts);
        // A result logged as a tool message is written (and redacted) as that message.
        if (call.resultMessageIndex < 0)
            call.result = redactor.redactJson(call.result, counts);
        call.error = redactor.redact(call.error, counts);
    }
    if (label && label->corrected)
        label->corrected = redactor.redact(*label->corrected, counts);
    if (!everything)
        return;
    in.feedbackComment = redactor.redact(in.feedbackComment, counts);
    if (!in.metadataJson.empty())
        in.metadataJson = redactor.redactJson(in.metadataJson, counts);
    for (Signal& signal : in.signals)
        signal.reason = redactor.redact(signal.reason, counts);
    if (label)
        label->note = redactor.redact(label->note, counts);
}

// The redactor a definition asks for: none when it does not redact.
Result<std::optional<Redactor>> redactorFor(Database& reader, const ExportDefinition& definition)
{
    if (!definition.redact)
        return std::optional<Redactor>();
    auto made = appliedRedactor(reader);
    if (!made)
        return made.error();
    return std::optional<Redactor>(std::move(*made));
}

FormatOptions formatOptions(const ExportDefinition& definition)
{
    FormatOptions options;
    options.format = definition.format;
    options.arguments = definition.arguments.value_or(defaultArgumentsStyle(definition.format));
    options.weights = definition.weights;
    options.unreviewedAsPasses = definition.includeUnreviewed;
    return options;
}

// Reads the slice's interactions a chunk at a time and gives each fitting one to `visit`, redacted
// when asked, with its label and categories; counts those left out.
class SubjectReader
{
public:
    SubjectReader(Database& reader, const ExportDefinition& definition, const Selection& selection,
                  const Redactor* redactor)
        : m_reader(reader), m_definition(definition), m_selection(selection), m_redactor(redactor)
    {
    }
    std::map<std::string, std::int64_t> leftOut;
    std::map<std::string, std::int64_t> redactions;

    // `visit` returns false to stop.
    Status forEach(const std::function<bool(const ExportSubject&, std::int64_t done)>& visit,
                   const std::atomic<bool>* cancel)
    {
        InteractionStore interactions(m_reader);
        std::vector<std::int64_t> wanted;
        std::int64_t done = 0;
        const auto& ids = m_selection.ids;
        for (size_t at = 0; at < ids.size();) {
            if (cancelled(cancel))
                return cancelledError();
            wanted.clear();
            // Interactions a label rules out are counted without being read.
            for (; at < ids.size() && std::int64_t(wanted.size()) < readChunk; ++at) {
                const Label* label = labelOf(ids[at]);
                if (const auto reason = labelFit(m_definition.format, label, m_definition.includeUnreviewed,
                                                 m_definition.adjudicatedOnly)) {
                    ++leftOut[leftOutName(*reason)];
                    ++done;
                } else {
                    wanted.push_back(ids[at]);
                }
            }
            for (StoredInteraction& stored : interactions.whole(wanted)) {
                ++done;
                const Label* stored_label = labelOf(stored.id);
                std::optional<Label> label = stored_label ? std::optional<Label>(*stored_label) : std::nullopt;
                if (m_redactor)
                    redactInteraction(*m_redactor, m_definition.format, stored.interaction, label, redactions);
                ExportSubject subject;
                subject.id = stored.id;
                subject.interaction = &stored.interaction;
                subject.label = label ? &*label : nullptr;
                if (label) {
                    subject.categories = categoryNames(*label, m_selection.taxonomy);
                    if (m_definition.format == ExportFormat::Jsonl) // the one format that writes it
                        subject.labelJson = labelJson(*label, stored.interaction.key, m_selection.taxonomy);
                }
                if (!visit(subject, done))
                    return {};
            }
        }
        return {};
    }

private:
    const Label* labelOf(std::int64_t id) const
    {
        const auto found = m_selection.labels.find(id);
        return found == m_selection.labels.end() ? nullptr : &found->second;
    }
    Database& m_reader;
    const ExportDefinition& m_definition;
    const Selection& m_selection;
    const Redactor* m_redactor;
};

// An interaction that gave records, as the curation steps see it.
struct Item
{
    std::int64_t id = 0;
    std::string key;
    std::string stratum;
    std::string group; // its session (or itself): a split keeps a group on one side
    size_t firstRecord = 0, records = 0;
    bool dropped = false; // by balancing
    std::string split = "all";
};

struct RecordSpan
{
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

void removeAll(const fs::path& path)
{
    std::error_code ignored;
    fs::remove_all(path, ignored);
}

// The `limit` items of each stratum that balancing keeps: a seeded random choice, the same every time.
std::map<std::string, std::int64_t> balance(std::vector<Item>& items, std::int64_t limit, std::uint64_t seed)
{
    std::map<std::string, std::vector<Item*>> byStratum;
    for (Item& item : items)
        byStratum[item.stratum].push_back(&item);
    std::map<std::string, std::int64_t> removed;
    for (auto& [stratum, members] : byStratum) {
        if (std::int64_t(members.size()) <= limit)
            continue;
        std::sort(members.begin(), members.end(), [seed](const Item* a, const Item* b) {
            const std::uint64_t ka = mix64(seed ^ mix64(std::uint64_t(a->id))), kb = mix64(seed ^ mix64(std::uint64_t(b->id)));
            return ka != kb ? ka < kb : a->id < b->id;
        });
        for (size_t m = size_t(limit); m < members.size(); ++m)
            members[m]->dropped = true;
        removed[stratum] = std::int64_t(members.size()) - limit;
    }
    return removed;
}

// Train and validation by group: each group goes whole to one side; within each stratum (a group
// counts under the stratum of its first interaction) groups are taken in a seeded order into
// validation until it holds its share of the stratum's interactions.
void split(std::vector<Item>& items, double trainFraction, std::uint64_t seed)
{
    struct Group
    {
        std::string stratum;
        std::vector<Item*> members;
        std::uint64_t order = 0;
    };
    std::map<std::string, Group> groups;
    for (Item& item : items) {
        if (item.dropped)
            continue;
        Group& group = groups[item.group];
        if (group.members.empty()) {
            group.stratum = item.stratum;
            group.order = mix64(seed ^ hash64(item.group));
        }
        group.members.push_back(&item);
    }
    std::map<std::string, std::vector<Group*>> byStratum;
    std::map<std::string, std::int64_t> stratumSize;
    for (auto& [name, group] : groups) {
        byStratum[group.stratum].push_back(&group);
        stratumSize[group.stratum] += std::int64_t(group.members.size());
    }
    for (auto& [stratum, list] : byStratum) {
        std::sort(list.begin(), list.end(), [](const Group* a, const Group* b) {
            return a->order != b->order ? a->order < b->order : a->members.front()->id < b->members.front()->id;
        });
        const auto target = std::int64_t(std::llround(double(stratumSize[stratum]) * (1.0 - trainFraction)));
        std::int64_t validation = 0;
        for (Group* group : list) {
            const bool toValidation = validation < target;
            if (toValidation)
                validation += std::int64_t(group->members.size());
            for (Item* item : group->members)
                item->split = toValidation ? "validation" : "train";
        }
    }
}

// Checks a written file line by line against its format, and (when redacting) that no redacting
// rule still finds anything in any value of it.
Status checkWrittenFile(const fs::path& path, ExportFormat format, const Redactor* redactor)
{
    std::ifstream in(path, std::ios::binary);
    const std::string name = path.filename().string();
    auto failure = [&name](std::int64_t line, const std::string& message) {
        return Error{message, Location{name, line, -1, {}}};
    };
    simdjson::dom::parser parser;
    std::string finding;
    std::function<void(simdjson::dom::element)> walk = [&](simdjson::dom::element value) {
        if (!finding.empty())
            return;
        if (value.is_object()) {
            simdjson::dom::object object;
            if (value.get_object().get(object))
                return;
            for (const auto field : object) {
                finding = redactor->firstFinding(field.key);
                if (!finding.empty())
                    return;
                walk(field.value);
                if (!finding.empty())
                    return;
            }
        } else if (value.is_array()) {
            simdjson::dom::array array;
            if (value.get_array().get(array))
                return;
            for (const auto item : array)
                walk(item);
        } else if (value.is_string()) {
            std::string_view text;
            if (value.get_string().get(text))
                return;
            finding = redactor->firstFinding(text);
        } else if (value.is_number()) {
            finding = redactor->firstFinding(simdjson::minify(value));
        }
    };
    const size_t csvColumns = readCsv(csvHeader()).front().fields.size();
    std::int64_t line = 0;
    std::string text;
    for (std::string next; std::getline(in, next);) {
        ++line;
        if (format == ExportFormat::Csv) {
            // A quoted field may hold newlines: a row ends where its quotes balance.
            const std::int64_t rowLine = line;
            text = next;
            while (std::count(text.begin(), text.end(), '"') % 2 != 0 && std::getline(in, next)) {
                ++line;
                text += "\n" + next;
            }
            std::string error;
            const std::vector<CsvRow> rows = readCsv(text, &error);
            if (!error.empty() || rows.size() != 1)
                return failure(rowLine, error.empty() ? "a row must be one CSV record" : error);
            if (rows[0].fields.size() != csvColumns)
                return failure(rowLine, "a row must have " + std::to_string(csvColumns) + " fields");
            if (redactor && rowLine > 1)
                for (const std::string& field : rows[0].fields)
                    if (const std::string rule = redactor->firstFinding(field); !rule.empty())
                        return failure(rowLine, "redaction post-check: rule " + rule + " still finds something");
            continue;
        }
        if (const auto broken = checkRecord(format, next))
            return failure(line, *broken);
        if (!redactor)
            continue;
        simdjson::dom::element root;
        if (parser.parse(next).get(root))
            return failure(line, "not valid JSON");
        finding.clear();
        walk(root);
        if (!finding.empty())
            return failure(line, "redaction post-check: rule " + finding + " still finds something");
    }
    return {};
}

QJsonObject definitionObject(const ExportDefinition& d)
{
    QJsonObject slice;
    if (d.slice.fromMs)
        slice.insert(QStringLiteral("from"), toQString(formatIsoTimestamp(*d.slice.fromMs)));
    if (d.slice.toMs)
        slice.insert(QStringLiteral("to"), toQString(formatIsoTimestamp(*d.slice.toMs)));
    QJsonArray where;
    for (const Condition& condition : d.slice.where)
        where.append(toQString(conditionText(condition)));
    slice.insert(QStringLiteral("where"), where);
    QJsonObject o;
    o.insert(QStringLiteral("format"), QLatin1String(exportFormatName(d.format)));
    o.insert(QStringLiteral("slice"), slice);
    o.insert(QStringLiteral("include_unreviewed"), d.includeUnreviewed);
    o.insert(QStringLiteral("adjudicated_only"), d.adjudicatedOnly);
    o.insert(QStringLiteral("redact"), d.redact);
    o.insert(QStringLiteral("dedupe"), d.dedupeThreshold ? QJsonValue(*d.dedupeThreshold) : QJsonValue());
    o.insert(QStringLiteral("split"), d.trainFraction ? QJsonValue(*d.trainFraction) : QJsonValue());
    o.insert(QStringLiteral("max_per_category"),
             d.maxPerCategory ? QJsonValue(double(*d.maxPerCategory)) : QJsonValue());
    o.insert(QStringLiteral("seed"), toQString(std::to_string(d.seed)));
    o.insert(QStringLiteral("arguments"),
             QLatin1String(argumentsStyleName(d.arguments.value_or(defaultArgumentsStyle(d.format)))));
    o.insert(QStringLiteral("weights"), d.weights);
    return o;
}

// A data file being written: its bytes hashed and counted as they go, made durable on close.
struct SplitFile
{
    fs::path path;
    std::FILE* file = nullptr;
    QCryptographicHash hash{QCryptographicHash::Sha256};
    std::int64_t records = 0;
    std::uint64_t bytes = 0;

    SplitFile() = default;
    SplitFile(const SplitFile&) = delete;
    ~SplitFile()
    {
        if (file)
            std::fclose(file);
    }
    Status open(const fs::path& at)
    {
        path = at;
        file = std::fopen(path.c_str(), "wb");
        if (!file)
            return Error{"cannot create the file", Location{path.string(), 0, -1, {}}};
        return {};
    }
    bool write(const std::string& bytesToWrite, bool isRecord)
    {
        if (std::fwrite(bytesToWrite.data(), 1, bytesToWrite.size(), file) != bytesToWrite.size())
            return false;
        hash.addData(QByteArrayView(bytesToWrite.data(), qsizetype(bytesToWrite.size())));
        bytes += bytesToWrite.size();
        records += isRecord ? 1 : 0;
        return true;
    }
    Error failure() const { return Error{"cannot write the file (is the disk full?)", Location{path.string(), 0, -1, {}}}; }
    Status close()
    {
        const bool written = std::fflush(file) == 0 && ::fsync(fileno(file)) == 0;
        const bool closed = std::fclose(file) == 0;
        file = nullptr;
        if (!written || !closed)
            return failure();
        return {};
    }
};

// Writes a file and makes it durable before the batch is reported.
Status writeDurably(const fs::path& path, const std::string& bytes)
{
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (!file)
        return Error{"cannot create the file", Location{path.string(), 0, -1, {}}};
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size() &&
                         std::fflush(file) == 0 && ::fsync(fileno(file)) == 0;
    const bool closed = std::fclose(file) == 0;
    if (!written || !closed)
        return Error{"cannot write the file (is the disk full?)", Location{path.string(), 0, -1, {}}};
    return {};
}

} // namespace

Status checkExportDefinition(const ExportDefinition& definition)
{
    if (Status status = checkFilter(definition.slice); !status)
        return status;
    if (definition.dedupeThreshold && !(*definition.dedupeThreshold > 0 && *definition.dedupeThreshold <= 1))
        return Error{"the near-duplicate threshold is a similarity above 0 and at most 1", {}};
    if (definition.trainFraction && !(*definition.trainFraction > 0 && *definition.trainFraction < 1))
        return Error{"the split is the share of training examples, above 0 and below 1 (0.9)", {}};
    if (definition.maxPerCategory && *definition.maxPerCategory < 1)
        return Error{"the maximum per category is at least 1", {}};
    if (definition.weights && definition.format != ExportFormat::OpenAiChat)
        return Error{"weights are written only in openai-chat", {}};
    return {};
}

std::string exportDefinitionJson(const ExportDefinition& definition)
{
    return QJsonDocument(definitionObject(definition)).toJson(QJsonDocument::Compact).toStdString();
}

Result<ExportDefinition> parseExportDefinition(std::string_view json)
{
    QJsonParseError error;
    const QJsonDocument document =
        QJsonDocument::fromJson(QByteArray(json.data(), qsizetype(json.size())), &error);
    if (!document.isObject())
        return Error{"an export definition is a JSON object: " + error.errorString().toStdString(), {}};
    const QJsonObject o = document.object();
    ExportDefinition d;
    const auto format = parseExportFormat(o.value(QStringLiteral("format")).toString().toStdString());
    if (!format)
        return Error{"unknown export format (" + exportFormatList() + ")", {}};
    d.format = *format;
    const QJsonObject slice = o.value(QStringLiteral("slice")).toObject();
    std::int64_t ms = 0;
    if (slice.contains(QStringLiteral("from")) &&
        parseIsoTimestamp(slice.value(QStringLiteral("from")).toString().toStdString(), ms))
        d.slice.fromMs = ms;
    if (slice.contains(QStringLiteral("to")) &&
        parseIsoTimestamp(slice.value(QStringLiteral("to")).toString().toStdString(), ms))
        d.slice.toMs = ms;
    for (const QJsonValue condition : slice.value(QStringLiteral("where")).toArray()) {
        auto parsed = parseCondition(condition.toString().toStdString());
        if (!parsed)
            return parsed.error();
        d.slice.where.push_back(*parsed);
    }
    d.includeUnreviewed = o.value(QStringLiteral("include_unreviewed")).toBool();
    d.adjudicatedOnly = o.value(QStringLiteral("adjudicated_only")).toBool();
    d.redact = o.value(QStringLiteral("redact")).toBool();
    if (o.value(QStringLiteral("dedupe")).isDouble())
        d.dedupeThreshold = o.value(QStringLiteral("dedupe")).toDouble();
    if (o.value(QStringLiteral("split")).isDouble())
        d.trainFraction = o.value(QStringLiteral("split")).toDouble();
    if (o.value(QStringLiteral("max_per_category")).isDouble())
        d.maxPerCategory = std::int64_t(o.value(QStringLiteral("max_per_category")).toDouble());
    bool seedOk = false;
    d.seed = o.value(QStringLiteral("seed")).toString(QStringLiteral("1")).toULongLong(&seedOk);
    if (!seedOk)
        return Error{"the seed is a whole number", {}};
    const QString arguments = o.value(QStringLiteral("arguments")).toString();
    const ArgumentsStyle style =
        arguments == QLatin1String("object") ? ArgumentsStyle::Object : ArgumentsStyle::String;
    if (style != defaultArgumentsStyle(d.format))
        d.arguments = style;
    d.weights = o.value(QStringLiteral("weights")).toBool();
    if (Status status = checkExportDefinition(d); !status)
        return status.error();
    return d;
}

Result<ExportCount> countExport(Database& reader, const ExportDefinition& definition,
                                const std::atomic<bool>* cancel)
{
    if (Status status = checkExportDefinition(definition); !status)
        return status.error();
    try {
        ReadSnapshot snapshot(reader);
        const Selection selection = select(reader, definition.slice);
        ExportCount count;
        count.slice = std::int64_t(selection.ids.size());
        for (const std::int64_t id : selection.ids) {
            if (cancelled(cancel))
                return cancelledError();
            const auto found = selection.labels.find(id);
            const Label* label = found == selection.labels.end() ? nullptr : &found->second;
            if (const auto reason = labelFit(definition.format, label, definition.includeUnreviewed,
                                             definition.adjudicatedOnly)) {
                ++count.leftOut[leftOutName(*reason)];
                continue;
            }
            ++count.fitting;
            count.records += recordsPerItem(definition.format, label);
        }
        return count;
    } catch (...) {
        return currentError(reader.path());
    }
}

Result<std::vector<std::string>> previewExport(Database& reader, const ExportDefinition& definition, int records,
                                               const std::atomic<bool>* cancel)
{
    if (Status status = checkExportDefinition(definition); !status)
        return status.error();
    try {
        ReadSnapshot snapshot(reader);
        auto redaction = redactorFor(reader, definition);
        if (!redaction)
            return redaction.error();
        const Redactor* redactor = redaction->has_value() ? &**redaction : nullptr;
        const Selection selection = select(reader, definition.slice);
        SubjectReader subjects(reader, definition, selection, redactor);
        const FormatOptions options = formatOptions(definition);
        std::vector<std::string> lines;
        if (definition.format == ExportFormat::Csv)
            lines.push_back(csvHeader());
        const size_t wanted = lines.size() + size_t(std::max(records, 0));
        Status read = subjects.forEach(
            [&](const ExportSubject& subject, std::int64_t) {
                FormattedRecords formatted = formatRecords(subject, options);
                for (std::string& line : formatted.lines)
                    if (lines.size() < wanted)
                        lines.push_back(std::move(line));
                return lines.size() < wanted;
            },
            cancel);
        if (!read)
            return read.error();
        return lines;
    } catch (...) {
        return currentError(reader.path());
    }
}

Result<ExportResult> runExport(Database& reader, StoreWriter& writer, const ExportDefinition& definition,
                               const std::string& outDir, const std::string& author,
                               const ExportProgress& progress, const std::atomic<bool>* cancel)
{
    if (Status status = checkExportDefinition(definition); !status)
        return status.error();
    if (outDir.empty())
        return Error{"the export needs a folder to write to", {}};
    fs::path out = fs::absolute(fs::path(outDir)).lexically_normal();
    if (out.filename().empty()) // "batches/june/": the folder is june, not an empty name inside it
        out = out.parent_path();
    std::error_code error;
    if (fs::exists(out, error) && !(fs::is_directory(out, error) && fs::is_empty(out, error)))
        return Error{"the folder exists and is not empty: choose a new one", Location{out.string(), 0, -1, {}}};
    fs::path partial = out;
    partial += ".partial";
    removeAll(partial); // what an interrupted export left
    if (!fs::create_directories(partial, error))
        return Error{"cannot create the folder: " + error.message(), Location{partial.string(), 0, -1, {}}};
    struct Cleanup
    {
        fs::path path;
        bool keep = false;
        ~Cleanup()
        {
            if (!keep)
                removeAll(path);
        }
    } cleanup{partial};

    try {
        ReadSnapshot snapshot(reader);
        auto redaction = redactorFor(reader, definition);
        if (!redaction)
            return redaction.error();
        const Redactor* redactor = redaction->has_value() ? &**redaction : nullptr;
        const Selection selection = select(reader, definition.slice);
        SubjectReader subjects(reader, definition, selection, redactor);
        const FormatOptions options = formatOptions(definition);
        std::optional<NearDuplicateFilter> duplicates;
        if (definition.dedupeThreshold)
            duplicates.emplace(*definition.dedupeThreshold);

        // Pass 1: every fitting interaction's records into a scratch file, in id order; what the
        // curation steps need of each stays in memory.
        const fs::path scratchPath = partial / "records.scratch";
        std::FILE* scratch = std::fopen(scratchPath.c_str(), "w+b");
        if (!scratch)
            return Error{"cannot create a scratch file", Location{scratchPath.string(), 0, -1, {}}};
        std::unique_ptr<std::FILE, int (*)(std::FILE*)> scratchCloser(scratch, &std::fclose);
        std::vector<Item> items;
        std::vector<RecordSpan> records;
        std::uint64_t written = 0;
        std::map<std::int64_t, std::vector<std::pair<std::int64_t, std::string>>> clusters; // kept → removed
        std::int64_t duplicatesRemoved = 0;
        const auto total = std::int64_t(selection.ids.size());
        bool writeFailed = false;
        auto keep = [&](const ExportSubject& subject, FormattedRecords& formatted) {
            Item item;
            item.id = subject.id;
            item.key = subject.interaction->key;
            item.stratum = formatted.stratum;
            item.group = subject.interaction->session.empty() ? "interaction:" + subject.interaction->key
                                                              : "session:" + subject.interaction->session;
            item.firstRecord = records.size();
            item.records = formatted.lines.size();
            for (std::string& line : formatted.lines) {
                line += '\n';
                if (std::fwrite(line.data(), 1, line.size(), scratch) != line.size())
                    writeFailed = true;
                records.push_back({written, line.size()});
                written += line.size();
            }
            items.push_back(std::move(item));
        };
        Status read = subjects.forEach(
            [&](const ExportSubject& subject, std::int64_t done) {
                FormattedRecords formatted = formatRecords(subject, options);
                if (formatted.leftOut) {
                    ++subjects.leftOut[leftOutName(*formatted.leftOut)];
                } else if (const auto kept =
                               duplicates ? duplicates->add(subject.id, formatted.dedupeText) : std::nullopt) {
                    clusters[*kept].emplace_back(subject.id, subject.interaction->key);
                    ++duplicatesRemoved;
                } else {
                    keep(subject, formatted);
                }
                if (progress && (done % 1000 == 0 || done == total))
                    progress(done, total);
                return !writeFailed;
            },
            cancel);
        if (!read)
            return read.error();
        if (writeFailed || std::fflush(scratch) != 0)
            return Error{"cannot write the scratch file (is the disk full?)", Location{scratchPath.string(), 0, -1, {}}};

        std::map<std::string, std::int64_t> balanced;
        if (definition.maxPerCategory)
            balanced = balance(items, *definition.maxPerCategory, definition.seed);
        if (definition.trainFraction)
            split(items, *definition.trainFraction, definition.seed);

        // Pass 2: the scratch file read once, in order, each record copied to its split's file.
        const std::string extension = fileExtension(definition.format);
        std::map<std::string, SplitFile> files;
        std::map<std::string, std::map<std::string, std::int64_t>> byCategory;
        std::vector<ExportedItem> lineage;
        std::rewind(scratch);
        std::string buffer;
        for (const Item& item : items) {
            SplitFile* file = nullptr;
            if (!item.dropped) {
                auto [entry, added] = files.try_emplace(item.split);
                file = &entry->second;
                if (added) {
                    const std::string name =
                        (item.split == "all" ? std::string("data") : item.split) + "." + extension;
                    if (Status opened = file->open(partial / name); !opened)
                        return opened.error();
                    if (definition.format == ExportFormat::Csv && !file->write(csvHeader() + "\n", false))
                        return file->failure();
                }
            }
            for (size_t r = item.firstRecord; r < item.firstRecord + item.records; ++r) {
                buffer.resize(records[r].length);
                if (std::fread(buffer.data(), 1, buffer.size(), scratch) != buffer.size())
                    return Error{"cannot read the scratch file back", Location{scratchPath.string(), 0, -1, {}}};
                if (file && !file->write(buffer, true))
                    return file->failure();
            }
            if (!file)
                continue;
            byCategory[item.split][item.stratum] += std::int64_t(item.records);
            lineage.push_back({item.id, item.split});
        }
        scratchCloser.reset();
        fs::remove(scratchPath, error);
        if (cancelled(cancel))
            return cancelledError();

        QJsonArray fileList;
        QJsonObject splits;
        std::int64_t recordTotal = 0;
        for (auto& [splitName, written] : files) {
            if (Status closed = written.close(); !closed)
                return closed.error();
            const std::string name = written.path.filename().string();
            if (Status status = checkWrittenFile(written.path, definition.format, redactor);
                !status)
                return Error{"the export failed its check and was not kept: " + status.error().text(), {}};
            const std::int64_t fileRecords = written.records;
            QJsonObject file;
            file.insert(QStringLiteral("name"), toQString(name));
            file.insert(QStringLiteral("split"), toQString(splitName));
            file.insert(QStringLiteral("records"), double(fileRecords));
            file.insert(QStringLiteral("bytes"), double(written.bytes));
            file.insert(QStringLiteral("sha256"), QString::fromLatin1(written.hash.result().toHex()));
            fileList.append(file);
            QJsonObject splitFigures;
            splitFigures.insert(QStringLiteral("records"), double(fileRecords));
            splitFigures.insert(QStringLiteral("by_category"), countsJson(byCategory[splitName]));
            splits.insert(toQString(splitName), splitFigures);
            recordTotal += fileRecords;
        }

        QJsonObject manifest;
        manifest.insert(QStringLiteral("schema"), QStringLiteral("winnow.export-manifest"));
        manifest.insert(QStringLiteral("schema_version"), 1);
        manifest.insert(QStringLiteral("winnow_version"), QString::fromLatin1(winnowVersion()));
        manifest.insert(QStringLiteral("format"), QLatin1String(exportFormatName(definition.format)));
        manifest.insert(QStringLiteral("definition"), definitionObject(definition));
        manifest.insert(QStringLiteral("slice_interactions"), double(selection.ids.size()));
        manifest.insert(QStringLiteral("interactions"), double(lineage.size()));
        manifest.insert(QStringLiteral("records"), double(recordTotal));
        manifest.insert(QStringLiteral("left_out"), countsJson(subjects.leftOut));
        if (redactor) {
            QJsonObject redacted;
            redacted.insert(QStringLiteral("rules_version"), double(redactor->version()));
            QJsonArray rules;
            for (const std::string& id : redactor->ruleIds())
                rules.append(toQString(id));
            redacted.insert(QStringLiteral("rules"), rules);
            redacted.insert(QStringLiteral("redactions"), countsJson(subjects.redactions));
            redacted.insert(QStringLiteral("post_check"), QStringLiteral("passed"));
            manifest.insert(QStringLiteral("redaction"), redacted);
        } else {
            manifest.insert(QStringLiteral("redaction"), QJsonValue());
        }
        if (duplicates) {
            QJsonObject dedupe;
            dedupe.insert(QStringLiteral("threshold"), *definition.dedupeThreshold);
            dedupe.insert(QStringLiteral("method"), QStringLiteral("minhash of word 3-shingles (60 bins, 10 bands) for candidates, exact jaccard to decide"));
            dedupe.insert(QStringLiteral("removed"), double(duplicatesRemoved));
            dedupe.insert(QStringLiteral("clusters"), double(clusters.size()));
            // Interactions by their keys, as the people receiving the batch know them.
            auto keyOf = [&items](std::int64_t id) {
                const auto found = std::lower_bound(items.begin(), items.end(), id,
                                                    [](const Item& item, std::int64_t wanted) { return item.id < wanted; });
                return found != items.end() && found->id == id ? found->key : std::to_string(id);
            };
            QJsonArray listed;
            for (const auto& [kept, removed] : clusters) {
                if (listed.size() == clustersListed)
                    break;
                QJsonObject cluster;
                cluster.insert(QStringLiteral("kept"), toQString(keyOf(kept)));
                cluster.insert(QStringLiteral("removed_count"), double(removed.size()));
                QJsonArray removedKeys;
                for (const auto& [id, key] : removed) {
                    if (removedKeys.size() == removedListed)
                        break;
                    removedKeys.append(toQString(key));
                }
                cluster.insert(QStringLiteral("removed"), removedKeys);
                listed.append(cluster);
            }
            dedupe.insert(QStringLiteral("listed"), listed);
            manifest.insert(QStringLiteral("duplicates"), dedupe);
        } else {
            manifest.insert(QStringLiteral("duplicates"), QJsonValue());
        }
        if (definition.maxPerCategory) {
            QJsonObject balance;
            balance.insert(QStringLiteral("max_per_category"), double(*definition.maxPerCategory));
            balance.insert(QStringLiteral("removed"), countsJson(balanced));
            manifest.insert(QStringLiteral("balance"), balance);
        } else {
            manifest.insert(QStringLiteral("balance"), QJsonValue());
        }
        manifest.insert(QStringLiteral("splits"), splits);
        manifest.insert(QStringLiteral("files"), fileList);
        // The triggers the batch answers: those whose evidence its slice takes.
        std::vector<std::int64_t> triggers;
        QJsonArray triggerList;
        for (const Condition& condition : definition.slice.where)
            if (condition.field == FilterField::Trigger) {
                triggers.push_back(std::stoll(condition.value));
                triggerList.append(double(triggers.back()));
            }
        manifest.insert(QStringLiteral("triggers"), triggerList);
        const std::string manifestJson = QJsonDocument(manifest).toJson(QJsonDocument::Indented).toStdString();
        if (Status status = writeDurably(partial / "manifest.json", manifestJson); !status)
            return status.error();

        if (fs::exists(out, error))
            fs::remove(out, error); // empty, checked above
        fs::rename(partial, out, error);
        if (error)
            return Error{"cannot move the finished batch into place: " + error.message(),
                         Location{out.string(), 0, -1, {}}};
        cleanup.keep = true;

        ExportBatch batch;
        batch.format = exportFormatName(definition.format);
        batch.definitionJson = exportDefinitionJson(definition);
        batch.outDir = out.string();
        batch.author = author;
        batch.createdMs = nowMs();
        batch.examples = recordTotal;
        batch.manifestJson = manifestJson;
        auto recorded = writer.write<std::int64_t>(
            WritePriority::Interactive, std::function<std::int64_t(WriteTransaction&)>(
                                            [&batch, &lineage, &triggers, &author](WriteTransaction& tx) {
                                                tx.changed(StoreChange::Exports);
                                                const std::int64_t id = ExportStore(tx.database()).addBatch(batch, lineage);
                                                // A trigger walks on: its evidence is exported.
                                                MonitorStore monitors(tx.database());
                                                for (const std::int64_t trigger : triggers) {
                                                    const auto stored = monitors.trigger(trigger);
                                                    if (!stored || (stored->state != TriggerState::Open &&
                                                                    stored->state != TriggerState::InReview))
                                                        continue;
                                                    monitors.setBatch(trigger, id);
                                                    monitors.setState(trigger, TriggerState::Exported, author,
                                                                      "batch " + std::to_string(id));
                                                    tx.changed(StoreChange::Monitors);
                                                }
                                                return id;
                                            }));
        if (!recorded)
            return Error{"the batch was written to " + out.string() +
                             " but could not be recorded in the store: " + recorded.error().text(),
                         {}};
        ExportResult result;
        result.batchId = *recorded;
        result.outDir = out.string();
        result.records = recordTotal;
        result.interactions = std::int64_t(lineage.size());
        result.manifestJson = manifestJson;
        return result;
    } catch (...) {
        return currentError(reader.path());
    }
}

} // namespace winnow
