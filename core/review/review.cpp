#include "core/review/review.h"

#include "core/ingest/field_records.h"
#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/store_writer.h"
#include "core/util/text.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <random>
#include <set>

namespace winnow {

int priorityWeight(SignalKind kind)
{
    switch (kind) {
    case SignalKind::Escalation:
    case SignalKind::NegativeFeedback:
        return 5;
    case SignalKind::Correction:
        return 4;
    case SignalKind::ToolError:
        return 3;
    case SignalKind::Repeat:
    case SignalKind::Partial:
    case SignalKind::HandoffOffered:
        return 2;
    }
    return 0;
}

Result<std::vector<std::int64_t>> chooseQueueItems(Database& reader, const QueueRequest& request,
                                                   std::int64_t* sliceSize)
{
    if (request.order == QueueOrder::Given) {
        if (request.interactionIds.empty())
            return Error{"a queue of given interactions needs at least one", {}};
        if (sliceSize)
            *sliceSize = static_cast<std::int64_t>(request.interactionIds.size());
        return request.interactionIds;
    }
    if (Status checked = checkFilter(request.filter); !checked)
        return checked.error();
    std::vector<ReviewStore::Candidate> candidates = ReviewStore(reader).candidates(request.filter);
    if (sliceSize)
        *sliceSize = static_cast<std::int64_t>(candidates.size());
    if (candidates.empty())
        return Error{"no interaction matches this slice: the queue would be empty", {}};
    std::vector<std::int64_t> items;
    if (request.order == QueueOrder::Sample) {
        if (request.sampleSize <= 0)
            return Error{"a sample needs a size above 0", {}};
        // A partial Fisher-Yates shuffle over the slice in id order: the same seed, the same items.
        std::mt19937_64 random(request.seed);
        const size_t take = std::min(candidates.size(), static_cast<size_t>(request.sampleSize));
        for (size_t i = 0; i < take; ++i) {
            const size_t j = i + static_cast<size_t>(random() % (candidates.size() - i));
            std::swap(candidates[i], candidates[j]);
            items.push_back(candidates[i].id);
        }
        return items;
    }
    // Priority: the weight of the signals (a thumb down counts as negative feedback), then the most
    // recent first.
    auto weight = [](const ReviewStore::Candidate& c) {
        int total = 0;
        for (int kind = 0; kind < signalKindCount; ++kind)
            if (c.signalMask & (std::int64_t(1) << kind))
                total += priorityWeight(static_cast<SignalKind>(kind));
        if (c.thumb && *c.thumb < 0 &&
            !(c.signalMask & (std::int64_t(1) << int(SignalKind::NegativeFeedback))))
            total += priorityWeight(SignalKind::NegativeFeedback);
        return total;
    };
    std::vector<std::pair<int, const ReviewStore::Candidate*>> ranked;
    ranked.reserve(candidates.size());
    for (const auto& candidate : candidates)
        ranked.emplace_back(weight(candidate), &candidate);
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        if (a.first != b.first)
            return a.first > b.first;
        return a.second->startMs.value_or(INT64_MIN) > b.second->startMs.value_or(INT64_MIN);
    });
    for (const auto& [w, candidate] : ranked)
        items.push_back(candidate->id);
    return items;
}

Status setQueueGuidelines(StoreWriter& writer, std::int64_t queueId, std::string markdown)
{
    auto found = writer.write<bool>(WritePriority::Interactive, [queueId, &markdown](WriteTransaction& tx) {
        tx.changed(StoreChange::Review);
        return ReviewStore(tx.database()).setGuidelines(queueId, markdown);
    });
    if (!found)
        return found.error();
    if (!*found)
        return Error{"no such queue: it was deleted meanwhile", {}};
    return {};
}

