#include "core/ingest/batch.h"

#include "core/store/interaction_store.h"
#include "core/store/otlp_source_store.h"
#include "core/store/source_store.h"
#include "core/store/store_writer.h"
#include "core/util/text.h"

#include <algorithm>

namespace winnow {

void addToBatch(Batch& batch, Interaction interaction)
{
    batch.rollups.add(RollupFacts::of(interaction, signalMask(interaction.signals)));
    batch.hasRollups = true;
    batch.interactions.push_back(std::move(interaction));
}

BatchResult writeBatch(WriteTransaction& tx, const Batch& batch)
{
    BatchResult result;
    std::int64_t removed = 0;
    std::vector<std::pair<std::string, std::int64_t>> replaced; // key, the id it had
    for (const std::string& key : batch.replacedKeys)
        if (const auto id = InteractionStore(tx.database()).idOfKey(key)) {
            tx.interactions().remove({*id});
            replaced.emplace_back(key, *id);
            ++removed;
        }
    const InsertResult inserted = tx.interactions().insert(batch.interactions, batch.position.sourceId,
                                                           batch.hasRollups ? &batch.rollups : nullptr);
    // Written again, not forgotten: reviewers' labels and the rest follow the new version.
    for (const auto& [key, oldId] : replaced)
        if (const auto newId = InteractionStore(tx.database()).idOfKey(key))
            tx.interactions().moveHumanWork(oldId, *newId);
    result.updated = std::min(removed, inserted.inserted);
    result.inserted = inserted.inserted - result.updated;
    result.duplicates = inserted.duplicates;
    if (!batch.otlpCommitted.empty() || !batch.otlpWaiting.empty() || !batch.otlpStoredCommitted.empty() ||
        !batch.otlpRuns.empty()) {
        OtlpSourceStore otlp(tx.database());
        otlp.commitTraces(batch.otlpCommitted, nowMs());
        otlp.addWaiting(batch.otlpWaiting);
        otlp.markCommitted(batch.otlpStoredCommitted);
        otlp.saveRuns(batch.otlpRuns);
    }
    if (batch.position.sourceId) {
        SourceStore sources(tx.database());
        result.quarantined = sources.addQuarantined(batch.position.sourceId, batch.quarantined);
        sources.advance(batch.position, result.inserted, result.duplicates, result.quarantined);
        tx.changed(StoreChange::Sources);
    }
    if (result.inserted)
        tx.changed(StoreChange::Interactions);
    return result;
}

} // namespace winnow
