#include "ui/monitors/monitors_page.h"

#include "core/jobs/job_tracker.h"
#include "core/models/trigger_list_model.h"
#include "core/store/export_store.h"
#include "core/store/review_store.h"
#include "core/util/json.h"
#include "ui/settings.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace winnow {

namespace {

QString html(const std::string& text)
{
    return QString::fromStdString(text).toHtmlEscaped();
}

QString when(std::int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd hh:mm"));
}

// "6.6% (5.8–7.4%), 207 of 3,476": a figure as the trigger recorded it.
QString figureHtml(const QJsonObject& figure, bool rate)
{
    auto value = [rate](double v) {
        return rate ? QLocale().toString(v * 100, 'f', 1) + QLatin1Char('%') : QLocale().toString(v, 'f', 3);
    };
    QString text = QStringLiteral("<b>%1</b>").arg(value(figure.value(QStringLiteral("value")).toDouble()));
    if (figure.contains(QStringLiteral("low")))
        text += QStringLiteral(" (%1–%2)").arg(value(figure.value(QStringLiteral("low")).toDouble()),
                                                value(figure.value(QStringLiteral("high")).toDouble()));
    if (rate)
        text += MonitorsPage::tr(", %1 of %2")
                    .arg(QLocale().toString(figure.value(QStringLiteral("hits")).toInteger()),
                         QLocale().toString(figure.value(QStringLiteral("n")).toInteger()));
    else
        text += MonitorsPage::tr(", n %1").arg(QLocale().toString(figure.value(QStringLiteral("n")).toInteger()));
    return text;
}

QString periodText(const QJsonObject& figure)
{
    const QString from = figure.value(QStringLiteral("from")).toString().left(10);
    const QString to = figure.value(QStringLiteral("to")).toString().left(10);
    if (from.isEmpty() && to.isEmpty())
        return MonitorsPage::tr("all its traffic");
    if (to.isEmpty())
        return MonitorsPage::tr("since %1").arg(from);
    return QStringLiteral("%1 – %2").arg(from, to);
}

QString countsHtml(const QJsonObject& counts)
{
    std::vector<std::pair<qint64, QString>> sorted;
    for (auto it = counts.begin(); it != counts.end(); ++it)
        sorted.emplace_back(it.value().toInteger(), it.key());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    QStringList parts;
    for (const auto& [n, name] : sorted)
        parts << QStringLiteral("%1 %2").arg(name.toHtmlEscaped(), QLocale().toString(n));
    return parts.isEmpty() ? MonitorsPage::tr("none") : parts.join(QStringLiteral(" · "));
}

} // namespace

