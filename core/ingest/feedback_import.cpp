#include "core/ingest/feedback_import.h"

#include "core/ingest/field_records.h"

#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/store_writer.h"
#include "core/util/text.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace winnow {

namespace {

const std::vector<std::string> feedbackTargets = {"interaction_id", "trace_id", "session", "thumb",
                                                  "rating",         "comment",  "outcome", "score."};

std::optional<double> number(std::string_view text)
{
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ')
        text.remove_suffix(1);
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

// One record from named fields (a CSV row, a JSON object's values as text): its reason when it
// cannot be read.
std::string fill(FeedbackRecord& record, const FieldRecord& row, const FeedbackMapping& mapping)
{
    const std::map<std::string, std::string>& fields = row.fields;
    auto field = [&](const std::string& target) { return mappedColumn(row, mapping, target); };
    if (const auto* id = field("interaction_id"))
        record.interactionId = *id;
    if (const auto* trace = field("trace_id"))
        record.traceId = toLowerAscii(*trace);
    if (const auto* session = field("session"))
        record.session = *session;
    if (record.interactionId.empty() && record.traceId.empty() && record.session.empty())
        return "no interaction_id, trace_id or session to join it by";
    if (const auto* thumb = field("thumb")) {
        const std::string t = toLowerAscii(*thumb);
        if (t == "up" || t == "1" || t == "+1" || t == "thumbs_up" || t == "positive")
            record.values.thumb = 1;
        else if (t == "down" || t == "-1" || t == "thumbs_down" || t == "negative")
            record.values.thumb = -1;
        else
            return "thumb is up or down, not '" + excerptOf(*thumb, 40) + "'";
    }
    if (const auto* rating = field("rating")) {
        const auto value = number(*rating);
        if (!value)
            return "rating is a number, not '" + excerptOf(*rating, 40) + "'";
        record.values.rating = *value;
    }
    if (const auto* comment = field("comment"))
        record.values.comment = *comment;
    if (const auto* outcome = field("outcome"))
        record.values.outcome = *outcome;
    // Scores: every score.NAME target mapped, and every score.NAME field in the record.
    std::map<std::string, std::string> scoreSources;
    for (const auto& [target, source] : mapping)
        if (target.rfind("score.", 0) == 0)
            scoreSources[target.substr(6)] = source;
    for (const auto& [name, value] : fields)
        if (name.rfind("score.", 0) == 0 && name.size() > 6 && !scoreSources.count(name.substr(6)))
            scoreSources[name.substr(6)] = name;
    for (const auto& [name, source] : scoreSources) {
        const auto found = fields.find(source);
        if (found == fields.end() || found->second.empty())
            continue;
        const auto value = number(found->second);
        if (!value)
            return "score." + name + " is a number, not '" + excerptOf(found->second, 40) + "'";
        record.values.scores.push_back({name, *value});
    }
    if (!record.values.thumb && !record.values.rating && !record.values.comment && !record.values.outcome &&
        record.values.scores.empty())
        return "no thumb, rating, comment, outcome or score";
    return {};
}

} // namespace

Status addFeedbackMapping(FeedbackMapping& mapping, const std::string& text)
{
    return addColumnMapping(mapping, text, feedbackTargets);
}

Result<std::vector<FeedbackRecord>> readFeedbackFile(const std::string& path, const FeedbackMapping& mapping,
                                                     std::vector<FeedbackProblem>& problems)
{
    std::vector<FieldRecordProblem> unreadable;
    auto rows = readFieldRecords(path, unreadable);
    if (!rows)
        return rows.error();
    for (const FieldRecordProblem& problem : unreadable)
        problems.push_back({problem.line, problem.reason});
    std::vector<FeedbackRecord> records;
    for (const FieldRecord& row : *rows) {
        FeedbackRecord record;
        record.line = row.line;
        if (std::string reason = fill(record, row, mapping); !reason.empty())
            problems.push_back({row.line, reason});
        else
            records.push_back(std::move(record));
    }
    std::sort(problems.begin(), problems.end(),
              [](const FeedbackProblem& a, const FeedbackProblem& b) { return a.line < b.line; });
    return records;
}

std::vector<FeedbackRecord> parseFeedbackJson(std::string_view body, std::vector<FeedbackProblem>& problems)
{
    std::vector<FeedbackRecord> records;
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(body.data(), body.size()).get(root)) {
        problems.push_back({0, "the body is not JSON"});
        return records;
    }
    std::vector<simdjson::dom::element> objects;
    simdjson::dom::array array;
    if (!root.get_array().get(array))
        for (auto element : array)
            objects.push_back(element);
    else
        objects.push_back(root);
    std::int64_t index = 0;
    for (simdjson::dom::element element : objects) {
        ++index;
        simdjson::dom::object object;
        if (element.get_object().get(object)) {
            problems.push_back({index, "not a JSON object"});
            continue;
        }
        FeedbackRecord record;
        record.line = index;
        if (std::string reason = fill(record, FieldRecord{index, fieldsOfJsonObject(object)}, {});
            !reason.empty())
            problems.push_back({index, reason});
        else
            records.push_back(std::move(record));
    }
    return records;
}

