#include "ui/interactions/interactions_page.h"

#include "core/ingest/canonical_json.h"
#include "core/review/review.h"
#include "ui/review/make_queue.h"
#include "ui/widgets/conversation_html.h"

#include <QApplication>
#include <QClipboard>
#include <QDateTime>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPainter>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>
#include <functional>
#include <map>

namespace winnow {

namespace {

class SignalDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        QStyleOptionViewItem plain = option;
        initStyleOption(&plain, index);
        plain.text.clear();
        option.widget->style()->drawControl(QStyle::CE_ItemViewItem, &plain, painter, option.widget);
        const qint64 mask = index.data(InteractionListModel::SignalMaskRole).toLongLong();
        const int size = option.rect.height() - 8;
        int x = option.rect.left() + 4;
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing);
        QFont font = option.font;
        font.setBold(true);
        font.setPixelSize(std::max(8, size - 5));
        painter->setFont(font);
        for (int k = 0; k < signalKindCount; ++k) {
            if (!((mask >> k) & 1))
                continue;
            const QRect badge(x, option.rect.top() + 4, size, size);
            painter->setPen(Qt::NoPen);
            painter->setBrush(signalColour(k));
            painter->drawRoundedRect(badge, 3, 3);
            painter->setPen(Qt::white);
            painter->drawText(badge, Qt::AlignCenter, QString::fromLatin1(signalLetter(k)));
            x += size + 3;
        }
        painter->restore();
    }
};

// Text with the search's words highlighted.
class HighlightDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        const QStringList terms = index.data(InteractionListModel::MatchTermsRole).toStringList();
        if (terms.isEmpty()) {
            QStyledItemDelegate::paint(painter, option, index);
            return;
        }
        QStyleOptionViewItem opt = option;
        initStyleOption(&opt, index);
        const QString text = opt.text;
        opt.text.clear();
        opt.widget->style()->drawControl(QStyle::CE_ItemViewItem, &opt, painter, opt.widget);
        const QRect area = opt.rect.adjusted(4, 0, -4, 0);
        const QFontMetrics metrics(opt.font);
        const QString shown = metrics.elidedText(text, Qt::ElideRight, area.width());
        painter->save();
        painter->setClipRect(area);
        for (const QString& term : terms) {
            for (qsizetype at = shown.indexOf(term, 0, Qt::CaseInsensitive); at >= 0;
                 at = shown.indexOf(term, at + term.size(), Qt::CaseInsensitive)) {
                const int left = metrics.horizontalAdvance(shown.left(at));
                const int width = metrics.horizontalAdvance(shown.mid(at, term.size()));
                painter->fillRect(QRect(area.left() + left, area.top() + 2, width, area.height() - 4),
                                  QColor(0xff, 0xd5, 0x4f, 170));
            }
        }
        painter->setPen(opt.palette.color(opt.state & QStyle::State_Selected ? QPalette::HighlightedText
                                                                             : QPalette::Text));
        painter->drawText(area, Qt::AlignLeft | Qt::AlignVCenter, shown);
        painter->restore();
    }
};

} // namespace

