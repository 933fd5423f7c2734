#include "core/store/rederive.h"

#include "core/store/store_writer.h"

#include <memory>

namespace winnow {

Result<std::int64_t>
rederiveStored(Database& reader, StoreWriter& writer, const std::function<void(std::vector<StoredInteraction>&)>& derive,
               const std::function<void(WriteTransaction&, const std::vector<StoredInteraction>&)>& write,
               const std::function<void(std::int64_t done)>& progress, const std::atomic<bool>* cancel)
{
    InteractionStore interactions(reader);
    InteractionCursor cursor;
    constexpr std::int64_t chunk = 1000;
    std::int64_t done = 0;
    while (!(cancel && cancel->load())) {
        auto batch = std::make_shared<std::vector<StoredInteraction>>(interactions.after(cursor, chunk));
        if (batch->empty())
            break;
        derive(*batch);
        Status written = writer.write(WritePriority::Bulk, [batch, &write](WriteTransaction& tx) { write(tx, *batch); });
        if (!written)
            return written.error();
        done += static_cast<std::int64_t>(batch->size());
        if (progress)
            progress(done);
    }
    return done;
}

} // namespace winnow
