#include "core/store/review_store.h"

#include "core/store/database.h"
#include "core/store/filter_sql.h"
#include "core/util/text.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace winnow {

const char* verdictName(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Pass:
        return "pass";
    case Verdict::Fail:
        return "fail";
    case Verdict::Unsure:
        return "unsure";
    }
    return "";
}

std::optional<Verdict> parseVerdict(std::string_view text)
{
    const std::string lower = toLowerAscii(text);
    for (Verdict verdict : {Verdict::Pass, Verdict::Fail, Verdict::Unsure})
        if (lower == verdictName(verdict))
            return verdict;
    return std::nullopt;
}

const char* labelStatusName(LabelStatus status)
{
    switch (status) {
    case LabelStatus::Draft:
        return "draft";
    case LabelStatus::Submitted:
        return "submitted";
    case LabelStatus::Final:
        return "final";
    }
    return "";
}

const char* queueOrderName(QueueOrder order)
{
    switch (order) {
    case QueueOrder::Priority:
        return "priority";
    case QueueOrder::Sample:
        return "sample";
    case QueueOrder::Given:
        return "given";
    }
    return "";
}

namespace {

LabelStatus statusOf(std::string_view name)
{
    return name == "final"       ? LabelStatus::Final
           : name == "submitted" ? LabelStatus::Submitted
                                 : LabelStatus::Draft;
}

QueueOrder orderOf(std::string_view name)
{
    return name == "sample" ? QueueOrder::Sample : name == "given" ? QueueOrder::Given : QueueOrder::Priority;
}

std::string categoryJson(const ReviewCategory& category)
{
    std::string json = "{\"name\":";
    appendJsonString(json, category.name);
    json += ",\"description\":";
    appendJsonString(json, category.description);
    json += ",\"position\":" + std::to_string(category.position) +
            ",\"retired\":" + (category.retired ? "true" : "false") + "}";
    return json;
}

constexpr const char* queueColumns = "SELECT q.id, q.name, q.owner, q.created_ms, q.from_ms, q.to_ms, "
                                     "q.conditions, q.ordering, q.sample_size, "
                                     "q.seed, q.slice_size, q.overlap, q.blind, q.guidelines, (SELECT "
                                     "count(*) FROM review_queue_items i WHERE "
                                     "i.queue_id = q.id) FROM review_queues q ";

ReviewQueue readQueue(const sql::Statement& s)
{
    ReviewQueue queue;
    queue.id = s.int64(0);
    queue.name = s.text(1);
    queue.owner = s.text(2);
    queue.createdMs = s.int64(3);
    queue.fromMs = s.optionalInt64(4);
    queue.toMs = s.optionalInt64(5);
    queue.conditions = s.text(6);
    queue.order = orderOf(s.textView(7));
    queue.sampleSize = s.optionalInt64(8);
    if (const auto seed = s.optionalInt64(9))
        queue.seed = static_cast<std::uint64_t>(*seed);
    queue.sliceSize = s.int64(10);
    queue.overlap = static_cast<int>(s.int64(11));
    queue.blind = s.int64(12) != 0;
    queue.guidelines = s.text(13);
    queue.items = s.int64(14);
    return queue;
}

} // namespace

const ReviewCategory* findCategory(const std::vector<ReviewCategory>& taxonomy, std::string_view nameOrId)
{
    const std::string wanted = toLowerAscii(nameOrId);
    for (const ReviewCategory& category : taxonomy)
        if (toLowerAscii(category.name) == wanted || std::to_string(category.id) == nameOrId)
            return &category;
    return nullptr;
}

ReviewStore::ReviewStore(Database& database) : m_database(database) {}

std::vector<ReviewCategory> ReviewStore::categories()
{
    std::vector<ReviewCategory> list;
    sql::Statement select(m_database.connection(), "SELECT id, name, description, position, retired FROM "
                                                   "review_categories ORDER BY position, id");
    while (select.step())
        list.push_back({select.int64(0), select.text(1), select.text(2), static_cast<int>(select.int64(3)),
                        select.int64(4) != 0});
    return list;
}

