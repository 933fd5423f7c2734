#include "ui/review/review_page.h"

#include "core/jobs/job_tracker.h"
#include "core/review/review.h"
#include "ui/review/commands/submit_label_command.h"
#include "ui/review/guidelines_dialog.h"
#include "ui/review/taxonomy_dialog.h"
#include "ui/settings.h"
#include "ui/widgets/conversation_html.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFontMetrics>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QUndoStack>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>

namespace winnow {

namespace {

// The words of `before` and `after` with what was taken out struck through and what was put in
// marked: a longest common subsequence over words (answers are short).
QString wordDiffHtml(const QString& before, const QString& after)
{
    const QStringList a = before.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
    const QStringList b = after.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
    if (a.size() * b.size() > 4'000'000)
        return QCoreApplication::translate("Review", "<i>(too long to compare word by word)</i>");
    std::vector<std::vector<int>> common(size_t(a.size()) + 1, std::vector<int>(size_t(b.size()) + 1, 0));
    for (qsizetype i = a.size() - 1; i >= 0; --i)
        for (qsizetype j = b.size() - 1; j >= 0; --j)
            common[size_t(i)][size_t(j)] =
                a[i] == b[j] ? common[size_t(i) + 1][size_t(j) + 1] + 1
                             : std::max(common[size_t(i) + 1][size_t(j)], common[size_t(i)][size_t(j) + 1]);
    QString html;
    qsizetype i = 0, j = 0;
    auto word = [](const QString& w) { return w.toHtmlEscaped() + QLatin1Char(' '); };
    while (i < a.size() || j < b.size()) {
        if (i < a.size() && j < b.size() && a[i] == b[j]) {
            html += word(a[i]);
            ++i;
            ++j;
        } else if (j < b.size() &&
                   (i == a.size() || common[size_t(i)][size_t(j) + 1] >= common[size_t(i) + 1][size_t(j)])) {
            html +=
                QStringLiteral("<span style=\"background:#c8e6c9;color:black\">%1</span>").arg(word(b[j]));
            ++j;
        } else {
            html +=
                QStringLiteral(
                    "<span style=\"background:#ffcdd2;color:black;text-decoration:line-through\">%1</span>")
                    .arg(word(a[i]));
            ++i;
        }
    }
    return html;
}

} // namespace

ReviewPage::ReviewPage(QWidget* parent)
    : Page(parent), m_queueJobs(new JobTracker(this)), m_itemJobs(new JobTracker(this)),
      m_prefetchJobs(new JobTracker(this)), m_model(new ReviewQueueModel(this)), m_undo(new QUndoStack(this)),
      m_overviewJobs(new JobTracker(this))
{
    auto* layout = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Queue"), this));
    m_queues = new QComboBox(this);
    m_queues->setMinimumWidth(200);
    bar->addWidget(m_queues);
    auto* showLabel = new QLabel(tr("Show"), this);
    m_show = new QComboBox(this);
    m_show->addItem(tr("All items"), int(ReviewQueueModel::Show::All));
    m_show->addItem(tr("To do"), int(ReviewQueueModel::Show::ToDo));
    m_show->addItem(tr("Drafts"), int(ReviewQueueModel::Show::Drafts));
    m_show->addItem(tr("Done"), int(ReviewQueueModel::Show::Done));
    m_show->setToolTip(tr("Which items the list shows, by where your label stands"));
    m_show->setFocusPolicy(Qt::NoFocus);
    showLabel->setBuddy(m_show);
    bar->addWidget(showLabel);
    bar->addWidget(m_show);
    connect(m_show, &QComboBox::currentIndexChanged, this,
            [this] { showItems(static_cast<ReviewQueueModel::Show>(m_show->currentData().toInt())); });
    bar->addWidget(new QLabel(tr("Reviewer"), this));
    m_reviewer = new QLineEdit(settings::reviewer.value(), this);
    m_reviewer->setPlaceholderText(tr("your name"));
    m_reviewer->setMaximumWidth(180);
    bar->addWidget(m_reviewer);
    m_progress = new QLabel(this);
    bar->addWidget(m_progress, 1);
    m_overviewButton = new QPushButton(tr("Queue overview"), this);
    m_overviewButton->setCheckable(true);
    m_overviewButton->setToolTip(tr("Progress, failure rate, agreement and adjudication of this queue"));
    bar->addWidget(m_overviewButton);
    auto* taxonomy = new QPushButton(tr("Taxonomy…"), this);
    taxonomy->setToolTip(tr("Add, rename, describe, retire or reorder the failure categories"));
    bar->addWidget(taxonomy);
    connect(taxonomy, &QPushButton::clicked, this, [this] {
        auto* dialog = new TaxonomyDialog(m_store, m_reviewer->text().trimmed(), this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QDialog::finished, this, [this] { loadQueues(); }); // the categories as edited
        dialog->open();
    });
    auto* help = new QPushButton(tr("Shortcuts (?)"), this);
    bar->addWidget(help);
    layout->addLayout(bar);

    auto* split = new QSplitter(Qt::Horizontal, this);
    m_items = new QTableView(split);
    m_items->setModel(m_model);
    m_items->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_items->setSelectionMode(QAbstractItemView::SingleSelection);
    m_items->verticalHeader()->hide();
    // One line per item, all the same height: dense, and nothing measured per row.
    m_items->setWordWrap(false);
    m_items->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_items->verticalHeader()->setDefaultSectionSize(m_items->fontMetrics().height() + 8);
    m_items->horizontalHeader()->setStretchLastSection(true);
    m_items->setFocusPolicy(Qt::NoFocus);

    auto* centre = new QWidget(split);
    auto* centreLayout = new QVBoxLayout(centre);
    centreLayout->setContentsMargins(0, 0, 0, 0);
    // The queue's guidelines: folded or not (remembered), edited in a dialog.
    auto* guidelinesBar = new QHBoxLayout;
    m_guidelinesToggle = new QToolButton(centre);
    m_guidelinesToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_guidelinesToggle->setAutoRaise(true);
    m_guidelinesToggle->setCheckable(true);
    m_guidelinesToggle->setChecked(!settings::guidelinesFolded.value());
    m_guidelinesToggle->setFocusPolicy(Qt::NoFocus);
    m_guidelinesToggle->setToolTip(tr("Show or fold the queue's guidelines (G)"));
    m_editGuidelines = new QToolButton(centre);
    m_editGuidelines->setAutoRaise(true);
    m_editGuidelines->setFocusPolicy(Qt::NoFocus);
    m_editGuidelines->setToolTip(tr("Write the queue's guidelines in Markdown"));
    guidelinesBar->addWidget(m_guidelinesToggle);
    guidelinesBar->addStretch();
    guidelinesBar->addWidget(m_editGuidelines);
    centreLayout->addLayout(guidelinesBar);
    m_guidelines = new QTextBrowser(centre);
    m_guidelines->setMaximumHeight(150);
    m_guidelines->setOpenExternalLinks(true);
    m_guidelines->setFocusPolicy(Qt::NoFocus);
    centreLayout->addWidget(m_guidelines);
    connect(m_guidelinesToggle, &QToolButton::toggled, this, [this](bool shown) {
        settings::guidelinesFolded.set(!shown);
        updateGuidelines();
    });
    connect(m_editGuidelines, &QToolButton::clicked, this, &ReviewPage::editGuidelines);
    m_conversation = new QTextBrowser(centre);
    m_conversation->setFocusPolicy(Qt::NoFocus);
    m_conversation->setOpenLinks(false);
    connect(m_conversation, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
        const QStringList parts = url.toString().split(QLatin1Char(':'));
        if (parts.size() == 3 && parts[0] == QLatin1String("judge")) {
            if (parts[1] == QLatin1String("call"))
                judgeToolCall(parts[2].toInt());
            else
                judgeTurn(parts[2].toInt());
        }
    });
    centreLayout->addWidget(m_conversation, 1);
    m_overview = new QTextBrowser(centre);
    m_overview->setOpenLinks(false);
    m_overview->hide();
    centreLayout->addWidget(m_overview, 1);
    connect(m_overview, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
        // adjudicate:INTERACTION:REVIEWER
        const QStringList parts = url.toString().split(QLatin1Char(':'));
        if (parts.size() == 3 && parts[0] == QLatin1String("adjudicate") && parts[2].isEmpty())
            writeFinalLabel(parts[1].toLongLong());
        else if (parts.size() >= 3 && parts[0] == QLatin1String("adjudicate"))
            adjudicateWith(parts[1].toLongLong(),
                           QUrl::fromPercentEncoding(parts.mid(2).join(QLatin1Char(':')).toUtf8()));
    });
    connect(m_overviewButton, &QPushButton::toggled, this, &ReviewPage::showOverview);

    auto* form = new QWidget(split);
    auto* formLayout = new QVBoxLayout(form);
    formLayout->setContentsMargins(0, 0, 0, 0);
    auto* verdictBox = new QGroupBox(tr("Verdict"), form);
    auto* verdictRow = new QHBoxLayout(verdictBox);
    m_verdicts = new QButtonGroup(this);
    const std::pair<Verdict, QString> verdicts[] = {
        {Verdict::Pass, tr("&Pass")}, {Verdict::Fail, tr("&Fail")}, {Verdict::Unsure, tr("&Unsure")}};
    for (const auto& [value, name] : verdicts) {
        auto* button = new QPushButton(name, verdictBox);
        button->setCheckable(true);
        button->setFocusPolicy(Qt::NoFocus);
        m_verdicts->addButton(button, int(value));
        verdictRow->addWidget(button);
    }
    formLayout->addWidget(verdictBox);
    m_categories = new QListWidget(form);
    m_categories->setFocusPolicy(Qt::NoFocus);
    formLayout->addWidget(new QLabel(tr("Categories (1-9; the first checked is the primary one)"), form));
    formLayout->addWidget(m_categories, 1);
    auto* severityBox = new QGroupBox(tr("Severity (Shift+1-4)"), form);
    auto* severityRow = new QHBoxLayout(severityBox);
    m_severities = new QButtonGroup(this);
    for (int level = 1; level <= 4; ++level) {
        auto* button = new QPushButton(QString::number(level), severityBox);
        button->setCheckable(true);
        button->setFocusPolicy(Qt::NoFocus);
        m_severities->addButton(button, level);
        severityRow->addWidget(button);
    }
    formLayout->addWidget(severityBox);
    m_note = new QPlainTextEdit(form);
    m_note->setPlaceholderText(tr("Note"));
    m_note->setMaximumHeight(60);
    formLayout->addWidget(m_note);
    formLayout->addWidget(new QLabel(tr("Corrected answer (E), against the judged turn:"), form));
    m_corrected = new QPlainTextEdit(form);
    m_corrected->setMaximumHeight(90);
    formLayout->addWidget(m_corrected);
    m_diff = new QTextBrowser(form);
    m_diff->setMaximumHeight(80);
    m_diff->setFocusPolicy(Qt::NoFocus);
    formLayout->addWidget(m_diff);
    m_submit = new QPushButton(tr("Submit and next (Ctrl+Enter)"), form);
    m_submit->setFocusPolicy(Qt::NoFocus);
    formLayout->addWidget(m_submit);
    split->addWidget(m_items);
    split->addWidget(centre);
    split->addWidget(form);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 5);
    split->setStretchFactor(2, 3);
    split->setSizes({420, 560, 380});
    // Widths from the font, not the rows: a 100,000-item queue is not measured. The signals take
    // what is left (elided; the tooltip has them all).
    const QFontMetrics metrics(m_items->font());
    const int padding = metrics.averageCharWidth() + 8;
    m_items->horizontalHeader()->setMinimumSectionSize(metrics.horizontalAdvance(QStringLiteral("00")) +
                                                       padding);
    m_items->setColumnWidth(ReviewQueueModel::Position,
                            metrics.horizontalAdvance(QStringLiteral("00000")) + padding);
    m_items->setColumnWidth(ReviewQueueModel::Interaction,
                            metrics.horizontalAdvance(QStringLiteral("demo-00000000")) + padding);
    m_items->setColumnWidth(ReviewQueueModel::Status,
                            metrics.horizontalAdvance(ReviewQueueModel::tr("pending (%1)").arg(99)) +
                                padding);
    // A chosen verdict or severity reads at a glance.
    form->setStyleSheet(
        QStringLiteral("QPushButton:checked { background: #1565c0; color: white; font-weight: bold; }"));
    layout->addWidget(split, 1);
    m_shortcuts = new QLabel(tr("<b>1-9</b> categories · <b>P F U</b> verdict · <b>Shift+1-4</b> severity · "
                                "<b>E</b> corrected answer · "
                                "<b>Ctrl+Enter</b> submit and next · <b>J / K</b> next / previous · <b>S</b> "
                                "skip · <b>Ctrl+Z</b> undo · <b>G</b> guidelines"),
                             this);
    m_shortcuts->hide();
    layout->addWidget(m_shortcuts);

    connect(help, &QPushButton::clicked, this,
            [this] { m_shortcuts->setVisible(!m_shortcuts->isVisible()); });
    connect(m_reviewer, &QLineEdit::editingFinished, this,
            [this] { setReviewer(m_reviewer->text().trimmed()); });
    connect(m_queues, &QComboBox::activated, this, [this](int) { loadRows(); });
    connect(m_items->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                if (current.isValid() && current.row() != m_row)
                    showRow(current.row());
            });
    connect(m_submit, &QPushButton::clicked, this, &ReviewPage::submit);
    connect(m_corrected, &QPlainTextEdit::textChanged, this, [this] {
        updateDiff();
        m_dirty = true;
    });
    connect(m_note, &QPlainTextEdit::textChanged, this, [this] { m_dirty = true; });
    connect(m_categories, &QListWidget::itemChanged, this, [this] { m_dirty = true; });
    connect(m_verdicts, &QButtonGroup::idClicked, this, [this] { m_dirty = true; });
    connect(m_severities, &QButtonGroup::idClicked, this, [this] { m_dirty = true; });

    // Keys act anywhere in the page, except that typing in the note or the corrected answer types.
    auto key = [this](const QKeySequence& sequence, auto action) {
        auto* shortcut = new QShortcut(sequence, this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, action);
    };
    key(QKeySequence(Qt::Key_P), [this] { setVerdict(Verdict::Pass); });
    key(QKeySequence(Qt::Key_F), [this] { setVerdict(Verdict::Fail); });
    key(QKeySequence(Qt::Key_U), [this] { setVerdict(Verdict::Unsure); });
    for (int n = 1; n <= 9; ++n)
        key(QKeySequence(Qt::Key_0 + n), [this, n] { toggleCategory(n); });
    const Qt::Key shifted[] = {Qt::Key_Exclam, Qt::Key_At, Qt::Key_NumberSign, Qt::Key_Dollar};
    for (int level = 1; level <= 4; ++level) {
        key(QKeySequence(Qt::SHIFT | (Qt::Key_0 + level)), [this, level] { setSeverity(level); });
        key(QKeySequence(shifted[level - 1]),
            [this, level] { setSeverity(level); }); // a US keyboard's Shift+digit
    }
    key(QKeySequence(Qt::Key_E), [this] { editCorrected(); });
    key(QKeySequence(Qt::Key_G), [this] {
        if (m_guidelinesToggle->isEnabled())
            m_guidelinesToggle->toggle();
    });
    key(QKeySequence(Qt::CTRL | Qt::Key_Return), [this] { submit(); });
    key(QKeySequence(Qt::CTRL | Qt::Key_Enter), [this] { submit(); });
    key(QKeySequence(Qt::Key_J), [this] { move(1); });
    key(QKeySequence(Qt::Key_K), [this] { move(-1); });
    key(QKeySequence(Qt::Key_S), [this] { move(1); });
    key(QKeySequence(Qt::Key_Question), [this] { m_shortcuts->setVisible(!m_shortcuts->isVisible()); });
    key(QKeySequence::Undo, [this] { m_undo->undo(); });
    key(QKeySequence::Redo, [this] { m_undo->redo(); });
    key(QKeySequence(Qt::Key_Escape), [this] { setFocus(); }); // leave a text field
    updateProgress();
    updateGuidelines();
}