MonitorsPage::MonitorsPage(QWidget* parent)
    : Page(parent), m_loadJobs(new JobTracker(this)), m_detailJobs(new JobTracker(this)),
      m_actionJobs(new JobTracker(this))
{
    m_monitors = new QTableWidget(0, 5, this);
    m_monitors->setHorizontalHeaderLabels({tr("Monitor"), tr("Watches"), tr("Condition"), tr("Owner"),
                                           tr("Evaluated through")});
    m_monitors->verticalHeader()->hide();
    m_monitors->horizontalHeader()->setStretchLastSection(true);
    m_monitors->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_monitors->setSelectionMode(QAbstractItemView::NoSelection);
    m_check = new QPushButton(tr("Check Now"), this);
    m_check->setToolTip(tr("Evaluate every monitor on the windows not evaluated yet, and validate exported "
                           "triggers (they also run as data arrives)"));
    auto* monitorsBar = new QHBoxLayout;
    monitorsBar->addWidget(new QLabel(tr("<b>Monitors</b>"), this));
    monitorsBar->addStretch();
    monitorsBar->addWidget(m_check);
    auto* monitorsPane = new QWidget(this);
    auto* monitorsLayout = new QVBoxLayout(monitorsPane);
    monitorsLayout->setContentsMargins(0, 0, 0, 0);
    monitorsLayout->addLayout(monitorsBar);
    monitorsLayout->addWidget(m_monitors);

    m_triggers = new TriggerListModel(this);
    m_triggerView = new QTableView(this);
    m_triggerView->setModel(m_triggers);
    m_triggerView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_triggerView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_triggerView->verticalHeader()->hide();
    m_triggerView->horizontalHeader()->setStretchLastSection(true);
    m_triggerView->setAlternatingRowColors(true);
    auto* triggersPane = new QWidget(this);
    auto* triggersLayout = new QVBoxLayout(triggersPane);
    triggersLayout->setContentsMargins(0, 0, 0, 0);
    triggersLayout->addWidget(new QLabel(tr("<b>Retraining triggers</b>"), this));
    triggersLayout->addWidget(m_triggerView);

    m_detail = new QTextBrowser(this);
    m_detail->setOpenLinks(false);
    m_showEvidence = new QPushButton(tr("Show Evidence"), this);
    m_showEvidence->setToolTip(tr("The interactions behind the trigger, in Interactions"));
    m_review = new QPushButton(tr("Review Evidence…"), this);
    m_review->setToolTip(tr("A review queue of the evidence, worst first: the trigger is then in review"));
    m_export = new QPushButton(tr("Export Batch…"), this);
    m_export->setToolTip(tr("The Exports screen on the evidence: the batch moves the trigger to exported"));
    m_validate = new QPushButton(tr("Validate Now"), this);
    m_validate->setToolTip(tr("Test the figure on a newer version (or the traffic since the owner's date) "
                              "against the regressed window"));
    m_dismiss = new QPushButton(tr("Dismiss…"), this);
    auto* actions = new QHBoxLayout;
    for (QPushButton* button : {m_showEvidence, m_review, m_export, m_validate, m_dismiss})
        actions->addWidget(button);
    actions->addStretch();
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    auto* detailPane = new QWidget(this);
    auto* detailLayout = new QVBoxLayout(detailPane);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    detailLayout->addWidget(m_detail, 1);
    detailLayout->addLayout(actions);
    detailLayout->addWidget(m_status);

    auto* lower = new QSplitter(Qt::Horizontal, this);
    lower->addWidget(triggersPane);
    lower->addWidget(detailPane);
    lower->setSizes({760, 600});
    auto* whole = new QSplitter(Qt::Vertical, this);
    whole->addWidget(monitorsPane);
    whole->addWidget(lower);
    whole->setStretchFactor(0, 1);
    whole->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(whole);

    connect(m_triggerView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        showDetail();
        updateButtons();
    });
    connect(m_check, &QPushButton::clicked, this, &MonitorsPage::checkNow);
    connect(m_showEvidence, &QPushButton::clicked, this, [this] {
        if (const auto id = selectedTrigger())
            Q_EMIT showInteractions(MetricsFilter().with(FilterField::Trigger, std::to_string(*id)));
    });
    connect(m_export, &QPushButton::clicked, this, [this] {
        if (const auto id = selectedTrigger())
            Q_EMIT exportInteractions(MetricsFilter().with(FilterField::Trigger, std::to_string(*id)));
    });
    connect(m_review, &QPushButton::clicked, this, &MonitorsPage::reviewSelected);
    connect(m_validate, &QPushButton::clicked, this, &MonitorsPage::validateSelected);
    connect(m_dismiss, &QPushButton::clicked, this, [this] {
        bool ok = false;
        const QString reason = QInputDialog::getText(this, tr("Dismiss the Trigger"),
                                                     tr("Why is it not worth acting on?"), QLineEdit::Normal, {}, &ok);
        if (ok && !reason.trimmed().isEmpty())
            dismissSelected(reason.trimmed());
    });
    updateButtons();
}

void MonitorsPage::setStore(const StoreContext& store)
{
    m_store = store;
    for (JobTracker* jobs : {m_loadJobs, m_detailJobs, m_actionJobs})
        jobs->setStorePath(store.path);
    load();
}

void MonitorsPage::refresh()
{
    m_extras.reset(); // labels and the history may have moved on
    load();
}