Result<ReviewQueue> createQueue(Database& reader, StoreWriter& writer, const QueueRequest& request)
{
    if (request.name.empty())
        return Error{"a queue needs a name", {}};
    if (request.overlap < 1)
        return Error{"--overlap is the number of reviewers per item: 1 or more", {}};
    if (ReviewStore(reader).queue(request.name))
        return Error{"there is a queue named '" + request.name + "' already", {}};
    std::int64_t sliceSize = 0;
    auto items = chooseQueueItems(reader, request, &sliceSize);
    if (!items)
        return items.error();
    ReviewQueue queue;
    queue.name = request.name;
    queue.owner = request.owner;
    queue.createdMs = nowMs();
    queue.fromMs = request.filter.fromMs;
    queue.toMs = request.filter.toMs;
    queue.conditions = conditionListText(request.filter.where);
    queue.order = request.order;
    if (request.order == QueueOrder::Sample) {
        queue.sampleSize = request.sampleSize;
        queue.seed = request.seed;
    }
    queue.sliceSize = sliceSize;
    queue.overlap = request.overlap;
    queue.blind = request.blind;
    queue.guidelines = request.guidelines;
    auto ids = std::make_shared<std::vector<std::int64_t>>(std::move(*items));
    auto created = writer.write<std::int64_t>(WritePriority::Interactive, [queue, ids](WriteTransaction& tx) {
        tx.changed(StoreChange::Review);
        return ReviewStore(tx.database()).createQueue(queue, *ids);
    });
    if (!created)
        return created.error();
    queue.id = *created;
    queue.items = static_cast<std::int64_t>(ids->size());
    return queue;
}