void ReviewPage::setStore(const StoreContext& store)
{
    m_store = store;
    for (JobTracker* jobs : {m_queueJobs, m_itemJobs, m_prefetchJobs, m_overviewJobs})
        jobs->setStorePath(store.path);
    m_undo->clear();
    m_ahead.clear();
    m_queue.reset();
    m_item.reset();
    m_model->setRows({});
    loadQueues();
}

void ReviewPage::showEvent(QShowEvent* event)
{
    Page::showEvent(event);
    if (m_askedReviewer)
        return;
    // After the events at hand: a name given right after showing (--reviewer) is not asked again.
    QTimer::singleShot(0, this, [this] {
        if (!m_askedReviewer && isVisible() && m_reviewer->text().trimmed().isEmpty())
            askReviewer();
    });
}

void ReviewPage::askReviewer()
{
    m_askedReviewer = true;
    auto* dialog = new QInputDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Who reviews?"));
    dialog->setLabelText(tr("Your name, stored with every label you write (the Reviewer field changes it):"));
    dialog->setTextValue(qEnvironmentVariable("USER", qEnvironmentVariable("LOGNAME")));
    connect(dialog, &QInputDialog::textValueSelected, this, [this](const QString& name) {
        if (!name.trimmed().isEmpty())
            setReviewer(name.trimmed());
    });
    dialog->open();
}

