#include "core/jobs/ingest_runner.h"

#include "core/demo/generator.h"
#include "core/ingest/ingestor.h"
#include "core/store/store.h"

#include <QLocale>
#include <QMetaObject>
#include <QTemporaryDir>

#include <chrono>

namespace winnow {

IngestRunner::IngestRunner(QObject* parent) : QObject(parent) {}

IngestRunner::~IngestRunner()
{
    m_cancel = true;
    if (m_thread.joinable())
        m_thread.join();
}

void IngestRunner::setStorePath(const std::string& path)
{
    cancel();
    if (m_thread.joinable())
        m_thread.join();
    m_storePath = path;
}

void IngestRunner::cancel()
{
    m_cancel = true;
}

bool IngestRunner::start(std::function<QString(const std::atomic<bool>& cancel)> task)
{
    if (m_running.exchange(true))
        return false;
    if (m_thread.joinable())
        m_thread.join();
    m_cancel = false;
    m_thread = std::thread([this, task = std::move(task)] {
        QString message;
        bool ok = true;
        try {
            message = task(m_cancel);
        } catch (const std::exception& e) {
            message = QString::fromStdString(e.what());
            ok = false;
        }
        m_running = false;
        QMetaObject::invokeMethod(
            this, [this, message, ok] { Q_EMIT finished(message, ok); }, Qt::QueuedConnection);
    });
    return true;
}

namespace {
QString summaryText(const IngestSummary& s)
{
    const QLocale locale;
    QString text = QObject::tr("%1 ingested, %2 duplicates, %3 quarantined")
                       .arg(locale.toString(static_cast<qint64>(s.ingested)),
                            locale.toString(static_cast<qint64>(s.duplicates)),
                            locale.toString(static_cast<qint64>(s.quarantined)));
    if (s.cancelled)
        text += QObject::tr(" (cancelled)");
    for (const FileReport& f : s.files)
        if (!f.error.empty())
            text += QStringLiteral("; ") + QString::fromStdString(f.path + ": " + f.error);
    return text;
}
} // namespace

bool IngestRunner::loadDemo(std::int64_t interactions)
{
    const std::string storePath = m_storePath;
    return start([this, storePath, interactions](const std::atomic<bool>& cancel) {
        QTemporaryDir dir;
        const std::string file = dir.filePath(QStringLiteral("demo.jsonl")).toStdString();
        Q_EMIT progress(tr("Generating demo logs"), -1, 0);
        DemoOptions options;
        options.interactions = interactions;
        const std::string error = writeDemo(options, DemoFormat::Jsonl, file);
        if (!error.empty())
            throw std::runtime_error(error);
        if (cancel)
            return tr("Cancelled");
        Store store(storePath);
        IngestOptions ingestOptions;
        ingestOptions.cancel = &cancel;
        Ingestor ingestor(store, ingestOptions);
        ingestor.onProgress = [this](const IngestProgress& p) {
            Q_EMIT progress(tr("Loading demo data"),
                            p.bytesTotal ? double(p.bytesDone) / double(p.bytesTotal) : -1, p.ingested);
            Q_EMIT committed();
        };
        const IngestSummary summary = ingestor.ingest({file});
        return tr("Demo data: %1").arg(summaryText(summary));
    });
}

bool IngestRunner::ingest(std::vector<std::string> paths, bool watch, int intervalMs)
{
    const std::string storePath = m_storePath;
    return start(
        [this, storePath, paths = std::move(paths), watch, intervalMs](const std::atomic<bool>& cancel) {
            Store store(storePath);
            IngestOptions options;
            options.follow = watch;
            options.cancel = &cancel;
            Ingestor ingestor(store, options);
            ingestor.onProgress = [this](const IngestProgress& p) {
                Q_EMIT progress(QString::fromStdString(p.path),
                                p.bytesTotal ? double(p.bytesDone) / double(p.bytesTotal) : -1, p.ingested);
                Q_EMIT committed();
            };
            IngestSummary total = ingestor.ingest(paths);
            while (watch && !cancel) {
                const auto wakeAt = std::chrono::steady_clock::now() + std::chrono::milliseconds(intervalMs);
                while (!cancel && std::chrono::steady_clock::now() < wakeAt)
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                if (cancel)
                    break;
                const IngestSummary round = ingestor.ingest(paths);
                total.ingested += round.ingested;
                total.duplicates += round.duplicates;
                total.quarantined += round.quarantined;
            }
            total.cancelled = cancel && !watch;
            return summaryText(total);
        });
}

} // namespace winnow