InteractionsPage::InteractionsPage(QWidget* parent) : Page(parent), m_details(new JobTracker(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 4, 12, 8);
    auto* top = new QHBoxLayout;
    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Search messages (all words; the last one as a prefix)"));
    m_search->setClearButtonEnabled(true);
    m_search->setToolTip(tr("Full-text search over user, assistant and tool messages (Ctrl+F)"));
    m_count = new QLabel(this);
    m_review = new QPushButton(tr("Review these…"), this);
    m_review->setToolTip(
        tr("A review queue of the selected interactions (several selected), or of the whole slice "
           "in priority order"));
    top->addWidget(m_search, 1);
    top->addWidget(m_count);
    top->addWidget(m_review);
    connect(m_review, &QPushButton::clicked, this, &InteractionsPage::reviewThese);
    layout->addLayout(top);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    m_model = new InteractionListModel(this);
    m_table = new QTableView(splitter);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    // Fixed row heights: the view never measures millions of rows.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSortingEnabled(true);
    m_table->horizontalHeader()->setSortIndicator(InteractionListModel::Time, Qt::DescendingOrder);
    // Time, agent (the indexed orders) and scores sort: the indicator goes back for other columns.
    connect(m_table->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this, [this](int column) {
        if (column == InteractionListModel::Time || column == InteractionListModel::Agent ||
            column >= InteractionListModel::ColumnCount)
            return;
        showSortIndicator();
    });
    m_table->setItemDelegateForColumn(InteractionListModel::Signals, new SignalDelegate(m_table));
    m_table->setItemDelegateForColumn(InteractionListModel::FirstUserMessage, new HighlightDelegate(m_table));
    const int widths[] = {144, 102, 52, 108, 76, 56, 80, 64};
    for (int c = 0; c < int(std::size(widths)); ++c)
        m_table->setColumnWidth(c, widths[c]);

    auto* detailPane = new QWidget(splitter);
    auto* detailLayout = new QVBoxLayout(detailPane);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    auto* detailBar = new QHBoxLayout;
    detailBar->addStretch();
    m_copy = new QPushButton(tr("Copy as JSON"), detailPane);
    m_copy->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    m_copy->setToolTip(tr("Copy the interaction in Winnow's JSONL shape (Ctrl+Shift+C)"));
    m_copy->setEnabled(false);
    detailBar->addWidget(m_copy);
    detailLayout->addLayout(detailBar);
    m_detail = new QTextBrowser(detailPane);
    m_detail->setOpenLinks(false);
    m_detail->setPlaceholderText(tr("Select an interaction to read it."));
    detailLayout->addWidget(m_detail);
    splitter->addWidget(m_table);
    splitter->addWidget(detailPane);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({940, 340});
    layout->addWidget(splitter, 1);
    setFocusProxy(m_table);
    setTabOrder(m_search, m_table);
    setTabOrder(m_table, m_copy);
    setTabOrder(m_copy, m_detail);

    auto* searchDelay = new QTimer(this);
    searchDelay->setSingleShot(true);
    searchDelay->setInterval(250);
    connect(m_search, &QLineEdit::textChanged, searchDelay, qOverload<>(&QTimer::start));
    connect(searchDelay, &QTimer::timeout, this, [this] { m_model->setSearch(m_search->text()); });
    connect(m_model, &InteractionListModel::countChanged, this, [this](qint64 rows, bool truncated) {
        const QString score = QString::fromStdString(m_model->sortOrder().score);
        m_count->setText(
            truncated && m_search->text().trimmed().isEmpty()
                ? tr("first %1 by %2; narrow the slice for the rest").arg(QLocale().toString(rows), score)
            : truncated ? tr("first %1 matches; refine the search").arg(QLocale().toString(rows))
            : rows == 1 ? tr("1 interaction")
                        : tr("%1 interactions").arg(QLocale().toString(rows)));
        Q_EMIT loaded();
    });
    connect(m_model, &InteractionListModel::loadFailed, this, [this](const QString& message) {
        m_count->setText(tr("Could not read: %1").arg(message));
        Q_EMIT loaded();
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                if (current.isValid())
                    showDetail(m_model->idAt(current.row()));
            });
    connect(m_model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex& first, const QModelIndex& last) {
                // The selected row's page arrived after it was selected.
                const QModelIndex current = m_table->currentIndex();
                if (current.isValid() && current.row() >= first.row() && current.row() <= last.row() &&
                    (!m_shown || m_shown->id != m_model->idAt(current.row())))
                    showDetail(m_model->idAt(current.row()));
            });
    connect(m_detail, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
        const int call = url.fragment().toInt();
        if (!m_expanded.erase(call))
            m_expanded.insert(call);
        const int scroll = m_detail->verticalScrollBar()->value();
        render();
        m_detail->verticalScrollBar()->setValue(scroll);
    });
    connect(m_copy, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(m_json); });
}

void InteractionsPage::setOutline(const StoreOutline& outline)
{
    m_model->setScoreColumns(outline.scoreNames);
    // Score columns come after the message in the model; shown before it, which keeps the rest of
    // the width.
    QHeaderView* header = m_table->horizontalHeader();
    for (int column = InteractionListModel::ColumnCount; column < m_model->columnCount(); ++column) {
        header->moveSection(header->visualIndex(column),
                            header->visualIndex(InteractionListModel::FirstUserMessage));
        m_table->setColumnWidth(column, 72);
    }
    showSortIndicator();
}

void InteractionsPage::showSortIndicator()
{
    const InteractionSort sort = m_model->sortOrder();
    int column = sort.byAgent ? InteractionListModel::Agent : InteractionListModel::Time;
    for (size_t i = 0; i < m_model->scoreColumns().size(); ++i)
        if (m_model->scoreColumns()[i] == sort.score)
            column = InteractionListModel::ColumnCount + int(i);
    const QSignalBlocker blocker(m_table->horizontalHeader());
    m_table->horizontalHeader()->setSortIndicator(column,
                                                  sort.descending ? Qt::DescendingOrder : Qt::AscendingOrder);
}

void InteractionsPage::setStore(const StoreContext& store)
{
    m_writer = store.writer;
    m_details->setStorePath(store.path);
    m_model->setStorePath(store.path);
}

