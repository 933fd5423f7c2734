#include "core/ingest/batch.h"

#include "core/store/interaction_store.h"
#include "core/store/otlp_source_store.h"
#include "core/store/source_store.h"
#include "core/store/store_writer.h"
#include "core/util/text.h"

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
    for (const std::string& key : batch.replacedKeys)
        if (const auto id = InteractionStore(tx.database()).idOfKey(key))
            tx.interactions().remove({*id});
    const InsertResult inserted = tx.interactions().insert(batch.interactions, batch.position.sourceId,
                                                           batch.hasRollups ? &batch.rollups : nullptr);
    result.inserted = inserted.inserted;
    result.duplicates = inserted.duplicates;
    if (!batch.otlpCommitted.empty() || !batch.otlpWaiting.empty()) {
        OtlpSourceStore otlp(tx.database());
        otlp.commitTraces(batch.otlpCommitted, nowMs());
        otlp.addWaiting(batch.otlpWaiting);
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
