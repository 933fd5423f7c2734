// winnow serve: the OTLP/HTTP receiver, and watched log paths, until SIGINT or SIGTERM.

#include "app/command.h"
#include "app/render.h"

#include "core/ingest/ingestor.h"
#include "core/ingest/otlp_receiver.h"
#include "core/store/store_writer.h"

#include <QEventLoop>
#include <QFile>
#include <QTimer>

#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>
#include <thread>

namespace winnow::cli {

namespace {
struct ServeArguments
{
    std::string otlp = "127.0.0.1:4318";
    std::vector<std::string> watch;
    std::int64_t maxBodyMb = 64;
    std::int64_t quietSeconds = 30;
    std::int64_t intervalMs = 1000;
    std::string tokenFile;
    std::string tlsCertificate;
    std::string tlsKey;
    std::int64_t maxConnections = 256;
};

// The bearer token: the file's first line, which must not be empty.
QByteArray readToken(const std::string& path)
{
    QFile file(q(path));
    if (!file.open(QIODevice::ReadOnly))
        throw UsageError{"--token-file " + path + ": " + file.errorString().toStdString()};
    const QByteArray token = file.readLine(4096).trimmed();
    if (token.size() < 16)
        throw UsageError{"--token-file " + path + ": the token (its first line) needs 16 characters or more"};
    return token;
}
} // namespace

Runner defineServe(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<ServeArguments>();
    command.description(
        "Receive OTLP/HTTP traces (POST /v1/traces, JSON or protobuf, gzip) and watch log paths "
        "until SIGINT or SIGTERM; then commit everything received and exit.");
    command.add_option("--otlp", a->otlp, "Where to listen, HOST:PORT with a numeric address")
        ->type_name("HOST:PORT");
    repeatable(command.add_option("--watch", a->watch,
                                  "A file or folder to tail as ingest --follow does (repeatable)"))
        ->type_name("PATH");
    command
        .add_option("--max-body-mb", a->maxBodyMb,
                    "Larger bodies (before or after gunzip) get 413 (1 to 4096)")
        ->check(CLI::Range(1, 4096));
    command
        .add_option("--quiet-seconds", a->quietSeconds,
                    "A trace without its root span is taken as it is after this long without new spans (1 to "
                    "86400)")
        ->check(CLI::Range(1, 86400));
    command.add_option("--interval-ms", a->intervalMs, "How often watched paths are read (50 to 3600000)")
        ->check(CLI::Range(50, 3'600'000));
    command
        .add_option("--token-file", a->tokenFile,
                    "Requests must carry 'Authorization: Bearer TOKEN', TOKEN being this file's first line; "
                    "needed to listen on an address other than loopback")
        ->type_name("PATH");
    auto* certificate =
        command.add_option("--tls-cert", a->tlsCertificate, "Serve HTTPS with this PEM certificate (chain)")
            ->type_name("PATH");
    auto* key = command.add_option("--tls-key", a->tlsKey, "The certificate's PEM private key (unencrypted)")
                    ->type_name("PATH");
    certificate->needs(key);
    key->needs(certificate);
    command
        .add_option("--max-connections", a->maxConnections,
                    "Connections open at once; more are answered 503 (1 to 65536)")
        ->check(CLI::Range(1, 65536));
    setExamples(command,
                {"winnow --db agents.db serve",
                 "winnow --db agents.db serve --otlp 127.0.0.1:4318 --watch /var/log/agent/ --json",
                 "winnow --db agents.db serve --otlp 0.0.0.0:4318 --token-file token.txt --tls-cert cert.pem "
                 "--tls-key key.pem"});
    return [&context, a]() -> int {
        OtlpReceiverOptions options;
        const auto colon = a->otlp.rfind(':');
        bool portOk = false;
        const int port = colon == std::string::npos ? -1 : q(a->otlp.substr(colon + 1)).toInt(&portOk);
        options.address = QHostAddress(q(a->otlp.substr(0, colon == std::string::npos ? 0 : colon)));
        if (!portOk || port < 0 || port > 65535 || options.address.isNull())
            throw UsageError{"--otlp needs HOST:PORT with a numeric address, e.g. 127.0.0.1:4318"};
        options.port = static_cast<quint16>(port);
        options.maxBodyBytes = a->maxBodyMb << 20;
        options.quietSeconds = static_cast<int>(a->quietSeconds);
        options.maxConnections = static_cast<int>(a->maxConnections);
        if (!a->tokenFile.empty())
            options.bearerToken = readToken(a->tokenFile);
        options.tlsCertificateFile = q(a->tlsCertificate);
        options.tlsKeyFile = q(a->tlsKey);

        std::shared_ptr<StoreWriter> writer = openWriter(context);
        OtlpReceiver receiver(writer, options);
        QString error;
        if (!receiver.start(&error))
            throw CommandFailed{Error{"cannot serve on " + a->otlp + ": " + error.toStdString(), {}}};
        std::atomic<bool> stopWatching{false};
        std::thread watcher;
        if (!a->watch.empty())
            watcher = std::thread([&writer, &stopWatching, a] {
                IngestOptions watchOptions;
                watchOptions.follow = true;
                watchOptions.cancel = &stopWatching;
                Ingestor(*writer, watchOptions)
                    .follow(a->watch, std::chrono::milliseconds(a->intervalMs), stopWatching);
            });
        std::cerr << "listening on " << receiver.port() << " ("
                  << (options.tlsCertificateFile.isEmpty() ? "http://" : "https://")
                  << options.address.toString().toStdString() << ":" << receiver.port() << "/v1/traces"
                  << (options.bearerToken.isEmpty() ? "" : ", bearer token required") << ")";
        for (const std::string& path : a->watch)
            std::cerr << ", watching " << path;
        std::cerr << "; Ctrl-C to stop" << std::endl;

        // Monitors run on what arrived, off the receiver's threads: every 30 s when commits happened.
        std::atomic<bool> stopMonitoring{false};
        std::thread monitoring([&context, &writer, &stopMonitoring] {
            std::uint64_t seen = writer->commits();
            while (!stopMonitoring.load()) {
                for (int tick = 0; tick < 300 && !stopMonitoring.load(); ++tick)
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                if (stopMonitoring.load() || writer->commits() == seen)
                    continue;
                seen = writer->commits();
                checkMonitorsAfterData(context, *writer);
            }
        });
        stopOnInterrupt();
        QEventLoop loop;
        QTimer poll;
        QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
            if (interrupted().load())
                loop.quit();
        });
        poll.start(50);
        loop.exec();
        receiver.stop(); // commits every pending trace
        stopWatching = true;
        stopMonitoring = true;
        monitoring.join();
        if (watcher.joinable())
            watcher.join(); // stops at its next commit
        writer->drain();
        const OtlpReceiverStats stats = receiver.stats();
        if (context.json) {
            printJson(QJsonObject{{QStringLiteral("requests"), static_cast<qint64>(stats.requests)},
                                  {QStringLiteral("rejected"), static_cast<qint64>(stats.rejected)},
                                  {QStringLiteral("spans"), static_cast<qint64>(stats.spans)},
                                  {QStringLiteral("log_records"), static_cast<qint64>(stats.logRecords)},
                                  {QStringLiteral("interactions"), static_cast<qint64>(stats.interactions)}});
        } else {
            std::cout << "requests      " << stats.requests << "\nrejected      " << stats.rejected
                      << "\nspans         " << stats.spans << "\nlog records   " << stats.logRecords
                      << "\ninteractions  " << stats.interactions
                      << " (new ones this run; winnow stats has the total)\n";
        }
        return exitOk;
    };
}

} // namespace winnow::cli