FeedbackSummary applyFeedback(WriteTransaction& tx, const std::vector<FeedbackRecord>& records,
                              SignalDetector& detector)
{
    FeedbackSummary summary;
    summary.records = static_cast<std::int64_t>(records.size());
    FeedbackStore store(tx.database());
    InteractionStore interactions(tx.database());
    for (const FeedbackRecord& record : records) {
        std::optional<std::int64_t> id;
        std::string tried;
        if (!record.interactionId.empty()) {
            id = interactions.idOfKey(record.interactionId);
            tried = "interaction_id " + record.interactionId;
        }
        if (!id && !record.traceId.empty()) {
            // An interaction assembled from a trace is keyed "trace:" and the trace id.
            id = interactions.idOfKey("trace:" + record.traceId);
            tried += (tried.empty() ? "" : ", ") + ("trace_id " + record.traceId);
        }
        if (!id && !record.session.empty()) {
            id = store.latestOfSession(record.session);
            tried += (tried.empty() ? "" : ", ") + ("session " + record.session);
        }
        if (!id) {
            summary.unmatched.push_back({record.line, "no stored interaction has " + tried});
            continue;
        }
        ++summary.matched;
        std::optional<Interaction> updated = store.withValues(*id, record.values);
        if (!updated)
            continue;
        std::vector<Signal> signals = detector.detect(*updated);
        // Repeats depend on the interactions around this one: kept as they were found.
        std::erase_if(signals, [](const Signal& s) { return s.kind == SignalKind::Repeat; });
        for (const Signal& stored : updated->signals)
            if (stored.kind == SignalKind::Repeat)
                signals.push_back(stored);
        if (store.write(*id, record.values, signals, tx.rollups()))
            ++summary.changed;
    }
    if (summary.changed)
        tx.changed(StoreChange::Interactions | StoreChange::Signals);
    return summary;
}

Result<FeedbackSummary> importFeedback(StoreWriter& writer, const std::vector<FeedbackRecord>& records,
                                       const DetectorSettings& settings)
{
    SignalDetector detector(settings);
    if (!detector.error().empty())
        return Error{detector.error(), {}};
    FeedbackSummary summary;
    summary.records = static_cast<std::int64_t>(records.size());
    constexpr size_t chunk = 1000;
    for (size_t first = 0; first < records.size(); first += chunk) {
        const std::vector<FeedbackRecord> part(
            records.begin() + static_cast<std::ptrdiff_t>(first),
            records.begin() + static_cast<std::ptrdiff_t>(std::min(records.size(), first + chunk)));
        FeedbackSummary applied;
        Status written = writer.write(WritePriority::Interactive, [&](WriteTransaction& tx) {
            applied = applyFeedback(tx, part, detector);
        });
        if (!written)
            return written.error();
        summary.matched += applied.matched;
        summary.changed += applied.changed;
        summary.unmatched.insert(summary.unmatched.end(), applied.unmatched.begin(), applied.unmatched.end());
    }
    return summary;
}

} // namespace winnow