void MonitorsPage::load()
{
    if (m_store.path.empty())
        return;
    m_loadJobs->start<Snapshot>(
        [](JobContext& context) {
            Snapshot snapshot;
            snapshot.monitors = loadMonitors(context.database());
            snapshot.triggers = MonitorStore(context.database()).triggers();
            return snapshot;
        },
        [this](Snapshot snapshot) {
            m_monitorList = std::move(snapshot.monitors);
            m_monitors->setRowCount(int(m_monitorList.size()));
            for (size_t row = 0; row < m_monitorList.size(); ++row) {
                const Monitor& m = m_monitorList[row];
                const QString watches =
                    QString::fromStdString(figureText(m.definition)) +
                    (m.definition.per ? tr(" per %1").arg(QString::fromLatin1(dimensionName(*m.definition.per)))
                                      : QString()) +
                    (m.definition.where.empty()
                         ? QString()
                         : QStringLiteral(" · ") + QString::fromStdString(conditionListText(m.definition.where)));
                const QStringList cells = {QString::fromStdString(m.stored.name), watches,
                                           QString::fromStdString(conditionText(m.definition)),
                                           QString::fromStdString(m.stored.owner),
                                           m.stored.checkedThroughMs ? when(*m.stored.checkedThroughMs) : tr("not yet")};
                for (int column = 0; column < cells.size(); ++column)
                    m_monitors->setItem(int(row), column, new QTableWidgetItem(cells[column]));
            }
            m_monitors->resizeColumnsToContents();
            const auto shown = selectedTrigger();
            const std::int64_t keep = m_select ? m_select : shown.value_or(0);
            m_select = 0;
            m_triggers->setTriggers(std::move(snapshot.triggers));
            m_triggerView->resizeColumnsToContents();
            const int row = m_triggers->rowOf(keep);
            if (row >= 0)
                m_triggerView->selectRow(row);
            else if (m_triggers->rowCount() > 0)
                m_triggerView->selectRow(0);
            showDetail();
            updateButtons();
            Q_EMIT loaded();
        },
        [this](const Error& error) {
            m_detail->setPlainText(tr("Cannot read the monitors: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT loaded();
        });
}

std::optional<std::int64_t> MonitorsPage::selectedTrigger() const
{
    if (const StoredTrigger* t = m_triggers->triggerAt(m_triggerView->currentIndex().row()))
        return t->id;
    return std::nullopt;
}

void MonitorsPage::selectTrigger(std::int64_t id)
{
    const int row = m_triggers->rowOf(id);
    if (row < 0) {
        m_select = id; // once it is loaded
        load();
        return;
    }
    m_triggerView->selectRow(row);
    showDetail();
}

void MonitorsPage::updateButtons()
{
    const StoredTrigger* t = m_triggers->triggerAt(m_triggerView->currentIndex().row());
    const bool writable = m_store.writer != nullptr;
    m_check->setEnabled(writable);
    m_showEvidence->setEnabled(t != nullptr);
    m_review->setEnabled(writable && t && t->state == TriggerState::Open);
    m_export->setEnabled(t && (t->state == TriggerState::Open || t->state == TriggerState::InReview));
    m_validate->setEnabled(writable && t && t->state == TriggerState::Exported);
    m_dismiss->setEnabled(writable && t && isActive(t->state));
}

void MonitorsPage::showDetail()
{
    const StoredTrigger* t = m_triggers->triggerAt(m_triggerView->currentIndex().row());
    if (!t) {
        m_detail->setHtml(m_triggers->rowCount() == 0
                              ? tr("<p>No trigger yet. Monitors are evaluated as data arrives; a trigger appears "
                                   "when a figure regresses with enough interactions to say so.</p>")
                              : QString());
        return;
    }
    if (!m_extras || m_extras->trigger != t->id) {
        const std::int64_t id = t->id;
        m_detailJobs->start<Extras>(
            [id](JobContext& context) {
                Extras extras;
                extras.trigger = id;
                extras.events = MonitorStore(context.database()).events(id);
                extras.labels = labelCounts(context.database(), MetricsFilter().with(FilterField::Trigger, std::to_string(id)));
                return extras;
            },
            [this](Extras extras) {
                m_extras = std::move(extras);
                showDetail();
                Q_EMIT detailLoaded();
            });
    }
    const Extras* extras = m_extras && m_extras->trigger == t->id ? &*m_extras : nullptr;
    const QJsonObject figures = jsonObject(t->figuresJson);
    const QJsonObject evidence = jsonObject(t->evidenceJson);
    const QString figure = figures.value(QStringLiteral("figure")).toString();
    const bool rate = figure.endsWith(QLatin1String(" rate")) || figure.startsWith(QLatin1String("failure rate"));
    QString h = tr("<h3>Trigger %1 · %2 %3</h3>")
                    .arg(t->id)
                    .arg(figure.toHtmlEscaped(), figures.value(QStringLiteral("condition")).toString().toHtmlEscaped());
    h += tr("<p>%1monitor <i>%2</i> · owner <b>%3</b> · raised %4</p>")
             .arg(t->group.empty() ? QString() : QStringLiteral("<b>%1</b> · ").arg(html(t->group)),
                  html(t->monitorName), html(t->owner), when(t->firedMs));
    // Where it stands in the loop.
    const std::vector<std::pair<TriggerState, QString>> steps = {{TriggerState::Open, tr("open")},
                                                                 {TriggerState::InReview, tr("in review")},
                                                                 {TriggerState::Exported, tr("exported")}};
    QStringList loop;
    const int reached = t->state == TriggerState::Dismissed ? -1 : std::min(int(t->state), 3);
    for (const auto& [state, name] : steps)
        loop << (int(state) == reached ? QStringLiteral("<b>%1</b>").arg(name)
                 : int(state) < reached ? QStringLiteral("%1 ✓").arg(name)
                                        : QStringLiteral("<span style=\"color:gray\">%1</span>").arg(name));
    const QString end = t->state == TriggerState::Validated      ? tr("<b>validated</b>")
                        : t->state == TriggerState::NotRecovered ? tr("<b>not recovered</b>")
                                                                 : tr("<span style=\"color:gray\">validated or not "
                                                                      "recovered</span>");
    loop << end;
    h += QStringLiteral("<p>") + loop.join(QStringLiteral(" → ")) + QStringLiteral("</p>");
    if (t->state == TriggerState::Dismissed)
        h += tr("<p><b>Dismissed:</b> %1</p>").arg(html(t->reason));

    h += QStringLiteral("<table cellspacing=\"2\">");
    h += tr("<tr><td>This window (%1)</td><td>%2</td></tr>")
             .arg(periodText(figures.value(QStringLiteral("current")).toObject()),
                  figureHtml(figures.value(QStringLiteral("current")).toObject(), rate));
    if (figures.contains(QStringLiteral("baseline")))
        h += tr("<tr><td>Before (%1)</td><td>%2</td></tr>")
                 .arg(periodText(figures.value(QStringLiteral("baseline")).toObject()),
                      figureHtml(figures.value(QStringLiteral("baseline")).toObject(), rate));
    if (figures.contains(QStringLiteral("test"))) {
        const QJsonObject test = figures.value(QStringLiteral("test")).toObject();
        h += tr("<tr><td>Two-proportion test</td><td>z %1, p %2</td></tr>")
                 .arg(QLocale().toString(test.value(QStringLiteral("z")).toDouble(), 'f', 2),
                      QLocale().toString(test.value(QStringLiteral("p")).toDouble(), 'g', 2));
    }
    h += QStringLiteral("</table>");

    QStringList slice;
    for (const QJsonValue condition : evidence.value(QStringLiteral("slice")).toArray())
        slice << condition.toString().toHtmlEscaped();
    h += tr("<h4>Evidence: %1 interactions</h4>").arg(QLocale().toString(t->evidenceCount));
    if (!slice.isEmpty())
        h += tr("<p>Of %1%2</p>")
                 .arg(slice.join(QStringLiteral(", ")),
                      evidence.value(QStringLiteral("release")).toBool()
                          ? tr(" (the release that arrived in the window)")
                          : QString());
    // Reviewed failures by category: as labelled now (the trigger recorded those it was raised with).
    QJsonObject categories = evidence.value(QStringLiteral("categories")).toObject();
    QString reviewed;
    if (extras) {
        categories = {};
        for (const auto& [name, n] : extras->labels.categories)
            categories.insert(QString::fromStdString(name), qint64(n));
        reviewed = tr(" (%1 of the evidence reviewed: %2 failures, %3 passes)")
                       .arg(QLocale().toString(qint64(extras->labels.reviewed)),
                            QLocale().toString(qint64(extras->labels.fail)),
                            QLocale().toString(qint64(extras->labels.pass)));
    }
    h += tr("<p>Versions in the window: %1<br>Signals: %2<br>Reviewed failures: %3%4<br>Rule hits: %5</p>")
             .arg(countsHtml(evidence.value(QStringLiteral("versions")).toObject()),
                  countsHtml(evidence.value(QStringLiteral("signals")).toObject()), countsHtml(categories), reviewed,
                  countsHtml(evidence.value(QStringLiteral("rule_hits")).toObject()));
    if (t->queueId || t->batchId) {
        QStringList links;
        if (t->queueId)
            links << tr("review queue %1").arg(*t->queueId);
        if (t->batchId)
            links << tr("export batch %1").arg(*t->batchId);
        h += tr("<p>Loop: %1</p>").arg(links.join(QStringLiteral(" · ")));
    }
    if (!t->validationJson.empty()) {
        const QJsonObject v = jsonObject(t->validationJson);
        const QString on = v.contains(QStringLiteral("version"))
                               ? tr("version %1").arg(v.value(QStringLiteral("version")).toString().toHtmlEscaped())
                               : tr("the traffic since %1").arg(v.value(QStringLiteral("since")).toString().left(10));
        h += tr("<h4>Validation: %1 on %2</h4>")
                 .arg(v.value(QStringLiteral("recovered")).toBool() ? tr("recovered") : tr("not recovered"), on);
        h += tr("<p>%1 against %2 in the regressed window")
                 .arg(figureHtml(v.value(QStringLiteral("figure")).toObject(), rate),
                      figureHtml(v.value(QStringLiteral("regressed")).toObject(), rate));
        if (v.contains(QStringLiteral("test")))
            h += tr("; p %1").arg(QLocale().toString(v[QStringLiteral("test")][QStringLiteral("p")].toDouble(), 'g', 2));
        h += QStringLiteral("</p>");
    } else if (t->state == TriggerState::Exported) {
        h += tr("<p>Validated once a newer version (or the traffic since the owner's date) has %1 interactions.</p>")
                 .arg(QLocale().toString(qint64(200)));
    }
    if (extras && !extras->events.empty()) {
        h += tr("<h4>History</h4><p>");
        for (const TriggerEvent& event : extras->events)
            h += tr("%1 · %2 by %3%4<br>")
                     .arg(when(event.atMs), html(event.state).replace(QLatin1Char('_'), QLatin1Char(' ')), html(event.actor),
                          event.note.empty() ? QString() : QStringLiteral(": ") + html(event.note));
        h += QStringLiteral("</p>");
    }
    m_detail->setHtml(h);
}

void MonitorsPage::runAction(const QString& what, std::function<QString(JobContext&)> action)
{
    m_status->setText(what);
    m_actionJobs->start<QString>(
        std::move(action),
        [this](QString done) {
            m_status->setText(done);
            m_extras.reset();
            load();
            Q_EMIT actionDone();
        },
        [this](const Error& error) {
            m_status->setText(QString::fromStdString(error.text()));
            Q_EMIT actionDone();
        });
}

void MonitorsPage::checkNow()
{
    if (!m_store.writer)
        return;
    auto writer = m_store.writer;
    const std::string actor = settings::reviewer.value().toStdString();
    m_status->setText(tr("Evaluating the monitors…"));
    m_actionJobs->start<MonitorCheck>(
        [writer, actor](JobContext& context) {
            auto check = checkMonitors(context.database(), *writer, actor.empty() ? "winnow" : actor,
                                       &context.cancelFlag());
            if (!check)
                throw Failure(check.error());
            return *check;
        },
        [this](MonitorCheck check) {
            m_status->setText(tr("%1 windows evaluated: %2 triggers raised, %3 validated, %4 not recovered")
                                  .arg(check.windows)
                                  .arg(check.raised.size())
                                  .arg(check.validated.size())
                                  .arg(check.notRecovered.size()));
            load();
            Q_EMIT checked();
        },
        [this](const Error& error) {
            m_status->setText(QString::fromStdString(error.text()));
            Q_EMIT checked();
        });
}

void MonitorsPage::reviewSelected()
{
    const auto id = selectedTrigger();
    if (!id || !m_store.writer)
        return;
    auto writer = m_store.writer;
    const std::string actor = settings::reviewer.value().toStdString();
    m_status->setText(tr("Making the review queue…"));
    m_actionJobs->start<ReviewQueue>(
        [writer, actor, id](JobContext& context) {
            auto queue = reviewTrigger(context.database(), *writer, *id, actor.empty() ? "winnow" : actor);
            if (!queue)
                throw Failure(queue.error());
            return *queue;
        },
        [this](ReviewQueue queue) {
            m_status->setText(tr("Queue \"%1\": %2 interactions").arg(QString::fromStdString(queue.name)).arg(queue.items));
            m_extras.reset();
            load();
            Q_EMIT actionDone();
            Q_EMIT reviewQueue(QString::fromStdString(queue.name));
        },
        [this](const Error& error) {
            m_status->setText(QString::fromStdString(error.text()));
            Q_EMIT actionDone();
        });
}

void MonitorsPage::validateSelected()
{
    const auto id = selectedTrigger();
    if (!id || !m_store.writer)
        return;
    auto writer = m_store.writer;
    const std::string actor = settings::reviewer.value().toStdString();
    runAction(tr("Validating…"), [writer, actor, id](JobContext& context) {
        std::string why;
        auto done = validateTrigger(context.database(), *writer, *id, actor.empty() ? "winnow" : actor, &why);
        if (!done)
            throw Failure(done.error());
        return QString::fromStdString(why);
    });
}

void MonitorsPage::dismissSelected(const QString& reason)
{
    const auto id = selectedTrigger();
    if (!id || !m_store.writer)
        return;
    auto writer = m_store.writer;
    const std::string actor = settings::reviewer.value().toStdString();
    const std::string why = reason.toStdString();
    runAction(tr("Dismissing…"), [writer, actor, id, why](JobContext& context) {
        if (Status done = dismissTrigger(context.database(), *writer, *id, actor.empty() ? "winnow" : actor, why);
            !done)
            throw Failure(done.error());
        return MonitorsPage::tr("Trigger %1 dismissed").arg(*id);
    });
}

QString MonitorsPage::detailText() const
{
    return m_detail->toPlainText();
}

QString MonitorsPage::statusText() const
{
    return m_status->text();
}

void MonitorsPage::prepareScreenshot()
{
    // The trigger that went furthest round the loop.
    const StoredTrigger* best = nullptr;
    for (int row = 0; row < m_triggers->rowCount(); ++row) {
        const StoredTrigger* t = m_triggers->triggerAt(row);
        if (t->state != TriggerState::Dismissed && (!best || int(t->state) > int(best->state)))
            best = t;
    }
    if (!best) {
        Q_EMIT screenshotReady();
        return;
    }
    connect(this, &MonitorsPage::detailLoaded, this, &Page::screenshotReady, Qt::SingleShotConnection);
    m_extras.reset();
    selectTrigger(best->id);
}

} // namespace winnow
