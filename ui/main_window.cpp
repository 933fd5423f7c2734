#include "ui/main_window.h"

#include "core/store/store.h"

#include <QAction>
#include <QCoreApplication>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QPointer>
#include <QSettings>
#include <QStringList>
#include <QThreadPool>
#include <QVBoxLayout>

namespace winnow {

MainWindow::MainWindow(const QString& storePath, QWidget* parent) : QMainWindow(parent)
{
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(32, 32, 32, 32);
    m_title = new QLabel(central);
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.6);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_path = new QLabel(central);
    m_path->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_path->setForegroundRole(QPalette::PlaceholderText);
    m_summary = new QLabel(central);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_title);
    layout->addWidget(m_path);
    layout->addSpacing(12);
    layout->addWidget(m_summary);
    layout->addStretch();
    setCentralWidget(central);

    auto* file = menuBar()->addMenu(tr("&File"));
    auto* open = file->addAction(tr("&Open Store…"));
    open->setShortcut(QKeySequence::Open);
    open->setToolTip(tr("Open a Winnow store (%1)").arg(open->shortcut().toString(QKeySequence::NativeText)));
    connect(open, &QAction::triggered, this, [this] {
        const QString path =
            QFileDialog::getOpenFileName(this, tr("Open Store"), QFileInfo(m_storePath).absolutePath(),
                                         tr("Winnow stores (*.db);;All files (*)"));
        if (!path.isEmpty())
            openStore(path);
    });
    auto* reload = file->addAction(tr("&Refresh"));
    reload->setShortcut(QKeySequence::Refresh);
    reload->setToolTip(
        tr("Read the store's counts again (%1)").arg(reload->shortcut().toString(QKeySequence::NativeText)));
    connect(reload, &QAction::triggered, this, &MainWindow::refresh);
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    resize(1000, 640);
    restoreGeometry(QSettings().value(QStringLiteral("window/geometry")).toByteArray());
    openStore(storePath);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings().setValue(QStringLiteral("window/geometry"), saveGeometry());
    QMainWindow::closeEvent(event);
}

QString MainWindow::summaryText() const
{
    return m_summary->text();
}

void MainWindow::openStore(const QString& path)
{
    m_storePath = path;
    setWindowTitle(tr("Winnow — %1").arg(QFileInfo(path).fileName()));
    m_title->setText(QFileInfo(path).fileName());
    m_path->setText(QFileInfo(path).absoluteFilePath());
    refresh();
}

void MainWindow::refresh()
{
    const quint64 generation = ++m_generation;
    m_summary->setText(tr("Reading the store…"));
    QPointer<MainWindow> self(this);
    const std::string path = m_storePath.toStdString();
    QThreadPool::globalInstance()->start([self, generation, path] {
        QString text;
        try {
            {
                Store writer(path); // creates and migrates a new store
            }
            Store store(path, Store::Mode::ReadOnly);
            const StoreStats s = store.stats();
            const QLocale locale;
            auto count = [&locale](std::int64_t n, const QString& one, const QString& many) {
                return locale.toString(n) + QLatin1Char(' ') + (n == 1 ? one : many);
            };
            text = QStringList{count(s.interactions, tr("interaction"), tr("interactions")),
                               count(s.messages, tr("message"), tr("messages")),
                               count(s.toolCalls, tr("tool call"), tr("tool calls")),
                               count(s.sources, tr("source"), tr("sources")),
                               count(s.quarantined, tr("quarantined record"), tr("quarantined records"))}
                       .join(QStringLiteral(" · "));
        } catch (const std::exception& e) {
            text = tr("Cannot open the store: %1").arg(QString::fromUtf8(e.what()));
        }
        QMetaObject::invokeMethod(
            qApp,
            [self, generation, text] {
                if (!self || generation != self->m_generation)
                    return;
                self->m_summary->setText(text);
                Q_EMIT self->statsLoaded();
            },
            Qt::QueuedConnection);
    });
}

} // namespace winnow