namespace {

std::optional<int> integer(std::string_view text)
{
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

// Category names or ids: a JSON array, or names separated by ';' or '|' (CSV).
std::vector<std::string> categoryNames(const std::string& text)
{
    std::vector<std::string> names;
    simdjson::dom::parser parser;
    simdjson::dom::array array;
    if (!text.empty() && text.front() == '[' && !parser.parse(text).get_array().get(array)) {
        for (auto value : array) {
            std::string_view name;
            if (!value.get_string().get(name))
                names.emplace_back(name);
            else
                names.push_back(simdjson::minify(value));
        }
        return names;
    }
    std::string current;
    for (char c : text + ";") {
        if (c == ';' || c == '|') {
            const size_t first = current.find_first_not_of(' ');
            if (first != std::string::npos)
                names.push_back(current.substr(first, current.find_last_not_of(' ') - first + 1));
            current.clear();
        } else {
            current += c;
        }
    }
    return names;
}


} // namespace

std::string labelJson(const Label& label, const std::string& interactionKey,
                      const std::vector<ReviewCategory>& taxonomy)
{
    std::string json = "{\"interaction_id\":";
    appendJsonString(json, interactionKey);
    json += ",\"reviewer\":";
    appendJsonString(json, label.reviewer.empty() ? std::string("final") : label.reviewer);
    json += ",\"verdict\":";
    appendJsonString(json, label.verdict ? verdictName(*label.verdict) : "unsure");
    json += ",\"categories\":[";
    for (size_t i = 0; i < label.categories.size(); ++i) {
        json += i ? "," : "";
        std::string name = std::to_string(label.categories[i]);
        for (const ReviewCategory& category : taxonomy)
            if (category.id == label.categories[i])
                name = category.name;
        appendJsonString(json, name);
    }
    json += "]";
    if (label.severity)
        json += ",\"severity\":" + std::to_string(*label.severity);
    if (!label.note.empty()) {
        json += ",\"note\":";
        appendJsonString(json, label.note);
    }
    if (label.corrected) {
        json += ",\"corrected\":";
        appendJsonString(json, *label.corrected);
    }
    if (label.turn)
        json += ",\"turn\":" + std::to_string(*label.turn);
    json += ",\"created_at\":";
    appendJsonString(json, formatIsoTimestamp(label.atMs));
    json += "}";
    return json;
}

Status addLabelMapping(ColumnMapping& mapping, const std::string& text)
{
    static const std::vector<std::string> targets = {"interaction_id", "reviewer", "verdict",
                                                     "categories",     "severity", "note",
                                                     "corrected",      "turn",     "created_at"};
    return addColumnMapping(mapping, text, targets);
}

LabelImport readLabelFile(Database& reader, const std::string& path, const ColumnMapping& mapping)
{
    LabelImport result;
    std::vector<FieldRecordProblem> unreadable;
    auto rows = readFieldRecords(path, unreadable);
    if (!rows) {
        result.problems.push_back({0, rows.error().text()});
        return result;
    }
    for (const FieldRecordProblem& problem : unreadable)
        result.problems.push_back({problem.line, problem.reason});
    ReviewStore review(reader);
    InteractionStore interactions(reader);
    const std::vector<ReviewCategory> taxonomy = review.categories();
    for (const FieldRecord& row : *rows) {
        auto field = [&](const char* name) { return mappedColumn(row, mapping, name); };
        auto problem = [&](std::string message) {
            result.problems.push_back({row.line, std::move(message)});
        };
        Label label;
        label.status = LabelStatus::Submitted;
        const std::string* key = field("interaction_id");
        const std::string* reviewer = field("reviewer");
        const std::string* verdict = field("verdict");
        if (!key || !reviewer || !verdict) {
            problem("interaction_id, reviewer and verdict are required");
            continue;
        }
        const auto id = interactions.idOfKey(*key);
        if (!id) {
            problem("no interaction '" + *key + "' in the store");
            continue;
        }
        label.interactionId = *id;
        label.reviewer = *reviewer;
        label.author = *reviewer;
        label.verdict = parseVerdict(*verdict);
        if (!label.verdict) {
            problem("verdict '" + *verdict + "' is not pass, fail or unsure");
            continue;
        }
        bool bad = false;
        if (const std::string* names = field("categories")) {
            for (const std::string& name : categoryNames(*names)) {
                const ReviewCategory* found = findCategory(taxonomy, name);
                if (!found) {
                    problem("no category '" + name + "' in the taxonomy (winnow taxonomy lists it)");
                    bad = true;
                    break;
                }
                label.categories.push_back(found->id);
            }
        }
        if (bad)
            continue;
        if (const std::string* severity = field("severity")) {
            label.severity = integer(*severity);
            if (!label.severity || *label.severity < 1 || *label.severity > 4) {
                problem("severity '" + *severity + "' is not 1, 2, 3 or 4");
                continue;
            }
        }
        if (const std::string* turn = field("turn")) {
            label.turn = integer(*turn);
            if (!label.turn || *label.turn < 0) {
                problem("turn '" + *turn + "' is not a message index");
                continue;
            }
        }
        if (const std::string* note = field("note"))
            label.note = *note;
        if (const std::string* corrected = field("corrected"))
            label.corrected = *corrected;
        if (const std::string* created = field("created_at")) {
            std::int64_t ms = 0;
            if (!parseIsoTimestamp(*created, ms)) {
                problem("created_at '" + *created + "' is not an ISO 8601 time");
                continue;
            }
            label.atMs = ms;
        }
        result.labels.push_back(std::move(label));
    }
    std::sort(result.problems.begin(), result.problems.end(),
              [](const LabelFileProblem& a, const LabelFileProblem& b) { return a.line < b.line; });
    if (!result.problems.empty())
        result.labels.clear();
    return result;
}

namespace {
bool sameJudgement(const Label& a, const Label& b)
{
    return a.verdict == b.verdict && a.categories == b.categories && a.severity == b.severity &&
           a.note == b.note && a.corrected == b.corrected && a.turn == b.turn && a.status == b.status;
}
} // namespace

Result<LabelImportSummary> importLabels(StoreWriter& writer, const std::vector<Label>& labels)
{
    auto shared = std::make_shared<std::vector<Label>>(labels);
    return writer.write<LabelImportSummary>(WritePriority::Interactive, [shared](WriteTransaction& tx) {
        LabelImportSummary summary;
        tx.changed(StoreChange::Review);
        ReviewStore review(tx.database());
        for (const Label& label : *shared) {
            const auto current = review.currentLabel(label.interactionId, label.reviewer);
            if (current && sameJudgement(*current, label)) {
                ++summary.unchanged;
                continue;
            }
            review.saveLabel(label);
            ++summary.added;
        }
        return summary;
    });
}

Result<std::int64_t> exportLabels(Database& reader, std::optional<std::int64_t> queueId,
                                  const std::string& path)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out)
        return Error{"cannot write " + path, {}};
    ReviewStore review(reader);
    InteractionStore interactions(reader);
    const std::vector<ReviewCategory> taxonomy = review.categories();
    std::int64_t written = 0;
    for (const Label& label : review.submittedLabels(queueId)) {
        const auto detail = interactions.detail(label.interactionId);
        if (!detail)
            continue;
        out << labelJson(label, detail->interaction.key, taxonomy) << '\n';
        ++written;
    }
    if (!out)
        return Error{"cannot write " + path, {}};
    return written;
}