void ReviewStore::categoryEvent(std::int64_t id, const std::string& author, const char* action,
                                const std::string& before, const std::string& after)
{
    sql::Statement insert(
        m_database.connection(),
        "INSERT INTO review_category_events(category_id, at_ms, author, action, before_json, "
        "after_json) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    insert.bind(1, id).bind(2, nowMs()).bind(3, std::string_view(author)).bind(4, std::string_view(action));
    insert.bindTextOrNull(5, before).bindTextOrNull(6, after).run();
}

std::int64_t ReviewStore::addCategory(const std::string& name, const std::string& description,
                                      const std::string& author)
{
    sql::Statement insert(m_database.connection(),
                          "INSERT INTO review_categories(name, description, position) VALUES(?1, ?2, (SELECT "
                          "coalesce(max(position), 0) + 1 FROM review_categories))");
    insert.bind(1, std::string_view(name)).bind(2, std::string_view(description)).run();
    const std::int64_t id = m_database.connection().lastInsertRowId();
    for (const ReviewCategory& category : categories())
        if (category.id == id)
            categoryEvent(id, author, "add", {}, categoryJson(category));
    return id;
}

namespace {
std::optional<ReviewCategory> findCategory(std::vector<ReviewCategory> categories, std::int64_t id)
{
    for (ReviewCategory& category : categories)
        if (category.id == id)
            return std::move(category);
    return std::nullopt;
}
} // namespace

void ReviewStore::renameCategory(std::int64_t id, const std::string& name, const std::string& author)
{
    const auto before = findCategory(categories(), id);
    if (!before)
        return;
    sql::Statement update(m_database.connection(), "UPDATE review_categories SET name = ?2 WHERE id = ?1");
    update.bind(1, id).bind(2, std::string_view(name)).run();
    categoryEvent(id, author, "rename", categoryJson(*before), categoryJson(*findCategory(categories(), id)));
}

void ReviewStore::describeCategory(std::int64_t id, const std::string& description, const std::string& author)
{
    const auto before = findCategory(categories(), id);
    if (!before)
        return;
    sql::Statement update(m_database.connection(),
                          "UPDATE review_categories SET description = ?2 WHERE id = ?1");
    update.bind(1, id).bind(2, std::string_view(description)).run();
    categoryEvent(id, author, "describe", categoryJson(*before),
                  categoryJson(*findCategory(categories(), id)));
}

void ReviewStore::retireCategory(std::int64_t id, bool retired, const std::string& author)
{
    const auto before = findCategory(categories(), id);
    if (!before || before->retired == retired)
        return;
    sql::Statement update(m_database.connection(), "UPDATE review_categories SET retired = ?2 WHERE id = ?1");
    update.bind(1, id).bind(2, retired ? 1 : 0).run();
    categoryEvent(id, author, retired ? "retire" : "restore", categoryJson(*before),
                  categoryJson(*findCategory(categories(), id)));
}

void ReviewStore::moveCategory(std::int64_t id, int position, const std::string& author)
{
    std::vector<ReviewCategory> list = categories();
    const auto at =
        std::find_if(list.begin(), list.end(), [&](const ReviewCategory& c) { return c.id == id; });
    if (at == list.end())
        return;
    const ReviewCategory before = *at;
    ReviewCategory moved = *at;
    list.erase(at);
    const size_t index = static_cast<size_t>(std::clamp(position, 1, static_cast<int>(list.size()) + 1) - 1);
    list.insert(list.begin() + static_cast<std::ptrdiff_t>(index), moved);
    sql::Statement update(m_database.connection(),
                          "UPDATE review_categories SET position = ?2 WHERE id = ?1");
    for (size_t i = 0; i < list.size(); ++i)
        update.bind(1, list[i].id).bind(2, static_cast<std::int64_t>(i + 1)).run();
    categoryEvent(id, author, "move", categoryJson(before), categoryJson(*findCategory(categories(), id)));
}

std::vector<ReviewStore::CategoryEvent> ReviewStore::categoryHistory(std::int64_t id)
{
    std::vector<CategoryEvent> events;
    sql::Statement select(
        m_database.connection(),
        "SELECT at_ms, author, action, coalesce(before_json, ''), coalesce(after_json, '') FROM "
        "review_category_events WHERE category_id = ?1 ORDER BY id");
    select.bind(1, id);
    while (select.step())
        events.push_back({select.int64(0), select.text(1), select.text(2), select.text(3), select.text(4)});
    return events;
}

std::int64_t ReviewStore::saveLabel(Label label)
{
    sql::Connection& db = m_database.connection();
    if (const auto current = currentLabel(label.interactionId, label.reviewer))
        label.replaces = current->id;
    else
        label.replaces.reset();
    if (label.atMs == 0)
        label.atMs = nowMs();
    sql::Statement insert(
        db, "INSERT INTO labels(interaction_id, reviewer, queue_id, turn, tool_call, verdict, "
            "severity, note, corrected, status, author, at_ms, replaces) VALUES(?1, ?2, ?3, ?4, "
            "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    insert.bind(1, label.interactionId).bind(2, std::string_view(label.reviewer)).bind(3, label.queueId);
    if (label.turn)
        insert.bind(4, *label.turn);
    if (label.toolCall)
        insert.bind(5, *label.toolCall);
    if (label.verdict)
        insert.bind(6, std::string_view(verdictName(*label.verdict)));
    if (label.severity)
        insert.bind(7, *label.severity);
    insert.bind(8, std::string_view(label.note));
    if (label.corrected)
        insert.bind(9, std::string_view(*label.corrected));
    insert.bind(10, std::string_view(labelStatusName(label.status)))
        .bind(11, std::string_view(label.author))
        .bind(12, label.atMs)
        .bind(13, label.replaces)
        .run();
    const std::int64_t id = db.lastInsertRowId();
    sql::Statement category(
        db, "INSERT INTO label_categories(label_id, position, category_id) VALUES(?1, ?2, ?3)");
    for (size_t i = 0; i < label.categories.size(); ++i)
        category.bind(1, id).bind(2, static_cast<std::int64_t>(i)).bind(3, label.categories[i]).run();
    return id;
}

Label ReviewStore::readLabel(std::int64_t id)
{
    sql::Statement select(
        m_database.connection(),
        "SELECT id, interaction_id, reviewer, queue_id, turn, tool_call, verdict, severity, note, "
        "corrected, status, author, at_ms, replaces FROM labels WHERE id = ?1");
    select.bind(1, id);
    Label label;
    if (!select.step())
        return label;
    label.id = select.int64(0);
    label.interactionId = select.int64(1);
    label.reviewer = select.text(2);
    label.queueId = select.optionalInt64(3);
    if (const auto turn = select.optionalInt64(4))
        label.turn = static_cast<int>(*turn);
    if (const auto call = select.optionalInt64(5))
        label.toolCall = static_cast<int>(*call);
    if (!select.isNull(6))
        label.verdict = parseVerdict(select.textView(6));
    if (const auto severity = select.optionalInt64(7))
        label.severity = static_cast<int>(*severity);
    label.note = select.text(8);
    if (!select.isNull(9))
        label.corrected = select.text(9);
    label.status = statusOf(select.textView(10));
    label.author = select.text(11);
    label.atMs = select.int64(12);
    label.replaces = select.optionalInt64(13);
    sql::Statement categories(
        m_database.connection(),
        "SELECT category_id FROM label_categories WHERE label_id = ?1 ORDER BY position");
    categories.bind(1, id);
    while (categories.step())
        label.categories.push_back(categories.int64(0));
    return label;
}

std::optional<Label> ReviewStore::currentLabel(std::int64_t interactionId, const std::string& reviewer)
{
    sql::Statement select(m_database.connection(),
                          "SELECT id FROM current_labels WHERE interaction_id = ?1 AND reviewer = ?2");
    select.bind(1, interactionId).bind(2, std::string_view(reviewer));
    if (!select.step())
        return std::nullopt;
    return readLabel(select.int64(0));
}

std::vector<Label> ReviewStore::currentLabels(std::int64_t interactionId)
{
    std::vector<std::int64_t> ids;
    sql::Statement select(m_database.connection(),
                          "SELECT id FROM current_labels WHERE interaction_id = ?1 ORDER BY reviewer");
    select.bind(1, interactionId);
    while (select.step())
        ids.push_back(select.int64(0));
    std::vector<Label> labels;
    for (const std::int64_t id : ids)
        labels.push_back(readLabel(id));
    return labels;
}

std::vector<Label> ReviewStore::submittedLabels(std::optional<std::int64_t> queueId)
{
    std::vector<std::int64_t> ids;
    sql::Statement select(
        m_database.connection(),
        queueId ? "SELECT id FROM current_labels WHERE status != 'draft' AND interaction_id IN "
                  "(SELECT interaction_id FROM review_queue_items WHERE queue_id = ?1) ORDER BY "
                  "interaction_id, reviewer"
                : "SELECT id FROM current_labels WHERE status != 'draft' ORDER BY interaction_id, "
                  "reviewer");
    if (queueId)
        select.bind(1, *queueId);
    while (select.step())
        ids.push_back(select.int64(0));
    std::vector<Label> labels;
    labels.reserve(ids.size());
    for (const std::int64_t id : ids)
        labels.push_back(readLabel(id));
    return labels;
}

std::vector<Label> ReviewStore::submittedLabelsOf(const MetricsFilter& filter)
{
    std::vector<std::int64_t> ids;
    sql::Statement select(m_database.connection(),
                          "SELECT l.id FROM current_labels l JOIN interactions i ON i.id = "
                          "l.interaction_id" +
                              whereClause(filter) +
                              " AND l.status != 'draft' ORDER BY l.interaction_id, l.reviewer");
    bindFilter(select, filter);
    while (select.step())
        ids.push_back(select.int64(0));
    std::vector<Label> labels;
    labels.reserve(ids.size());
    for (const std::int64_t id : ids)
        labels.push_back(readLabel(id));
    return labels;
}

std::vector<Label> ReviewStore::history(std::int64_t labelId)
{
    std::vector<Label> chain;
    for (std::optional<std::int64_t> id = labelId; id;) {
        Label label = readLabel(*id);
        if (label.id == 0)
            break;
        id = label.replaces;
        chain.push_back(std::move(label));
    }
    std::reverse(chain.begin(), chain.end());
    return chain;
}

std::vector<ReviewStore::Candidate> ReviewStore::candidates(const MetricsFilter& filter)
{
    std::vector<Candidate> list;
    sql::Statement select(m_database.connection(),
                          "SELECT i.id, coalesce(i.signal_mask, 0), i.thumb, i.start_ms "
                          "FROM interactions i" +
                              whereClause(filter) + " ORDER BY i.id");
    bindFilter(select, filter);
    while (select.step()) {
        Candidate candidate{select.int64(0), select.int64(1), std::nullopt, select.optionalInt64(3)};
        if (const auto thumb = select.optionalInt64(2))
            candidate.thumb = static_cast<int>(*thumb);
        list.push_back(candidate);
    }
    return list;
}

std::int64_t ReviewStore::createQueue(const ReviewQueue& queue,
                                      const std::vector<std::int64_t>& interactionIds)
{
    sql::Connection& db = m_database.connection();
    sql::Statement insert(
        db, "INSERT INTO review_queues(name, owner, created_ms, from_ms, to_ms, conditions, "
            "ordering, sample_size, seed, slice_size, overlap, blind, guidelines) VALUES(?1, ?2, "
            "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    insert.bind(1, std::string_view(queue.name))
        .bind(2, std::string_view(queue.owner))
        .bind(3, queue.createdMs ? queue.createdMs : nowMs())
        .bind(4, queue.fromMs)
        .bind(5, queue.toMs)
        .bind(6, std::string_view(queue.conditions))
        .bind(7, std::string_view(queueOrderName(queue.order)))
        .bind(8, queue.sampleSize);
    if (queue.seed)
        insert.bind(9, static_cast<std::int64_t>(*queue.seed));
    insert.bind(10, queue.sliceSize)
        .bind(11, queue.overlap)
        .bind(12, queue.blind ? 1 : 0)
        .bind(13, std::string_view(queue.guidelines))
        .run();
    const std::int64_t id = db.lastInsertRowId();
    sql::Statement item(
        db, "INSERT INTO review_queue_items(queue_id, position, interaction_id) VALUES(?1, ?2, ?3)");
    for (size_t i = 0; i < interactionIds.size(); ++i)
        item.bind(1, id).bind(2, static_cast<std::int64_t>(i)).bind(3, interactionIds[i]).run();
    return id;
}

bool ReviewStore::setGuidelines(std::int64_t queueId, const std::string& markdown)
{
    sql::Statement update(m_database.connection(), "UPDATE review_queues SET guidelines = ?2 WHERE id = ?1");
    update.bind(1, queueId).bind(2, std::string_view(markdown)).run();
    return m_database.connection().changes() > 0;
}

std::vector<ReviewQueue> ReviewStore::queues()
{
    std::vector<ReviewQueue> list;
    sql::Statement select(m_database.connection(), std::string(queueColumns) + "ORDER BY q.id");
    while (select.step())
        list.push_back(readQueue(select));
    return list;
}

std::optional<ReviewQueue> ReviewStore::queue(const std::string& name)
{
    sql::Statement select(m_database.connection(), std::string(queueColumns) + "WHERE q.name = ?1");
    select.bind(1, std::string_view(name));
    if (!select.step())
        return std::nullopt;
    return readQueue(select);
}

std::vector<std::int64_t> ReviewStore::queueItems(std::int64_t queueId)
{
    std::vector<std::int64_t> ids;
    sql::Statement select(
        m_database.connection(),
        "SELECT interaction_id FROM review_queue_items WHERE queue_id = ?1 ORDER BY position");
    select.bind(1, queueId);
    while (select.step())
        ids.push_back(select.int64(0));
    return ids;
}

std::vector<QueueRow> ReviewStore::queueRows(std::int64_t queueId, const std::string& reviewer)
{
    std::vector<QueueRow> rows;
    // Labels of the queue's items in one pass (rather than a lookup per row).
    std::map<std::int64_t, std::pair<std::optional<LabelStatus>, std::int64_t>> labelled;
    sql::Statement labels(
        m_database.connection(),
        "SELECT interaction_id, reviewer, status FROM current_labels WHERE interaction_id IN "
        "(SELECT interaction_id FROM review_queue_items WHERE queue_id = ?1)");
    labels.bind(1, queueId);
    while (labels.step()) {
        auto& entry = labelled[labels.int64(0)];
        const LabelStatus status = statusOf(labels.textView(2));
        if (labels.textView(1) == reviewer)
            entry.first = status;
        if (status != LabelStatus::Draft && !labels.textView(1).empty())
            ++entry.second;
    }
    sql::Statement select(
        m_database.connection(),
        "SELECT q.position, i.id, i.key, coalesce(i.signal_mask, 0) FROM review_queue_items q "
        "JOIN interactions i ON i.id = q.interaction_id WHERE q.queue_id = ?1 ORDER BY "
        "q.position");
    select.bind(1, queueId);
    while (select.step()) {
        QueueRow row{select.int64(0), select.int64(1), select.text(2), select.int64(3), std::nullopt, 0};
        if (const auto found = labelled.find(row.interactionId); found != labelled.end()) {
            row.mine = found->second.first;
            row.submitted = found->second.second;
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<ReviewerProgress> ReviewStore::progress(std::int64_t queueId)
{
    std::vector<ReviewerProgress> list;
    sql::Statement select(
        m_database.connection(),
        "SELECT reviewer, sum(status != 'draft'), sum(status = 'draft') FROM current_labels "
        "WHERE reviewer != '' AND interaction_id IN (SELECT interaction_id FROM "
        "review_queue_items WHERE queue_id = ?1) GROUP BY reviewer ORDER BY reviewer");
    select.bind(1, queueId);
    while (select.step())
        list.push_back({select.text(0), select.int64(1), select.int64(2)});
    return list;
}

} // namespace winnow
