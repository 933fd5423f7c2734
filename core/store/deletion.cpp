#include "core/store/deletion.h"

#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/otlp_source_store.h"
#include "core/store/source_store.h"
#include "core/store/store_writer.h"

#include <climits>
#include <memory>

namespace winnow {

namespace {

constexpr std::int64_t chunk = 2000;

// Deletes the given interactions a chunk per write operation.
Result<std::int64_t> deleteIds(StoreWriter& writer, const std::vector<std::int64_t>& ids,
                               const std::function<void(std::int64_t)>& progress,
                               const std::atomic<bool>* cancel)
{
    std::int64_t deleted = 0;
    for (size_t first = 0; first < ids.size(); first += chunk) {
        if (cancel && cancel->load())
            break;
        auto part = std::make_shared<std::vector<std::int64_t>>(
            ids.begin() + static_cast<std::ptrdiff_t>(first),
            ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), first + chunk)));
        auto removed = std::make_shared<std::int64_t>(0);
        Status status = writer.write(WritePriority::Bulk, [part, removed](WriteTransaction& tx) {
            OtlpSourceStore(tx.database()).forgetInteractions(*part);
            *removed = tx.interactions().remove(*part);
            if (*removed > 0)
                tx.changed(StoreChange::Interactions);
        });
        if (!status)
            return status.error();
        deleted += *removed;
        if (progress)
            progress(deleted);
    }
    return deleted;
}

// Every id the selection names, read in one pass.
std::vector<std::int64_t> allIds(const std::function<std::vector<std::int64_t>(std::int64_t afterId)>& page)
{
    std::vector<std::int64_t> ids;
    std::int64_t after = INT64_MIN;
    while (true) {
        std::vector<std::int64_t> next = page(after);
        if (next.empty())
            break;
        after = next.back();
        ids.insert(ids.end(), next.begin(), next.end());
    }
    return ids;
}

} // namespace

Result<DeleteSummary> deleteInteractions(Database& reader, StoreWriter& writer,
                                         const DeleteSelection& selection,
                                         const std::function<void(std::int64_t)>& progress,
                                         const std::atomic<bool>* cancel)
{
    DeleteSummary summary;
    InteractionStore interactions(reader);
    std::vector<std::int64_t> ids;
    std::optional<SourceState> source;
    constexpr std::int64_t page = 100'000;
    switch (selection.kind) {
    case DeleteSelection::Kind::Slice:
        if (Status checked = checkFilter(selection.filter); !checked)
            return checked.error();
        ids = allIds([&](std::int64_t after) { return interactions.idsOf(selection.filter, after, page); });
        break;
    case DeleteSelection::Kind::Source:
        source = SourceStore(reader).source(selection.sourcePath);
        if (!source)
            return Error{"no source " + selection.sourcePath + " in the store (winnow sources lists them)",
                         {}};
        ids = allIds([&](std::int64_t after) { return interactions.idsOfSource(source->id, after, page); });
        break;
    case DeleteSelection::Kind::Before: {
        MetricsFilter before;
        before.toMs = selection.beforeMs;
        ids = allIds([&](std::int64_t after) { return interactions.idsOf(before, after, page); });
        break;
    }
    }
    auto deleted = deleteIds(writer, ids, progress, cancel);
    if (!deleted)
        return deleted.error();
    summary.deleted = *deleted;
    summary.cancelled = cancel && cancel->load();
    if (source && !summary.cancelled) {
        Status forgotten = writer.write(WritePriority::Bulk, [id = source->id](WriteTransaction& tx) {
            SourceStore(tx.database()).remove(id);
            tx.changed(StoreChange::Sources);
        });
        if (!forgotten)
            return forgotten.error();
        summary.sourceForgotten = true;
    }
    return summary;
}

Result<std::int64_t> resetSource(Database& reader, StoreWriter& writer, const std::string& sourcePath,
                                 const std::atomic<bool>* cancel)
{
    const auto source = SourceStore(reader).source(sourcePath);
    if (!source)
        return std::int64_t(0); // never read: nothing to take back
    InteractionStore interactions(reader);
    const std::vector<std::int64_t> ids =
        allIds([&](std::int64_t after) { return interactions.idsOfSource(source->id, after, 100'000); });
    auto deleted = deleteIds(writer, ids, {}, cancel);
    if (!deleted)
        return deleted.error();
    if (cancel && cancel->load())
        return *deleted;
    Status reset = writer.write(WritePriority::Bulk, [id = source->id](WriteTransaction& tx) {
        SourceStore(tx.database()).reset(id);
        tx.changed(StoreChange::Sources);
    });
    if (!reset)
        return reset.error();
    return *deleted;
}

} // namespace winnow