QueueAgreement measureQueueAgreement(Database& reader, std::optional<std::int64_t> queueId,
                                     std::uint64_t seed)
{
    QueueAgreement result;
    ReviewStore review(reader);
    const std::vector<Label> labels = review.submittedLabels(queueId);
    std::vector<Rating> verdicts, primaries, severities;
    std::set<std::int64_t> usedCategories;
    for (const Label& label : labels) {
        if (label.reviewer.empty())
            continue; // a final label is the adjudication, not another reviewer
        if (label.verdict)
            verdicts.push_back({label.interactionId, label.reviewer, static_cast<int>(*label.verdict)});
        if (!label.categories.empty())
            primaries.push_back(
                {label.interactionId, label.reviewer, static_cast<int>(label.categories.front())});
        if (label.severity)
            severities.push_back({label.interactionId, label.reviewer, *label.severity});
        usedCategories.insert(label.categories.begin(), label.categories.end());
    }
    auto measure = [&](const std::vector<Rating>& ratings, Scale scale, std::optional<Agreement>& into,
                       std::string& error) {
        auto measured = measureAgreement(ratings, {scale, seed, 1000});
        if (measured)
            into = *measured;
        else
            error = measured.error().message;
    };
    measure(verdicts, Scale::Nominal, result.verdict, result.verdictError);
    measure(primaries, Scale::Nominal, result.primaryCategory, result.primaryCategoryError);
    measure(severities, Scale::Ordinal, result.severity, result.severityError);
    // Each category as present or absent on every label.
    for (const ReviewCategory& category : review.categories()) {
        if (!usedCategories.count(category.id))
            continue;
        std::vector<Rating> presence;
        for (const Label& label : labels)
            if (!label.reviewer.empty())
                presence.push_back(
                    {label.interactionId, label.reviewer,
                     std::count(label.categories.begin(), label.categories.end(), category.id) > 0});
        QueueAgreement::PerCategory entry;
        entry.name = category.name;
        measure(presence, Scale::Nominal, entry.agreement, entry.error);
        result.categories.push_back(std::move(entry));
    }
    return result;
}