void ReviewPage::refresh()
{
    loadQueues(true);
    if (m_overview->isVisible())
        loadOverview();
}

void ReviewPage::showOverview(bool shown)
{
    if (m_overviewButton->isChecked() != shown)
        m_overviewButton->setChecked(shown);
    m_overview->setVisible(shown);
    m_conversation->setVisible(!shown);
    updateGuidelines(); // folded under the overview: it needs the room
    if (shown)
        loadOverview();
}

QString ReviewPage::overviewText() const
{
    return m_overview->toPlainText();
}

namespace {
QString number(std::optional<double> value)
{
    return value ? QString::number(*value, 'f', 3) : QStringLiteral("–");
}

QString percent(double value)
{
    return QString::number(value * 100, 'f', 1) + QLatin1Char('%');
}

QString agreementRow(const QString& what, const std::optional<Agreement>& a, const std::string& error)
{
    if (!a)
        return QStringLiteral("<tr><td nowrap>%1</td><td colspan=\"5\"><i>%2</i></td></tr>")
            .arg(what.toHtmlEscaped(), QString::fromStdString(error).toHtmlEscaped());
    return QStringLiteral("<tr><td nowrap>%1</td><td align=\"right\">%2</td><td align=\"right\">%3</td><td "
                          "align=\"right\">%4</td><td align=\"right\">%5</td><td align=\"right\">%6 "
                          "(%7 – %8)</td></tr>")
        .arg(what.toHtmlEscaped())
        .arg(a->items)
        .arg(percent(a->percent), number(a->cohenKappa), number(a->fleissKappa), number(a->alpha),
             number(a->alphaLow), number(a->alphaHigh));
}
} // namespace