void InteractionsPage::prepareScreenshot()
{
    // Waits (on timers, never blocking) for the first page, picks the first row with a signal
    // among the first hundred, and opens it.
    auto* poll = new QTimer(this);
    auto started = std::make_shared<QElapsedTimer>();
    started->start();
    connect(poll, &QTimer::timeout, this, [this, poll, started] {
        const bool firstLoaded =
            m_model->rowCount() == 0 ||
            !m_model->data(m_model->index(0, 0), InteractionListModel::LoadingRole).toBool();
        if (!firstLoaded && started->elapsed() < 10000)
            return;
        poll->deleteLater();
        if (m_model->rowCount() == 0) {
            Q_EMIT screenshotReady();
            return;
        }
        int row = 0;
        for (int r = 0; r < std::min(m_model->rowCount(), 100); ++r)
            if (m_model->data(m_model->index(r, 0), InteractionListModel::SignalMaskRole).toLongLong() != 0) {
                row = r;
                break;
            }
        connect(this, &InteractionsPage::detailLoaded, this, &Page::screenshotReady,
                Qt::SingleShotConnection);
        m_table->selectRow(row);
    });
    poll->start(20);
}

void InteractionsPage::setFilter(const MetricsFilter& filter)
{
    m_model->setFilter(filter);
}

void InteractionsPage::refresh()
{
    m_model->refresh();
}

QString InteractionsPage::detailText() const
{
    return m_detail->toPlainText();
}

QString InteractionsPage::countText() const
{
    return m_count->text();
}

void InteractionsPage::reviewThese()
{
    QueueRequest request;
    std::set<int> rows; // the rows with anything selected, in order
    for (const QModelIndex& index : m_table->selectionModel()->selectedIndexes())
        rows.insert(index.row());
    for (const int row : rows) {
        const qlonglong id = m_model->data(m_model->index(row, 0), InteractionListModel::IdRole).toLongLong();
        if (id >= 0)
            request.interactionIds.push_back(id);
    }
    if (request.interactionIds.size() >= 2 ||
        (!m_model->searchTerms().isEmpty() && !request.interactionIds.empty())) {
        request.order = QueueOrder::Given;
    } else if (!m_model->searchTerms().isEmpty()) {
        m_count->setText(tr("With a search, select the interactions to review."));
        return;
    } else {
        request.interactionIds.clear();
        request.filter = m_model->filter();
    }
    const QString what = request.order == QueueOrder::Given
                             ? tr("A queue of the %n selected interaction(s), named:", nullptr,
                                  int(request.interactionIds.size()))
                             : tr("A queue of this slice (%1), worst first, named:").arg(m_count->text());
    askAndMakeQueue(
        this, m_details->storePath(), m_writer, request, what,
        [this](const ReviewQueue& queue) {
            m_count->setText(tr("Queue %1 made (%n interaction(s))", nullptr, int(queue.items))
                                 .arg(QString::fromStdString(queue.name)));
            Q_EMIT reviewQueue(QString::fromStdString(queue.name));
        },
        [this](const QString& error) { m_count->setText(tr("No queue made: %1").arg(error)); });
}

void InteractionsPage::showDetail(std::int64_t id)
{
    if (id < 0)
        return;
    m_details->start<std::optional<InteractionDetail>>(
        [id](JobContext& context) { return InteractionStore(context.database()).detail(id); },
        [this](std::optional<InteractionDetail> detail) {
            m_shown = std::move(detail);
            m_expanded.clear();
            render();
            Q_EMIT detailLoaded();
        },
        [this](const Error& error) {
            m_detail->setPlainText(tr("Could not read it: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT detailLoaded();
        });
}

void InteractionsPage::render()
{
    if (!m_shown) {
        m_detail->clear();
        m_copy->setEnabled(false);
        return;
    }
    const Interaction& in = m_shown->interaction;
    m_json = QString::fromStdString(canonicalJson(in));
    m_copy->setEnabled(true);
    ConversationHtmlOptions options;
    options.highlightTerms = m_model->searchTerms();
    options.expandedToolCalls = m_expanded;
    QString html = conversationHtml(in, options);
    if (!m_shown->sourcePath.empty())
        html += tr("<p style=\"color:gray\">From %1</p>").arg(escaped(m_shown->sourcePath));
    for (const ItemBatch& batch : m_shown->batches) {
        const QString format = batch.split == "all" ? escaped(batch.format)
                                                    : tr("%1, %2 split").arg(escaped(batch.format), escaped(batch.split));
        html += tr("<p style=\"color:gray\">Exported in batch %1 (%2) on %3</p>")
                    .arg(batch.batchId)
                    .arg(format, QDateTime::fromMSecsSinceEpoch(batch.createdMs).toString(QStringLiteral("yyyy-MM-dd hh:mm")));
    }
    m_detail->setHtml(html);
}

} // namespace winnow