std::vector<QueueStatus> queueStatuses(Database& reader, const std::string& reviewer)
{
    ReviewStore review(reader);
    const std::vector<ReviewCategory> taxonomy = review.categories();
    std::vector<QueueStatus> statuses;
    for (ReviewQueue& queue : review.queues()) {
        QueueStatus status;
        const std::vector<std::int64_t> items = review.queueItems(queue.id);
        std::map<std::int64_t, std::vector<Label>> byItem;
        for (Label& label : review.submittedLabels(queue.id))
            byItem[label.interactionId].push_back(std::move(label));
        std::set<std::string> reviewers;
        if (!reviewer.empty())
            reviewers.insert(reviewer);
        for (const auto& [item, labels] : byItem)
            for (const Label& label : labels)
                if (!label.reviewer.empty())
                    reviewers.insert(label.reviewer);
        std::map<std::string, std::int64_t> pending;
        std::int64_t fails = 0;
        std::map<std::int64_t, std::int64_t> categoryHits;
        for (const std::int64_t item : items) {
            const auto found = byItem.find(item);
            const std::vector<Label> none;
            const std::vector<Label>& labels = found == byItem.end() ? none : found->second;
            std::vector<const Label*> byReviewers;
            const Label* final = nullptr;
            for (const Label& label : labels) {
                if (label.reviewer.empty())
                    final = &label;
                else
                    byReviewers.push_back(&label);
            }
            if (!byReviewers.empty())
                ++status.labeled;
            for (const std::string& name : reviewers) {
                const bool theirs = std::any_of(byReviewers.begin(), byReviewers.end(),
                                                [&](const Label* label) { return label->reviewer == name; });
                if (!theirs && static_cast<int>(byReviewers.size()) < queue.overlap)
                    ++pending[name];
            }
            std::vector<const Label*> all(byReviewers);
            if (final)
                all.push_back(final);
            const Label* decided = finalLabel(all, queue.overlap);
            if (!decided && !final && labelsDisagree(byReviewers))
                ++status.awaitingAdjudication;
            if (!decided || !decided->verdict)
                continue;
            ++status.reviewed;
            if (*decided->verdict == Verdict::Fail) {
                ++fails;
                for (const std::int64_t category : decided->categories)
                    ++categoryHits[category];
            }
        }
        for (const std::string& name : reviewers)
            status.pending.emplace_back(name, pending[name]);
        if (queue.order == QueueOrder::Sample) {
            status.failureRate = wilsonRate(fails, status.reviewed);
            for (const ReviewCategory& category : taxonomy)
                if (categoryHits.count(category.id))
                    status.categoryRates.emplace_back(category.name,
                                                      wilsonRate(categoryHits[category.id], status.reviewed));
        }
        status.queue = std::move(queue);
        statuses.push_back(std::move(status));
    }
    return statuses;
}

bool labelsDisagree(const std::vector<const Label*>& labels)
{
    auto primary = [](const Label* label) {
        return label->categories.empty() ? std::optional<std::int64_t>() : label->categories.front();
    };
    return std::any_of(labels.begin(), labels.end(), [&](const Label* label) {
        return label->verdict != labels.front()->verdict || primary(label) != primary(labels.front());
    });
}

const Label* finalLabel(const std::vector<const Label*>& labels, int overlap)
{
    std::vector<const Label*> byReviewers;
    for (const Label* label : labels) {
        if (label->status == LabelStatus::Draft)
            continue;
        if (label->reviewer.empty())
            return label; // adjudicated
        byReviewers.push_back(label);
    }
    if (byReviewers.empty() || static_cast<int>(byReviewers.size()) < overlap || labelsDisagree(byReviewers))
        return nullptr;
    return byReviewers.front();
}

std::vector<ItemToAdjudicate> adjudicationList(Database& reader, std::optional<std::int64_t> queueId)
{
    std::map<std::int64_t, std::vector<Label>> byItem;
    for (Label& label : ReviewStore(reader).submittedLabels(queueId))
        byItem[label.interactionId].push_back(std::move(label));
    InteractionStore interactions(reader);
    std::vector<ItemToAdjudicate> list;
    for (auto& [item, labels] : byItem) {
        std::vector<const Label*> byReviewers;
        bool adjudicated = false;
        for (const Label& label : labels) {
            if (label.reviewer.empty())
                adjudicated = true;
            else
                byReviewers.push_back(&label);
        }
        if (adjudicated || byReviewers.size() < 2 || !labelsDisagree(byReviewers))
            continue;
        ItemToAdjudicate entry;
        entry.interactionId = item;
        if (const auto detail = interactions.detail(item))
            entry.key = detail->interaction.key;
        entry.labels = std::move(labels);
        list.push_back(std::move(entry));
    }
    return list;
}