void ReviewPage::loadOverview()
{
    if (!m_queue) {
        m_overview->setHtml(tr("<p>No queue chosen.</p>"));
        Q_EMIT overviewLoaded();
        return;
    }
    struct Overview
    {
        std::optional<QueueStatus> status;
        QueueAgreement agreement;
        std::vector<ItemToAdjudicate> waiting;
        std::vector<ReviewCategory> taxonomy;
    };
    const std::int64_t queueId = m_queue->id;
    const std::string reviewer = m_reviewer->text().trimmed().toStdString();
    m_overviewJobs->start<Overview>(
        [queueId, reviewer](JobContext& context) {
            Overview overview;
            for (QueueStatus& status : queueStatuses(context.database(), reviewer))
                if (status.queue.id == queueId)
                    overview.status = std::move(status);
            overview.agreement = measureQueueAgreement(context.database(), queueId);
            overview.waiting = adjudicationList(context.database(), queueId);
            overview.taxonomy = ReviewStore(context.database()).categories();
            return overview;
        },
        [this](Overview overview) {
            QString html;
            if (overview.status) {
                const QueueStatus& s = *overview.status;
                const ReviewQueue& q = s.queue;
                html += QStringLiteral("<h3>%1</h3>").arg(QString::fromStdString(q.name).toHtmlEscaped());
                html += tr("<p>%1 items (%2 of a slice of %3) · %4 reviewer(s) each%5 · made by %6</p>")
                            .arg(q.items)
                            .arg(q.order == QueueOrder::Sample ? tr("a seeded sample")
                                                               : QString::fromLatin1(queueOrderName(q.order)))
                            .arg(q.sliceSize)
                            .arg(q.overlap)
                            .arg(q.blind ? tr(", blind") : QString())
                            .arg(QString::fromStdString(q.owner).toHtmlEscaped());
                QStringList pending;
                for (const auto& [name, count] : s.pending)
                    pending
                        << tr("%1: %2 pending").arg(QString::fromStdString(name).toHtmlEscaped()).arg(count);
                html +=
                    tr("<p><b>Progress</b> %1 labelled · %2 with a final label · %3 awaiting "
                       "adjudication%4</p>")
                        .arg(s.labeled)
                        .arg(s.reviewed)
                        .arg(s.awaitingAdjudication)
                        .arg(pending.isEmpty() ? QString()
                                               : QStringLiteral(" · ") + pending.join(QStringLiteral(" · ")));
                if (s.failureRate) {
                    const RateEstimate& r = *s.failureRate;
                    html += r.n == 0
                                ? tr("<p><b>Estimated failure rate</b>: nothing reviewed yet.</p>")
                                : tr("<p><b>Estimated failure rate</b> %1 (95%: %2 – %3), %4 of %5 reviewed "
                                     "items failed</p>")
                                      .arg(percent(r.value), percent(r.low), percent(r.high))
                                      .arg(r.hits)
                                      .arg(r.n);
                    for (const auto& [name, rate] : s.categoryRates)
                        html += QStringLiteral("<p style=\"margin-left:16px\">%1: %2 (%3 – %4)</p>")
                                    .arg(QString::fromStdString(name).toHtmlEscaped(), percent(rate.value),
                                         percent(rate.low), percent(rate.high));
                }
            }
            const QueueAgreement& a = overview.agreement;
            html +=
                tr("<h4>Agreement</h4><table cellpadding=\"3\"><tr><th "
                   "align=\"left\">variable</th><th>items</th>"
                   "<th>percent</th><th>Cohen</th><th>Fleiss</th><th>Krippendorff's alpha (95%)</th></tr>");
            html += agreementRow(tr("verdict"), a.verdict, a.verdictError);
            html += agreementRow(tr("primary category"), a.primaryCategory, a.primaryCategoryError);
            html += agreementRow(tr("severity (ordinal)"), a.severity, a.severityError);
            for (const auto& category : a.categories)
                html +=
                    agreementRow(QString::fromStdString(category.name), category.agreement, category.error);
            html += QStringLiteral("</table>");
            html += tr("<h4>Waiting for adjudication (%1)</h4>").arg(overview.waiting.size());
            // Blind queues: a reviewer who is not the queue's owner sees the labels of an item
            // only once they have submitted their own on it.
            const std::string me = m_reviewer->text().trimmed().toStdString();
            const bool seesAll = !m_queue || !m_queue->blind || m_queue->owner == me;
            std::int64_t hidden = 0;
            for (const ItemToAdjudicate& item : overview.waiting) {
                const bool mine = std::any_of(item.labels.begin(), item.labels.end(),
                                              [&](const Label& label) { return label.reviewer == me; });
                if (!seesAll && !mine) {
                    ++hidden;
                    continue;
                }
                html +=
                    QStringLiteral("<p><b>%1</b><br>").arg(QString::fromStdString(item.key).toHtmlEscaped());
                for (const Label& label : item.labels) {
                    QStringList names;
                    for (const std::int64_t id : label.categories)
                        for (const ReviewCategory& category : overview.taxonomy)
                            if (category.id == id)
                                names << QString::fromStdString(category.name).toHtmlEscaped();
                    html += tr("&nbsp;&nbsp;%1: %2 %3 <a href=\"adjudicate:%4:%5\">take this one</a><br>")
                                .arg(QString::fromStdString(label.reviewer).toHtmlEscaped(),
                                     QString::fromLatin1(label.verdict ? verdictName(*label.verdict) : ""),
                                     names.join(QStringLiteral(", ")))
                                .arg(item.interactionId)
                                .arg(QString::fromUtf8(
                                    QUrl::toPercentEncoding(QString::fromStdString(label.reviewer))));
                }
                html += tr("&nbsp;&nbsp;<a href=\"adjudicate:%1:\">write the final label</a></p>")
                            .arg(item.interactionId);
            }
            if (hidden)
                html += tr("<p style=\"color:gray\"><i>%n more, whose labels you see once you have submitted "
                           "yours (or as the queue's owner).</i></p>",
                           nullptr, int(hidden));
            m_overview->setHtml(html);
            Q_EMIT overviewLoaded();
        },
        [this](const Error& error) {
            m_overview->setPlainText(
                tr("Could not read the overview: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT overviewLoaded();
        });
}

void ReviewPage::writeFinalLabel(std::int64_t interactionId)
{
    const int row = m_model->rowOf(interactionId);
    if (row < 0)
        return;
    showOverview(false);
    m_adjudicating = interactionId;
    m_ahead.erase(interactionId);
    m_item.reset();
    showRow(row);
}

bool ReviewPage::adjudicating() const
{
    return m_adjudicating && m_item && m_item->detail.id == *m_adjudicating;
}

void ReviewPage::adjudicateWith(std::int64_t interactionId, const QString& reviewer)
{
    if (!m_store.writer)
        return;
    const std::string adjudicator = m_reviewer->text().trimmed().toStdString();
    auto writer = m_store.writer;
    m_overviewJobs->add<std::int64_t>(
        [interactionId, reviewer = reviewer.toStdString(), adjudicator, writer](JobContext& context) {
            auto written =
                adjudicate(context.database(), *writer, interactionId,
                           adjudicator.empty() ? std::string("adjudicator") : adjudicator, reviewer);
            if (!written)
                throw Failure(written.error());
            return *written;
        },
        [this](std::int64_t) { loadOverview(); },
        [this](const Error& error) {
            m_progress->setText(tr("Not adjudicated: %1").arg(QString::fromStdString(error.message)));
        });
}

void ReviewPage::setReviewer(const QString& name, bool remember)
{
    if (m_reviewer->text() != name)
        m_reviewer->setText(name);
    if (remember && settings::reviewer.value() == name && m_queue)
        return;
    if (remember)
        settings::reviewer.set(name);
    m_ahead.clear();
    loadRows();
}

void ReviewPage::openQueue(const QString& name)
{
    m_wantedQueue = name;
    loadQueues();
}

void ReviewPage::loadQueues(bool keepShown)
{
    struct Loaded
    {
        std::vector<ReviewQueue> queues;
        std::vector<ReviewCategory> categories;
    };
    m_queueJobs->start<Loaded>(
        [](JobContext& context) {
            ReviewStore review(context.database());
            return Loaded{review.queues(), review.categories()};
        },
        [this, keepShown](Loaded loaded) {
            const QString current = m_wantedQueue.isEmpty() ? m_queues->currentText() : m_wantedQueue;
            const bool wantsAnother = !m_wantedQueue.isEmpty();
            m_wantedQueue.clear();
            m_queueList = std::move(loaded.queues);
            std::vector<ReviewCategory> taxonomy;
            for (ReviewCategory& category : loaded.categories)
                if (!category.retired)
                    taxonomy.push_back(std::move(category));
            auto same = [](const ReviewCategory& a, const ReviewCategory& b) {
                return a.id == b.id && a.name == b.name && a.description == b.description;
            };
            if (!std::equal(taxonomy.begin(), taxonomy.end(), m_taxonomy.begin(), m_taxonomy.end(), same)) {
                // Rebuilt only when it changed, keeping what the reviewer checked, without counting
                // as an edit of the form.
                const std::vector<std::int64_t> checked = checkedCategories();
                const QSignalBlocker quiet(m_categories);
                m_taxonomy = std::move(taxonomy);
                m_categories->clear();
                for (size_t i = 0; i < m_taxonomy.size(); ++i) {
                    auto* item = new QListWidgetItem(
                        (i < 9 ? QStringLiteral("%1  ").arg(i + 1) : QStringLiteral("    ")) +
                            QString::fromStdString(m_taxonomy[i].name),
                        m_categories);
                    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
                    const bool wasChecked =
                        std::find(checked.begin(), checked.end(), m_taxonomy[i].id) != checked.end();
                    item->setCheckState(wasChecked ? Qt::Checked : Qt::Unchecked);
                    item->setToolTip(QString::fromStdString(m_taxonomy[i].description));
                }
            }
            m_queues->clear();
            for (const ReviewQueue& queue : m_queueList)
                m_queues->addItem(QString::fromStdString(queue.name));
            const int index = std::max(0, m_queues->findText(current));
            m_queues->setCurrentIndex(m_queueList.empty() ? -1 : index);
            if (m_queueList.empty())
                m_conversation->setHtml(tr(
                    "<h3>No review queues yet</h3><p>Make one from the command line, e.g. <code>winnow queue "
                    "create escalations --where signal=escalation</code>, and it appears here.</p>"));
            Q_EMIT queuesLoaded();
            loadRows(keepShown && !wantsAnother);
        },
        [this](const Error& error) {
            m_conversation->setPlainText(
                tr("Could not read the queues: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT queuesLoaded();
        });
}

void ReviewPage::updateGuidelines()
{
    const bool has = m_queue && !m_queue->guidelines.empty();
    const bool shown = has && m_guidelinesToggle->isChecked() && !m_overviewButton->isChecked();
    m_guidelinesToggle->setVisible(m_queue.has_value());
    m_editGuidelines->setVisible(m_queue.has_value());
    m_guidelinesToggle->setEnabled(has);
    m_guidelinesToggle->setText(has ? tr("Guidelines") : tr("No guidelines for this queue"));
    m_guidelinesToggle->setArrowType(shown ? Qt::DownArrow : Qt::RightArrow);
    m_editGuidelines->setText(has ? tr("Edit…") : tr("Write…"));
    m_editGuidelines->setEnabled(static_cast<bool>(m_store.writer));
    if (has && m_guidelinesText != m_queue->guidelines) {
        m_guidelines->setMarkdown(QString::fromStdString(m_queue->guidelines));
        m_guidelinesText = m_queue->guidelines;
    }
    m_guidelines->setVisible(shown);
}

bool ReviewPage::guidelinesShown() const
{
    return m_guidelines->isVisibleTo(this);
}

QString ReviewPage::guidelinesText() const
{
    return m_guidelines->toPlainText();
}

void ReviewPage::editGuidelines()
{
    if (!m_queue)
        return;
    auto* dialog = new GuidelinesDialog(m_store, m_queue->id, QString::fromStdString(m_queue->name),
                                        QString::fromStdString(m_queue->guidelines), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    const std::int64_t queueId = m_queue->id;
    connect(dialog, &QDialog::accepted, this, [this, dialog, queueId] {
        const std::string stored = dialog->markdown().toStdString();
        for (ReviewQueue& queue : m_queueList)
            if (queue.id == queueId)
                queue.guidelines = stored;
        if (m_queue && m_queue->id == queueId)
            m_queue->guidelines = stored;
        if (!stored.empty() && !m_guidelinesToggle->isChecked())
            m_guidelinesToggle->setChecked(true); // what was just written is shown
        updateGuidelines();
    });
    dialog->open();
}

void ReviewPage::loadRows(bool keepShown)
{
    const int index = m_queues->currentIndex();
    if (index < 0 || index >= static_cast<int>(m_queueList.size())) {
        m_queue.reset();
        updateGuidelines();
        m_model->setRows({});
        updateProgress();
        Q_EMIT loaded();
        return;
    }
    const bool sameQueue = m_queue && m_queue->id == m_queueList[size_t(index)].id;
    m_queue = m_queueList[size_t(index)];
    updateGuidelines();
    const std::int64_t queueId = m_queue->id;
    const std::string reviewer = m_reviewer->text().trimmed().toStdString();
    const std::optional<std::int64_t> shown = shownInteraction();
    m_queueJobs->start<std::vector<QueueRow>>(
        [queueId, reviewer](JobContext& context) {
            return ReviewStore(context.database()).queueRows(queueId, reviewer);
        },
        [this, shown, sameQueue, keepShown](std::vector<QueueRow> rows) {
            m_model->setRows(std::move(rows));
            int row = sameQueue && shown ? m_model->rowOf(*shown) : -1;
            const bool keep = keepShown && row >= 0 && m_item;
            if (keep)
                markRow(row, false);
            updateProgress();
            if (m_overview->isVisible())
                loadOverview();
            Q_EMIT loaded();
            if (keep)
                return;
            if (row < 0)
                row = m_model->nextOpen(-1);
            if (row < 0 && m_model->rowCount() > 0)
                row = 0;
            m_row = -1;
            if (row >= 0)
                showRow(row);
        },
        [this](const Error& error) {
            m_conversation->setPlainText(
                tr("Could not read the queue: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT loaded();
        });
}

void ReviewPage::markRow(int row, bool scroll)
{
    m_row = row;
    {
        const QSignalBlocker blocker(m_items->selectionModel()); // selecting is not asking to show it
        m_items->selectRow(row);
    }
    if (scroll)
        m_items->scrollTo(m_model->index(row, 0));
}

void ReviewPage::showRow(int row)
{
    const QueueRow* queued = m_model->rowAt(row);
    if (!queued)
        return;
    saveDraft();
    if (m_adjudicating && *m_adjudicating != queued->interactionId)
        m_adjudicating.reset();
    markRow(row, true);
    updateProgress();
    const std::int64_t id = queued->interactionId;
    if (const auto ahead = m_ahead.find(id); ahead != m_ahead.end()) {
        present(std::move(ahead->second));
        prefetch(m_model->nextOpen(row));
        return;
    }
    const std::string reviewer = m_reviewer->text().trimmed().toStdString();
    m_itemJobs->start<std::optional<LoadedItem>>(
        [id, reviewer](JobContext& context) { return readItem(context.database(), id, reviewer); },
        [this, row](std::optional<LoadedItem> item) {
            if (!item) {
                m_conversation->setPlainText(tr("This interaction is no longer in the store."));
                return;
            }
            present(*item);
            prefetch(m_model->nextOpen(row));
        },
        [this](const Error& error) {
            m_conversation->setPlainText(
                tr("Could not read it: %1").arg(QString::fromStdString(error.text())));
        });
}

std::optional<ReviewPage::LoadedItem> ReviewPage::readItem(Database& database, std::int64_t id,
                                                           const std::string& reviewer)
{
    auto detail = InteractionStore(database).detail(id);
    if (!detail)
        return std::nullopt;
    LoadedItem item{std::move(*detail), std::nullopt, {}};
    for (Label& label : ReviewStore(database).currentLabels(id)) {
        if (label.reviewer == reviewer)
            item.mine = std::move(label);
        else if (label.status != LabelStatus::Draft)
            item.others.push_back(std::move(label));
    }
    return item;
}

// Reads the item after this one while the reviewer works, so that submitting shows it at once.
void ReviewPage::prefetch(int row)
{
    const QueueRow* queued = m_model->rowAt(row);
    if (!queued || m_ahead.count(queued->interactionId) || row == m_row)
        return;
    const std::int64_t id = queued->interactionId;
    const std::string reviewer = m_reviewer->text().trimmed().toStdString();
    m_prefetchJobs->start<std::optional<LoadedItem>>(
        [id, reviewer](JobContext& context) { return readItem(context.database(), id, reviewer); },
        [this, id](std::optional<LoadedItem> item) {
            if (!item)
                return;
            if (m_ahead.size() > 8)
                m_ahead.clear();
            m_ahead.emplace(id, std::move(*item));
        });
}

void ReviewPage::present(LoadedItem item)
{
    m_ahead.erase(item.detail.id); // `item` may have been read ahead: it is ours now
    m_item = std::move(item);
    const Interaction& in = m_item->detail.interaction;
    const std::optional<Label>& mine = m_item->mine;
    m_judgedTurn = mine && mine->turn ? *mine->turn : defaultJudgedTurn(in);
    m_judgedCall = mine ? mine->toolCall : std::nullopt;
    renderConversation();
    // The form: the reviewer's own label (a draft or a submitted one), else empty.
    m_verdicts->setExclusive(false);
    for (QAbstractButton* button : m_verdicts->buttons())
        button->setChecked(mine && mine->verdict && m_verdicts->id(button) == int(*mine->verdict));
    m_verdicts->setExclusive(true);
    m_severities->setExclusive(false);
    for (QAbstractButton* button : m_severities->buttons())
        button->setChecked(mine && mine->severity && m_severities->id(button) == *mine->severity);
    m_severities->setExclusive(true);
    for (int i = 0; i < m_categories->count(); ++i) {
        const bool checked = mine && std::count(mine->categories.begin(), mine->categories.end(),
                                                m_taxonomy[size_t(i)].id) > 0;
        m_categories->item(i)->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
    }
    m_note->setPlainText(mine ? QString::fromStdString(mine->note) : QString());
    m_corrected->setPlainText(mine && mine->corrected ? QString::fromStdString(*mine->corrected) : QString());
    updateDiff();
    m_dirty = false;
    setFocus();
    Q_EMIT itemShown();
}

void ReviewPage::renderConversation()
{
    if (!m_item)
        return;
    const Interaction& in = m_item->detail.interaction;
    const std::optional<Label>& mine = m_item->mine;
    ConversationHtmlOptions options;
    options.judgedTurn = m_judgedTurn;
    options.judgedToolCall = m_judgedCall;
    options.choosableJudgement = true;
    QString html = conversationHtml(in, options);
    // Blind by default: other reviewers' labels only once this reviewer has submitted theirs.
    const bool submittedMine = mine && mine->status != LabelStatus::Draft;
    if (!m_item->others.empty()) {
        if (m_queue && m_queue->blind && !submittedMine && !adjudicating()) {
            html += tr(
                "<p style=\"color:gray\"><i>%n other label(s), shown once you have submitted yours.</i></p>",
                nullptr, int(m_item->others.size()));
        } else {
            html += tr("<h4>Other labels</h4>");
            for (const Label& other : m_item->others) {
                QStringList names;
                for (const std::int64_t id : other.categories)
                    for (const ReviewCategory& category : m_taxonomy)
                        if (category.id == id)
                            names << QString::fromStdString(category.name);
                html +=
                    QStringLiteral("<p><b>%1</b>: %2%3%4%5</p>")
                        .arg(other.reviewer.empty() ? tr("final (adjudicated)")
                                                    : QString::fromStdString(other.reviewer).toHtmlEscaped(),
                             QString::fromLatin1(other.verdict ? verdictName(*other.verdict) : ""),
                             names.isEmpty()
                                 ? QString()
                                 : QStringLiteral(" · ") + names.join(QStringLiteral(", ")).toHtmlEscaped(),
                             other.severity ? tr(" · severity %1").arg(*other.severity) : QString(),
                             other.note.empty() ? QString()
                                                : QStringLiteral(" · <i>%1</i>").arg(escaped(other.note)));
            }
        }
    }
    m_conversation->setHtml(html);
}

void ReviewPage::judgeTurn(int message)
{
    if (!m_item || message < 0 || message >= static_cast<int>(m_item->detail.interaction.messages.size()))
        return;
    m_judgedTurn = message;
    m_judgedCall.reset();
    m_dirty = true;
    renderConversation();
    updateDiff();
}

void ReviewPage::judgeToolCall(int call)
{
    if (!m_item || call < 0 || call >= static_cast<int>(m_item->detail.interaction.toolCalls.size()))
        return;
    m_judgedCall = call;
    const int message = m_item->detail.interaction.toolCalls[size_t(call)].messageIndex;
    if (message >= 0)
        m_judgedTurn = message;
    m_dirty = true;
    renderConversation();
}

void ReviewPage::setVerdict(Verdict verdict)
{
    if (QAbstractButton* button = m_verdicts->button(int(verdict))) {
        button->setChecked(true);
        m_dirty = true;
    }
}

void ReviewPage::toggleCategory(int number)
{
    if (number < 1 || number > m_categories->count())
        return;
    QListWidgetItem* item = m_categories->item(number - 1);
    item->setCheckState(item->checkState() == Qt::Checked ? Qt::Unchecked : Qt::Checked);
    m_dirty = true;
}

void ReviewPage::setSeverity(int severity)
{
    if (QAbstractButton* button = m_severities->button(severity)) {
        button->setChecked(true);
        m_dirty = true;
    }
}

void ReviewPage::editCorrected()
{
    if (m_item && m_corrected->toPlainText().isEmpty()) {
        const Interaction& in = m_item->detail.interaction;
        const int turn = m_judgedTurn;
        if (turn >= 0 && turn < static_cast<int>(in.messages.size()))
            m_corrected->setPlainText(QString::fromStdString(in.messages[size_t(turn)].content));
    }
    m_corrected->setFocus();
    m_corrected->moveCursor(QTextCursor::End);
}

void ReviewPage::updateDiff()
{
    if (!m_item || m_corrected->toPlainText().isEmpty()) {
        m_diff->clear();
        return;
    }
    const Interaction& in = m_item->detail.interaction;
    const int turn = m_judgedTurn;
    const QString original = turn >= 0 && turn < static_cast<int>(in.messages.size())
                                 ? QString::fromStdString(in.messages[size_t(turn)].content)
                                 : QString();
    m_diff->setHtml(wordDiffHtml(original, m_corrected->toPlainText()));
}

std::optional<Verdict> ReviewPage::verdict() const
{
    const int id = m_verdicts->checkedId();
    return id < 0 ? std::nullopt : std::optional<Verdict>(static_cast<Verdict>(id));
}

std::vector<std::int64_t> ReviewPage::checkedCategories() const
{
    std::vector<std::int64_t> ids;
    for (int i = 0; i < m_categories->count(); ++i)
        if (m_categories->item(i)->checkState() == Qt::Checked)
            ids.push_back(m_taxonomy[size_t(i)].id);
    return ids;
}

std::optional<int> ReviewPage::severity() const
{
    const int id = m_severities->checkedId();
    return id < 0 ? std::nullopt : std::optional<int>(id);
}

Label ReviewPage::formLabel() const
{
    Label label;
    label.interactionId = m_item->detail.id;
    label.reviewer = m_reviewer->text().trimmed().toStdString();
    label.author = label.reviewer;
    label.queueId = m_queue ? std::optional<std::int64_t>(m_queue->id) : std::nullopt;
    if (m_judgedTurn >= 0)
        label.turn = m_judgedTurn;
    label.toolCall = m_judgedCall;
    label.verdict = verdict();
    label.categories = checkedCategories();
    label.severity = severity();
    label.note = m_note->toPlainText().toStdString();
    if (!m_corrected->toPlainText().isEmpty())
        label.corrected = m_corrected->toPlainText().toStdString();
    label.status = LabelStatus::Submitted;
    return label;
}

void ReviewPage::submit()
{
    if (!m_item || !m_store.writer)
        return;
    if (m_reviewer->text().trimmed().isEmpty()) {
        m_progress->setText(tr("Type your name as the reviewer first."));
        m_reviewer->setFocus();
        return;
    }
    if (!verdict()) {
        m_progress->setText(tr("Choose a verdict first: P, F or U."));
        return;
    }
    if (adjudicating()) {
        // The item's final label: no reviewer's, written by this one.
        Label final = formLabel();
        final.reviewer.clear();
        final.status = LabelStatus::Final;
        m_undo->push(new SubmitLabelCommand(this, m_store.writer, final, std::nullopt));
        m_adjudicating.reset();
        m_dirty = false;
        showOverview(true);
        return;
    }
    m_undo->push(new SubmitLabelCommand(this, m_store.writer, formLabel(), m_item->mine));
    m_dirty = false;
    // On at once: the write commits behind (the next item was read ahead).
    m_model->setMine(m_row, LabelStatus::Submitted);
    const int next = m_model->nextOpen(m_row);
    updateProgress();
    if (next >= 0 && next != m_row)
        showRow(next);
}

void ReviewPage::labelWritten(std::int64_t interactionId, LabelStatus status, const QString& error)
{
    const int row = m_model->rowOf(interactionId);
    if (!error.isEmpty()) {
        m_progress->setText(tr("The label was not saved: %1").arg(error));
        return;
    }
    if (status == LabelStatus::Final) { // an adjudication: no reviewer's own label changed
        if (m_overview->isVisible())
            loadOverview();
        Q_EMIT submitted();
        return;
    }
    if (row >= 0)
        m_model->setMine(row, status);
    m_ahead.erase(interactionId); // what was read ahead no longer shows the reviewer's label
    if (m_item && m_item->detail.id == interactionId && row == m_row) {
        // An undo brought this item back: show its label as it now is.
        m_item.reset();
        showRow(row);
    }
    updateProgress();
    Q_EMIT submitted();
}

// What the reviewer put in the form of an item they leave unsubmitted is kept as a draft.
void ReviewPage::saveDraft()
{
    if (!m_dirty || !m_item || !m_store.writer || m_reviewer->text().trimmed().isEmpty())
        return;
    if (m_item->mine && m_item->mine->status != LabelStatus::Draft)
        return; // a submitted label changes only by submitting again
    Label draft = formLabel();
    draft.status = LabelStatus::Draft;
    const std::int64_t id = draft.interactionId;
    m_dirty = false;
    m_ahead.erase(id);
    m_store.writer->submit(WritePriority::Interactive, [draft](WriteTransaction& tx) {
        ReviewStore(tx.database()).saveLabel(draft);
        tx.changed(StoreChange::Review);
    });
    if (const int row = m_model->rowOf(id); row >= 0)
        m_model->setMine(row, LabelStatus::Draft);
}

void ReviewPage::move(int step)
{
    const int count = m_model->rowCount();
    if (count == 0)
        return;
    showRow(((m_row < 0 ? 0 : m_row) + step + count) % count);
}

void ReviewPage::showItems(ReviewQueueModel::Show show)
{
    if (m_show->currentData().toInt() != int(show)) {
        m_show->setCurrentIndex(m_show->findData(int(show))); // comes back here
        return;
    }
    const std::optional<std::int64_t> shown = shownInteraction();
    m_model->setShow(show);
    const int row = shown ? m_model->rowOf(*shown) : -1;
    if (row >= 0) { // the item on screen stays, as the reviewer has it
        markRow(row, true);
    } else if (m_model->rowCount() > 0) {
        const int open = m_model->nextOpen(-1);
        showRow(open >= 0 ? open : 0);
    } else {
        m_row = -1;
    }
    updateProgress();
}

void ReviewPage::updateProgress()
{
    if (!m_queue) {
        m_progress->setText(m_queueList.empty() ? QString() : tr("Choose a queue."));
        return;
    }
    m_progress->setText(progressText());
}

QString ReviewPage::progressText() const
{
    if (!m_queue)
        return {};
    if (adjudicating())
        return tr("Writing the final label of this item (adjudication): Ctrl+Enter to save it");
    if (m_model->show() != ReviewQueueModel::Show::All)
        return tr("%1 of %2 shown (%3 in the queue) · %4 done by you")
            .arg(m_row < 0 ? 0 : m_row + 1)
            .arg(m_model->rowCount())
            .arg(m_model->totalCount())
            .arg(m_model->doneCount());
    return tr("%1 of %2 · %3 done by you")
        .arg(m_row < 0 ? 0 : m_row + 1)
        .arg(m_model->rowCount())
        .arg(m_model->doneCount());
}

QString ReviewPage::conversationText() const
{
    return m_conversation->toPlainText();
}

std::optional<std::int64_t> ReviewPage::shownInteraction() const
{
    return m_item ? std::optional<std::int64_t>(m_item->detail.id) : std::nullopt;
}

bool ReviewPage::setScreenshotView(const QString& view)
{
    m_screenshotOverview = view == QLatin1String("overview");
    return view.isEmpty() || m_screenshotOverview;
}

void ReviewPage::prepareScreenshot()
{
    if (m_screenshotOverview) {
        connect(this, &ReviewPage::overviewLoaded, this, &Page::screenshotReady, Qt::SingleShotConnection);
        showOverview(true);
        return;
    }
    // Fills the form of the shown item (a failure with a corrected answer), without writing it.
    auto* poll = new QTimer(this);
    auto started = std::make_shared<QElapsedTimer>();
    started->start();
    connect(poll, &QTimer::timeout, this, [this, poll, started] {
        if (!m_item && started->elapsed() < 10000)
            return;
        poll->deleteLater();
        if (m_item) {
            setVerdict(Verdict::Fail);
            toggleCategory(1);
            setSeverity(3);
            editCorrected();
            m_corrected->moveCursor(QTextCursor::Start);
            m_corrected->insertPlainText(tr("Sorry for the trouble. "));
            setFocus();
        }
        Q_EMIT screenshotReady();
    });
    poll->start(50);
}

} // namespace winnow