Result<std::int64_t> adjudicate(Database& reader, StoreWriter& writer, std::int64_t interactionId,
                                const std::string& adjudicator, const std::string& pickReviewer,
                                std::optional<Label> final)
{
    Label decided;
    if (!pickReviewer.empty()) {
        const auto picked = ReviewStore(reader).currentLabel(interactionId, pickReviewer);
        if (!picked || picked->status == LabelStatus::Draft)
            return Error{"no submitted label by '" + pickReviewer + "' on this interaction", {}};
        decided = *picked;
    } else if (final) {
        decided = *final;
        if (!decided.verdict)
            return Error{"a final label needs a verdict", {}};
    } else {
        return Error{"adjudicating takes one reviewer's label or a label written in full", {}};
    }
    decided.id = 0;
    decided.interactionId = interactionId;
    decided.reviewer.clear();
    decided.status = LabelStatus::Final;
    decided.author = adjudicator;
    decided.atMs = 0;
    decided.note =
        decided.note.empty() && !pickReviewer.empty() ? "taken from " + pickReviewer : decided.note;
    return writer.write<std::int64_t>(WritePriority::Interactive, [decided](WriteTransaction& tx) {
        tx.changed(StoreChange::Review);
        return ReviewStore(tx.database()).saveLabel(decided);
    });
}

int defaultJudgedTurn(const Interaction& interaction)
{
    for (int m = static_cast<int>(interaction.messages.size()) - 1; m >= 0; --m)
        if (interaction.messages[size_t(m)].role == "assistant" && !interaction.messages[size_t(m)].content.empty())
            return m;
    return static_cast<int>(interaction.messages.size()) - 1;
}

std::map<std::int64_t, Label> finalLabels(Database& reader, const MetricsFilter& filter)
{
    std::map<std::int64_t, std::vector<Label>> byItem;
    for (Label& label : ReviewStore(reader).submittedLabelsOf(filter))
        byItem[label.interactionId].push_back(std::move(label));
    std::map<std::int64_t, Label> decidedLabels;
    for (const auto& [item, labels] : byItem) {
        std::vector<const Label*> pointers;
        for (const Label& label : labels)
            pointers.push_back(&label);
        const Label* decided = finalLabel(pointers);
        if (!decided)
            continue;
        Label label = *decided;
        if (!label.corrected && !label.reviewer.empty())
            for (const Label* other : pointers)
                if (other->corrected && !other->reviewer.empty()) {
                    label.corrected = other->corrected;
                    break;
                }
        decidedLabels.emplace(item, std::move(label));
    }
    return decidedLabels;
}

std::map<std::int64_t, FinalVerdict> finalVerdicts(Database& reader, const MetricsFilter& filter)
{
    std::map<std::int64_t, FinalVerdict> verdicts;
    for (const auto& [item, label] : finalLabels(reader, filter))
        if (label.verdict)
            verdicts[item] = {*label.verdict, label.categories};
    return verdicts;
}

LabelCounts labelCounts(Database& reader, const MetricsFilter& filter)
{
    LabelCounts counts;
    ReviewStore review(reader);
    std::map<std::int64_t, std::int64_t> categoryFailures;
    for (const auto& [item, decided] : finalVerdicts(reader, filter)) {
        ++counts.reviewed;
        switch (decided.verdict) {
        case Verdict::Pass:
            ++counts.pass;
            break;
        case Verdict::Fail:
            ++counts.fail;
            for (const std::int64_t category : decided.categories)
                ++categoryFailures[category];
            break;
        case Verdict::Unsure:
            ++counts.unsure;
            break;
        }
    }
    for (const ReviewCategory& category : review.categories())
        if (categoryFailures.count(category.id))
            counts.categories.emplace_back(category.name, categoryFailures[category.id]);
    return counts;
}

} // namespace winnow
