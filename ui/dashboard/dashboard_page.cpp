#include "ui/dashboard/dashboard_page.h"

#include "core/models/trigger_list_model.h"
#include "core/util/json.h"

#include "core/jobs/job_tracker.h"
#include "core/metrics/drill_down.h"
#include "core/store/interaction_store.h"
#include "ui/review/make_queue.h"

#include <QAreaSeries>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QCursor>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHorizontalBarSeries>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLocale>
#include <QMenu>
#include <QMouseEvent>
#include <QPushButton>
#include <QScatterSeries>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QStackedBarSeries>
#include <QStackedWidget>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>
#include <QXYSeries>

#include <algorithm>
#include <cmath>

namespace winnow {

namespace {

QString percent(double value)
{
    return QLocale().toString(value * 100, 'f', 1) + QLatin1Char('%');
}

// A score as it reads best: three significant digits.
QString scoreText(double value)
{
    return QLocale().toString(value, 'g', 3);
}

QString count(std::int64_t n)
{
    return QLocale().toString(static_cast<qint64>(n));
}

QString bucketLabel(std::int64_t start, Bucket bucket)
{
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(start, Qt::UTC);
    switch (bucket) {
    case Bucket::Hour:
        return t.toString(QStringLiteral("MM-dd HH:00"));
    case Bucket::Day:
        return t.toString(QStringLiteral("MM-dd"));
    case Bucket::Week:
        return DashboardPage::tr("wk %1").arg(t.toString(QStringLiteral("MM-dd")));
    }
    return {};
}

struct RateSeries
{
    Rate rate;
    const char* label;
    const char* colour = nullptr; // the theme's five colours come round again on the sixth line
};
constexpr RateSeries rateSeries[] = {
    {Rate::Escalation, QT_TRANSLATE_NOOP("DashboardPage", "Escalation")},
    {Rate::Correction, QT_TRANSLATE_NOOP("DashboardPage", "Correction")},
    {Rate::Repeat, QT_TRANSLATE_NOOP("DashboardPage", "Repeat")},
    {Rate::ThumbsDown, QT_TRANSLATE_NOOP("DashboardPage", "Thumbs down")},
    {Rate::ToolError, QT_TRANSLATE_NOOP("DashboardPage", "Tool error")},
    {Rate::Guardrail, QT_TRANSLATE_NOOP("DashboardPage", "Guardrail"), "#8d6e63"},
};

// Removes a chart's series and axes, and frees the axes: QChart::removeAxis() leaves them to the
// caller, so a live dashboard would grow with every refresh.
void clearChart(QChart* chart)
{
    chart->removeAllSeries();
    for (QAbstractAxis* axis : chart->axes()) {
        chart->removeAxis(axis);
        delete axis;
    }
}

// Charts follow the palette: dark windows get the dark chart theme.
QChart::ChartTheme themeFor(const QPalette& palette)
{
    return palette.color(QPalette::Window).lightness() < 128 ? QChart::ChartThemeDark
                                                             : QChart::ChartThemeLight;
}

// A point's or bar's tooltip: its figures, and what a click does.
void showSliceTip(const QString& figures)
{
    QToolTip::showText(QCursor::pos(),
                       figures + QLatin1Char('\n') +
                           DashboardPage::tr("Click: its interactions · right-click: review them"));
}

// Nearest series point's bucket for a hovered or clicked x.
const std::pair<std::int64_t, MetricsSummary>* nearestBucket(const DashboardData& data, qreal x)
{
    const std::pair<std::int64_t, MetricsSummary>* best = nullptr;
    for (const auto& entry : data.report.series)
        if (!best || std::fabs(double(entry.first) - x) < std::fabs(double(best->first) - x))
            best = &entry;
    return best;
}

} // namespace

QChartView* DashboardPage::makeChartView(const QString& title, QWidget* parent)
{
    auto* chart = new QChart;
    chart->setTheme(themeFor(palette()));
    chart->setTitle(title);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    auto* view = new QChartView(chart, parent);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(240);
    view->viewport()->installEventFilter(this);
    return view;
}

DashboardPage::DashboardPage(QWidget* parent)
    : Page(parent), m_jobs(new JobTracker(this)), m_scoreJobs(new JobTracker(this))
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    m_stack = new QStackedWidget(this);
    outer->addWidget(m_stack);

    // First run on an empty store.
    auto* empty = new QWidget(m_stack);
    auto* emptyLayout = new QVBoxLayout(empty);
    emptyLayout->addStretch();
    auto* welcome = new QLabel(tr("<h2>This store is empty</h2><p>Load demo data to look around, or add the "
                                  "log files your agents write.</p>"),
                               empty);
    welcome->setAlignment(Qt::AlignCenter);
    emptyLayout->addWidget(welcome);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    auto* demo = new QPushButton(tr("Load demo data"), empty);
    auto* source = new QPushButton(tr("Add log source…"), empty);
    buttons->addWidget(demo);
    buttons->addWidget(source);
    buttons->addStretch();
    emptyLayout->addLayout(buttons);
    emptyLayout->addStretch();
    connect(demo, &QPushButton::clicked, this, &DashboardPage::loadDemoRequested);
    connect(source, &QPushButton::clicked, this, &DashboardPage::addSourceRequested);
    m_stack->addWidget(empty);

    auto* content = new QWidget(m_stack);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(12, 8, 12, 8);
    auto* tiles = new QGridLayout;
    tiles->setSpacing(8);
    const std::pair<QString, QString> tileSpecs[] = {
        {tr("Interactions"), tr("Interactions in the range")},
        {tr("Success"), tr("Outcome resolved, success, succeeded or completed")},
        {tr("Escalation"), tr("Handed to a human")},
        {tr("Correction"), tr("A user turn that says the assistant got it wrong")},
        {tr("Repeat"), tr("The same question again within the repeat window")},
        {tr("Thumbs down"), tr("Explicit negative feedback")},
        {tr("Guardrail"), tr("A guardrail rule of the applied version hit it (the Rules screen)")},
        {tr("p90 latency"), tr("90th percentile of the interactions' latency (exact)")},
        {tr("Cost"), tr("Total cost in the range")},
    };
    int column = 0;
    for (const auto& [title, tip] : tileSpecs)
        tiles->addWidget(makeTile(title, tip), 0, column++);
    layout->addLayout(tiles);

    auto* controls = new QHBoxLayout;
    m_status = new QLabel(content);
    m_status->setForegroundRole(QPalette::PlaceholderText);
    m_status->setWordWrap(true); // a long status wraps rather than widening the window
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    controls->addWidget(m_status, 1);
    auto* successLabel = new QLabel(tr("Success is"), content);
    m_success = new QComboBox(content);
    m_success->addItem(tr("the outcome"), QString());
    m_success->setToolTip(
        tr("Success by the outcome (resolved, success, completed), or by a score at or above "
           "a threshold over the interactions that have the score"));
    successLabel->setBuddy(m_success);
    m_threshold = new QDoubleSpinBox(content);
    m_threshold->setRange(-1e9, 1e9);
    m_threshold->setDecimals(3);
    m_threshold->setSingleStep(0.05);
    m_threshold->setValue(0.5);
    m_threshold->setPrefix(QStringLiteral("≥ "));
    m_threshold->setAccessibleName(tr("Success threshold"));
    m_threshold->setEnabled(false);
    connect(m_success, &QComboBox::currentIndexChanged, this, [this] {
        m_threshold->setEnabled(!m_success->currentData().toString().isEmpty());
        refresh();
    });
    connect(m_threshold, &QDoubleSpinBox::editingFinished, this, [this] {
        if (!m_success->currentData().toString().isEmpty())
            refresh();
    });
    controls->addWidget(successLabel);
    controls->addWidget(m_success);
    controls->addWidget(m_threshold);
    controls->addSpacing(12);
    auto* breakdownLabel = new QLabel(tr("Break down by"), content);
    m_breakdown = new QComboBox(content);
    for (const auto& [field, label] :
         {std::pair{FilterField::AgentVersion, tr("Agent version")},
          std::pair{FilterField::Agent, tr("Agent")}, std::pair{FilterField::Model, tr("Model")},
          std::pair{FilterField::Intent, tr("Intent")}, std::pair{FilterField::Channel, tr("Channel")},
          std::pair{FilterField::Outcome, tr("Outcome")}, std::pair{FilterField::Rule, tr("Guardrail rule")}})
        m_breakdown->addItem(label, QString::fromLatin1(filterFieldName(field)));
    m_fixedBreakdowns = m_breakdown->count();
    breakdownLabel->setBuddy(m_breakdown);
    m_breakdown->setToolTip(
        tr("What the breakdown chart groups by (a dimension, the outcome or a metadata key), "
           "sorted by escalations (rate × volume)"));
    connect(m_breakdown, &QComboBox::currentIndexChanged, this, &DashboardPage::refresh);
    controls->addWidget(breakdownLabel);
    controls->addWidget(m_breakdown);
    layout->addLayout(controls);

    // Scores, when the slice has any: a tile per score, and one score's distribution and breakdown.
    m_scoreStrip = new QWidget(content);
    auto* strip = new QHBoxLayout(m_scoreStrip);
    strip->setContentsMargins(0, 0, 0, 0);
    strip->setSpacing(8);
    m_scoreTiles = new QHBoxLayout;
    m_scoreTiles->setSpacing(8);
    strip->addLayout(m_scoreTiles);
    strip->addStretch();
    auto* detailLabel = new QLabel(tr("Score charts of"), m_scoreStrip);
    m_scoreChoice = new QComboBox(m_scoreStrip);
    m_scoreChoice->setToolTip(tr("The score whose distribution and breakdown are drawn"));
    detailLabel->setBuddy(m_scoreChoice);
    connect(m_scoreChoice, &QComboBox::currentIndexChanged, this, &DashboardPage::refreshScores);
    strip->addWidget(detailLabel);
    strip->addWidget(m_scoreChoice);
    m_scoreStrip->hide();
    layout->addWidget(m_scoreStrip);

    auto* charts = m_charts = new QGridLayout;
    m_rates = makeChartView(tr("Rates"), content);
    m_latency = makeChartView(tr("Latency"), content);
    m_volume = makeChartView(tr("Volume by agent version"), content);
    m_breakdownChart = makeChartView(tr("Breakdown"), content);
    m_scoreDistribution = makeChartView(tr("Score distribution"), content);
    m_scoreBreakdown = makeChartView(tr("Score breakdown"), content);
    placeCharts(true);
    m_scoreDistribution->hide();
    m_scoreBreakdown->hide();
    layout->addLayout(charts, 1);
    // Three rows of charts do not fit every window: the page scrolls rather than squash them.
    auto* scroll = new QScrollArea(m_stack);
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_stack->addWidget(scroll);
    m_stack->setCurrentIndex(1);
}

void DashboardPage::placeCharts(bool timed)
{
    for (QChartView* view :
         {m_rates, m_latency, m_volume, m_breakdownChart, m_scoreDistribution, m_scoreBreakdown})
        m_charts->removeWidget(view);
    for (QChartView* view : {m_rates, m_latency, m_volume})
        view->setVisible(timed);
    if (timed) {
        m_charts->addWidget(m_rates, 0, 0);
        m_charts->addWidget(m_latency, 0, 1);
        m_charts->addWidget(m_volume, 1, 0);
        m_charts->addWidget(m_breakdownChart, 1, 1);
        m_charts->addWidget(m_scoreDistribution, 2, 0);
        m_charts->addWidget(m_scoreBreakdown, 2, 1);
    } else {
        m_charts->addWidget(m_scoreDistribution, 0, 0);
        m_charts->addWidget(m_scoreBreakdown, 0, 1);
        m_charts->addWidget(m_breakdownChart, 1, 0);
    }
    // Rows share the height evenly; the third exists only with timed interactions.
    m_charts->setRowStretch(0, 1);
    m_charts->setRowStretch(1, 1);
    m_charts->setRowStretch(2, timed ? 1 : 0);
}

QWidget* DashboardPage::makeTile(const QString& title, const QString& tooltip)
{
    auto* tile = new QFrame(this);
    tile->setFrameShape(QFrame::StyledPanel);
    tile->setToolTip(tooltip);
    tile->setAutoFillBackground(true);
    tile->setBackgroundRole(QPalette::Base);
    auto* layout = new QVBoxLayout(tile);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->setSpacing(2);
    auto* name = new QLabel(title, tile);
    name->setForegroundRole(QPalette::PlaceholderText);
    auto* value = new QLabel(QStringLiteral("–"), tile);
    QFont big = value->font();
    big.setPointSizeF(big.pointSizeF() * 1.5);
    big.setBold(true);
    value->setFont(big);
    auto* change = new QLabel(tile);
    layout->addWidget(name);
    layout->addWidget(value);
    layout->addWidget(change);
    m_tiles[title] = {value, change};
    return tile;
}

void DashboardPage::setTile(const QString& title, const QString& value, const QString& change, int tone)
{
    auto& [valueLabel, changeLabel] = m_tiles.at(title);
    valueLabel->setText(value);
    changeLabel->setText(change);
    // Colour only says something when the change is significant (tone != 0).
    QPalette palette = changeLabel->palette();
    palette.setColor(QPalette::WindowText, tone > 0   ? QColor(0x2e, 0x9d, 0x4f)
                                           : tone < 0 ? QColor(0xd0, 0x3b, 0x3b)
                                                      : this->palette().color(QPalette::PlaceholderText));
    changeLabel->setPalette(palette);
}

QString DashboardPage::tileText(const QString& title) const
{
    const auto found = m_tiles.find(title);
    return found == m_tiles.end() ? QString() : found->second.first->text();
}

bool DashboardPage::empty() const
{
    return m_stack->currentIndex() == 0;
}

void DashboardPage::setStore(const StoreContext& store)
{
    m_writer = store.writer;
    m_readOnlyReason = store.readOnlyReason;
    m_jobs->setStorePath(store.path);
    m_scoreJobs->setStorePath(store.path);
}

void DashboardPage::setOutline(const StoreOutline& outline)
{
    // Offered without reading again: the window refreshes the page after the outline.
    const QSignalBlocker blockBreakdown(m_breakdown);
    const QSignalBlocker blockSuccess(m_success);
    const QString breakdown = m_breakdown->currentData().toString();
    while (m_breakdown->count() > m_fixedBreakdowns)
        m_breakdown->removeItem(m_breakdown->count() - 1);
    for (const std::string& key : outline.metadataKeys)
        m_breakdown->addItem(tr("Metadata: %1").arg(QString::fromStdString(key)),
                             QString::fromStdString("metadata." + key));
    m_breakdown->setCurrentIndex(std::max(0, m_breakdown->findData(breakdown)));
    const QString success = m_success->currentData().toString();
    while (m_success->count() > 1)
        m_success->removeItem(m_success->count() - 1);
    for (const std::string& name : outline.scoreNames)
        m_success->addItem(tr("score %1").arg(QString::fromStdString(name)), QString::fromStdString(name));
    m_success->setCurrentIndex(std::max(0, m_success->findData(success)));
    m_threshold->setEnabled(!m_success->currentData().toString().isEmpty());
}

void DashboardPage::setBreakdown(const QString& grouping)
{
    const int index = m_breakdown->findData(grouping);
    if (index >= 0)
        m_breakdown->setCurrentIndex(index);
}

void DashboardPage::setSuccessByScore(const QString& score, double threshold)
{
    const QSignalBlocker block(m_threshold);
    m_threshold->setValue(threshold);
    const int index = m_success->findData(score);
    if (index >= 0 && index != m_success->currentIndex())
        m_success->setCurrentIndex(index);
    else
        refresh();
}

void DashboardPage::setFilter(const MetricsFilter& filter)
{
    m_filter = filter;
    refresh();
}

void DashboardPage::refresh()
{
    if (m_jobs->storePath().empty())
        return;
    const MetricsFilter filter = m_filter;
    DashboardOptions options;
    if (auto grouping = parseGrouping(m_breakdown->currentData().toString().toStdString()))
        options.breakdown = *grouping;
    options.successScore = m_success->currentData().toString().toStdString();
    options.successThreshold = m_threshold->value();
    m_status->setText(tr("Computing…"));
    refreshScores();
    m_jobs->start<std::optional<DashboardData>>(
        [filter, options](JobContext& context) -> std::optional<DashboardData> {
            if (InteractionStore(context.database()).isEmpty())
                return std::nullopt; // the welcome page, for an empty store only
            return loadDashboard(context.database(), filter, options);
        },
        [this](std::optional<DashboardData> data) {
            if (!data) {
                m_stack->setCurrentIndex(0);
                m_data.reset();
                Q_EMIT loaded();
                return;
            }
            m_stack->setCurrentIndex(1);
            show(std::move(*data));
            Q_EMIT loaded();
        },
        [this](const Error& error) {
            m_status->setText(
                tr("Could not compute the figures: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT loaded();
        });
}

void DashboardPage::show(DashboardData data)
{
    m_data = std::move(data);
    const DashboardData& d = *m_data;
    const MetricsSummary& now = d.report.summary;
    const MetricsSummary* before = d.report.previous ? &*d.report.previous : nullptr;
    auto date = [](std::int64_t ms, const char* format) {
        return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QString::fromLatin1(format));
    };
    const QString bucketName = d.bucket == Bucket::Hour  ? tr("hour")
                               : d.bucket == Bucket::Day ? tr("day")
                                                         : tr("week");
    QString status;
    if (d.allTime())
        status = tr("%1 interactions · all time").arg(count(now.interactions)) +
                 (d.untimed ? tr(", %1 of them without a time (counted, not in the charts over time)")
                                  .arg(count(d.untimed))
                            : QString()) +
                 (d.span ? tr(" · by %1").arg(bucketName) : QString());
    else
        status =
            tr("%1 interactions · %2 to %3 (UTC) · by %4")
                .arg(count(now.interactions), date(*d.filter.fromMs, "yyyy-MM-dd HH:mm"),
                     date(*d.filter.toMs, "yyyy-MM-dd HH:mm"), bucketName) +
            (d.untimed ? tr(" · leaves out %1 without a time (All time counts them)").arg(count(d.untimed))
                       : QString());
    if (now.interactions == 0)
        status = tr("No interactions match this filter") + QStringLiteral(" · ") + status;
    if (!d.options.successScore.empty())
        status += tr(" · success: %1 ≥ %2")
                      .arg(QString::fromStdString(d.options.successScore),
                           QLocale().toString(d.options.successThreshold));
    m_status->setText(status);

    // Why there is no change to show: short on the tiles, the reason in the status line.
    const QString withheld = d.withheld == ComparisonWithheld::AllTime ? tr("all time") : tr("no comparison");
    QString reason;
    switch (d.withheld) {
    case ComparisonWithheld::None:
        reason = tr("compared with the same length before");
        break;
    case ComparisonWithheld::AllTime:
        break;
    case ComparisonWithheld::LogsBeginInside:
        reason = d.logsBeginMs ? tr("no comparison: the logs begin %1, after the previous period starts")
                                     .arg(date(*d.logsBeginMs, "yyyy-MM-dd HH:mm"))
                               : tr("no comparison: nothing before");
        break;
    case ComparisonWithheld::TooFew:
        reason = tr("no comparison: %1 interactions before, %2 now (changes need %3 in each)")
                     .arg(count(d.previousInteractions), count(now.interactions), count(comparisonMinimum));
        break;
    }
    if (!reason.isEmpty())
        m_status->setText(m_status->text() + QStringLiteral(" · ") + reason);
    for (auto& [title, labels] : m_tiles)
        labels.second->setToolTip(reason);

    auto change = [&](double current, double previous, bool asPoints) {
        if (!before)
            return withheld;
        const double delta = current - previous;
        if (asPoints)
            return tr("%1%2 pts vs before")
                .arg(delta >= 0 ? QStringLiteral("+") : QString(), QLocale().toString(delta * 100, 'f', 1));
        if (previous == 0)
            return tr("new");
        return tr("%1%2% vs before")
            .arg(delta >= 0 ? QStringLiteral("+") : QString(),
                 QLocale().toString(delta / previous * 100, 'f', 1));
    };
    setTile(tr("Interactions"), count(now.interactions),
            change(double(now.interactions), before ? double(before->interactions) : 0, false), 0);
    const std::pair<QString, Rate> rateTiles[] = {
        {tr("Success"), Rate::Success},        {tr("Escalation"), Rate::Escalation},
        {tr("Correction"), Rate::Correction},  {tr("Repeat"), Rate::Repeat},
        {tr("Thumbs down"), Rate::ThumbsDown}, {tr("Guardrail"), Rate::Guardrail}};
    for (const auto& [title, rate] : rateTiles) {
        const RateEstimate& r = now.rate(rate);
        int tone = 0;
        const RateComparison& comparison = d.report.comparison[static_cast<size_t>(rate)];
        if (before && comparison.significant) {
            const bool up = comparison.difference > 0;
            tone = (rate == Rate::Success) == up ? 1 : -1; // more success is good, more of the others bad
        }
        setTile(title, percent(r.value),
                change(r.value, before ? before->rate(rate).value : 0, true) +
                    (tone ? tr(" (significant)") : QString()),
                tone);
        m_tiles.at(title).first->setToolTip(
            tr("%1 of %2; 95% interval %3 – %4")
                .arg(count(r.hits), count(r.n), percent(r.low), percent(r.high)));
    }
    setTile(
        tr("p90 latency"),
        now.latencyP90 ? tr("%1 ms").arg(QLocale().toString(*now.latencyP90, 'f', 0)) : QStringLiteral("–"),
        before && before->latencyP90 && now.latencyP90 ? change(*now.latencyP90, *before->latencyP90, false)
        : before                                       ? tr("no latency before")
                                                       : withheld,
        0);
    // Cost is unknown where nothing says it (no cost logged, no price for the model): never $0.
    if (now.priced == 0) {
        setTile(tr("Cost"), tr("unknown"), now.interactions ? tr("no cost logged or priced") : QString(), 0);
    } else {
        const bool estimated = now.costEstimated > 0;
        setTile(tr("Cost"),
                (estimated ? QStringLiteral("≈$") : QStringLiteral("$")) +
                    QLocale().toString(now.costUsd, 'f', 2),
                change(now.costUsd, before ? before->costUsd : 0, false), 0);
    }
    m_tiles.at(tr("Cost"))
        .first->setToolTip(tr("%1 of %2 interactions have a cost, %3 of them estimated from the model price "
                              "table (winnow prices); "
                              "the others' cost is unknown and not counted")
                               .arg(count(now.priced), count(now.interactions), count(now.costEstimated)));
    buildCharts();
}

void DashboardPage::refreshScores()
{
    if (m_jobs->storePath().empty())
        return;
    ScoreQuery query;
    query.filter = m_filter;
    query.detail = m_scoreChoice->currentData().toString().toStdString();
    if (auto grouping = parseGrouping(m_breakdown->currentData().toString().toStdString()))
        query.breakdown = *grouping;
    m_scoreJobs->start<ScoreReport>(
        [query](JobContext& context) {
            ScoreReport report = computeScores(context.database(), query);
            if (report.distribution.counts.empty() && !query.detail.empty()) {
                // The score asked for is not in this slice: the first one that is.
                ScoreQuery first = query;
                first.detail.clear();
                report = computeScores(context.database(), first);
            }
            return report;
        },
        [this](ScoreReport report) {
            showScores(std::move(report));
            Q_EMIT scoresLoaded();
        },
        [this](const Error& error) {
            m_scores.reset();
            m_scoreStrip->hide();
            m_scoreDistribution->hide();
            m_scoreBreakdown->hide();
            m_status->setToolTip(
                tr("Could not compute the scores: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT scoresLoaded();
        });
}

QString DashboardPage::scoreTileText(const QString& name) const
{
    const auto found = m_scoreTileValues.find(name);
    return found == m_scoreTileValues.end() ? QString() : found->second->text();
}

void DashboardPage::showScores(ScoreReport report)
{
    m_scores = std::move(report);
    const ScoreReport& r = *m_scores;
    while (QLayoutItem* item = m_scoreTiles->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    m_scoreTileValues.clear();
    const bool any = !r.scores.empty();
    m_scoreStrip->setVisible(any);
    m_scoreDistribution->setVisible(any);
    m_scoreBreakdown->setVisible(any);
    if (!any)
        return;
    constexpr size_t shownTiles = 6;
    for (size_t i = 0; i < r.scores.size() && i < shownTiles; ++i) {
        const ScoreSummary& s = r.scores[i];
        const QString name = QString::fromStdString(s.name);
        auto* tile = new QFrame(m_scoreStrip);
        tile->setFrameShape(QFrame::StyledPanel);
        tile->setAutoFillBackground(true);
        tile->setBackgroundRole(QPalette::Base);
        auto* tileLayout = new QVBoxLayout(tile);
        tileLayout->setContentsMargins(10, 6, 10, 6);
        tileLayout->setSpacing(2);
        auto* title = new QLabel(tr("Mean %1").arg(name), tile);
        title->setForegroundRole(QPalette::PlaceholderText);
        auto* value = new QLabel(scoreText(s.mean), tile);
        QFont big = value->font();
        big.setPointSizeF(big.pointSizeF() * 1.5);
        big.setBold(true);
        value->setFont(big);
        auto* detail =
            new QLabel(tr("95% %1 – %2 · n = %3").arg(scoreText(s.low), scoreText(s.high), count(s.n)), tile);
        detail->setForegroundRole(QPalette::PlaceholderText);
        tileLayout->addWidget(title);
        tileLayout->addWidget(value);
        tileLayout->addWidget(detail);
        tile->setToolTip(tr("%1 over %2 interactions: mean %3, 95% interval %4 – %5 (Student's t), standard "
                            "deviation %6, from %7 to %8")
                             .arg(name, count(s.n), scoreText(s.mean), scoreText(s.low), scoreText(s.high),
                                  scoreText(s.sd), scoreText(s.min), scoreText(s.max)));
        m_scoreTiles->addWidget(tile);
        m_scoreTileValues[name] = value;
    }
    if (r.scores.size() > shownTiles) {
        auto* more = new QLabel(
            tr("+%n more score(s): winnow scores lists all", nullptr, int(r.scores.size() - shownTiles)),
            m_scoreStrip);
        more->setForegroundRole(QPalette::PlaceholderText);
        m_scoreTiles->addWidget(more);
    }
    {
        const QSignalBlocker block(m_scoreChoice);
        m_scoreChoice->clear();
        for (const ScoreSummary& s : r.scores)
            m_scoreChoice->addItem(QString::fromStdString(s.name), QString::fromStdString(s.name));
        m_scoreChoice->setCurrentIndex(
            std::max(0, m_scoreChoice->findData(QString::fromStdString(r.detailed))));
    }
    buildScoreCharts();
}

void DashboardPage::buildScoreCharts()
{
    if (!m_scores || m_scores->scores.empty())
        return;
    const ScoreReport& r = *m_scores;
    const QString name = QString::fromStdString(r.detailed);

    // The distribution: a bar per bin; a click opens the interactions in it.
    QChart* distribution = m_scoreDistribution->chart();
    clearChart(distribution);
    distribution->setTitle(tr("Distribution of %1").arg(name));
    const ScoreDistribution& d = r.distribution;
    auto* bins = new QBarSeries;
    auto* set = new QBarSet(tr("Interactions"));
    QStringList labels;
    std::int64_t tallest = 1;
    for (size_t i = 0; i < d.counts.size(); ++i) {
        *set << qreal(d.counts[i]);
        tallest = std::max(tallest, d.counts[i]);
        labels << scoreText(d.edge(i));
    }
    bins->append(set);
    bins->setBarWidth(0.9);
    distribution->addSeries(bins);
    auto* binAxis = new QBarCategoryAxis;
    binAxis->append(labels);
    binAxis->setLabelsAngle(labels.size() > 10 ? -60 : 0);
    distribution->addAxis(binAxis, Qt::AlignBottom);
    bins->attachAxis(binAxis);
    auto* countAxis = new QValueAxis;
    countAxis->setLabelFormat(QStringLiteral("%.0f"));
    countAxis->setRange(0, double(tallest) * 1.1);
    countAxis->applyNiceNumbers();
    distribution->addAxis(countAxis, Qt::AlignLeft);
    bins->attachAxis(countAxis);
    distribution->legend()->setVisible(false);
    auto binRange = [d](int index) {
        const double from = d.edge(size_t(index));
        return std::pair(from, d.perValue ? from : d.edge(size_t(index) + 1));
    };
    connect(set, &QBarSet::hovered, this, [this, set, binRange, d, name](bool state, int index) {
        if (!state || index < 0) {
            QToolTip::hideText();
            return;
        }
        const auto [from, to] = binRange(index);
        const bool last = index + 1 == int(d.counts.size());
        showSliceTip(
            d.perValue
                ? tr("%1 = %2: %3 interactions").arg(name, scoreText(from), count(qint64(set->at(index))))
                : tr("%1 in [%2, %3%4: %5 interactions")
                      .arg(name, scoreText(from), scoreText(to),
                           last ? QStringLiteral("]") : QStringLiteral(")"), count(qint64(set->at(index)))));
    });
    sliceOnBars(set, [this, binRange, d, name](int index) -> std::optional<MetricsFilter> {
        if (index < 0 || index >= int(d.counts.size()))
            return std::nullopt;
        const auto [from, to] = binRange(index);
        const std::string score = name.toStdString();
        MetricsFilter filter = m_filter;
        auto bound = [&](Comparison comparison, double value) {
            char text[40];
            std::snprintf(text, sizeof text, "%.17g", value);
            filter.with(Condition{FilterField::Score, text, score, comparison});
        };
        if (d.perValue) {
            bound(Comparison::Equal, from);
        } else {
            bound(Comparison::GreaterOrEqual, from);
            bound(index + 1 == int(d.counts.size()) ? Comparison::LessOrEqual : Comparison::Less, to);
        }
        return filter;
    });

    // The score's mean per value of the breakdown, most scored first (top ten).
    QChart* byGroup = m_scoreBreakdown->chart();
    clearChart(byGroup);
    byGroup->setTitle(tr("Mean %1 by %2, most scored first").arg(name, m_breakdown->currentText()));
    auto* bars = new QHorizontalBarSeries;
    auto* means = new QBarSet(tr("Mean %1").arg(name));
    std::vector<const ScoreGroup*> rows;
    for (const ScoreGroup& g : r.groups) {
        if (rows.size() == 10)
            break;
        rows.push_back(&g);
    }
    std::reverse(rows.begin(), rows.end());
    QStringList values;
    double lowest = 0, highest = 0;
    for (const ScoreGroup* g : rows) {
        values << (g->value.empty() ? tr("(none)") : QString::fromStdString(g->value));
        *means << g->summary.mean;
        lowest = std::min(lowest, g->summary.low);
        highest = std::max(highest, g->summary.high);
    }
    bars->append(means);
    bars->setLabelsVisible(true);
    bars->setLabelsPrecision(3);
    byGroup->addSeries(bars);
    auto* groupAxis = new QBarCategoryAxis;
    groupAxis->append(values);
    byGroup->addAxis(groupAxis, Qt::AlignLeft);
    bars->attachAxis(groupAxis);
    auto* meanAxis = new QValueAxis;
    meanAxis->setRange(lowest, highest > lowest ? highest * 1.05 : lowest + 1);
    meanAxis->applyNiceNumbers();
    byGroup->addAxis(meanAxis, Qt::AlignBottom);
    bars->attachAxis(meanAxis);
    byGroup->legend()->setVisible(false);
    connect(means, &QBarSet::hovered, this, [this, rows, name](bool state, int index) {
        if (!state || index < 0 || index >= int(rows.size())) {
            QToolTip::hideText();
            return;
        }
        const ScoreSummary& s = rows[size_t(index)]->summary;
        showSliceTip(tr("%1: mean %2 %3, 95% interval %4 – %5, n = %6")
                         .arg(QString::fromStdString(rows[size_t(index)]->value), name, scoreText(s.mean),
                              scoreText(s.low), scoreText(s.high), count(s.n)));
    });
    const auto grouping = parseGrouping(m_breakdown->currentData().toString().toStdString());
    if (grouping)
        sliceOnBars(means, [this, rows, field = *grouping](int index) -> std::optional<MetricsFilter> {
            if (index < 0 || index >= int(rows.size()))
                return std::nullopt;
            return drillIntoBreakdown(m_filter, field, rows[size_t(index)]->value);
        });
}

bool DashboardPage::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::MouseButtonPress)
        m_pressedButton = static_cast<QMouseEvent*>(event)->button();
    else if (event->type() == QEvent::ContextMenu)
        return true; // a chart's menu is the slice's, offered on the press; not the window's
    return Page::eventFilter(watched, event);
}

// A right press offers the menu at once: the right button's release may never reach the item
// (the context menu event takes it). A left click opens the interactions.
void DashboardPage::sliceOnBars(QBarSet* set, std::function<std::optional<MetricsFilter>(int)> sliceOf)
{
    connect(set, &QBarSet::pressed, this, [this, sliceOf](int index) {
        if (m_pressedButton == Qt::RightButton)
            if (auto slice = sliceOf(index))
                offerSlice(*slice);
    });
    connect(set, &QBarSet::clicked, this, [this, sliceOf](int index) {
        if (m_pressedButton != Qt::RightButton)
            if (auto slice = sliceOf(index))
                Q_EMIT showInteractions(*slice);
    });
}

void DashboardPage::sliceOnPoints(QXYSeries* series,
                                  std::function<std::optional<MetricsFilter>(const QPointF&)> sliceOf)
{
    connect(series, &QXYSeries::pressed, this, [this, sliceOf](const QPointF& point) {
        if (m_pressedButton == Qt::RightButton)
            if (auto slice = sliceOf(point))
                offerSlice(*slice);
    });
    connect(series, &QXYSeries::clicked, this, [this, sliceOf](const QPointF& point) {
        if (m_pressedButton != Qt::RightButton)
            if (auto slice = sliceOf(point))
                Q_EMIT showInteractions(*slice);
    });
}

void DashboardPage::offerSlice(const MetricsFilter& slice)
{
    auto* menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addAction(tr("Show These Interactions"), this, [this, slice] { Q_EMIT showInteractions(slice); });
    QAction* review = menu->addAction(tr("Review These…"), this, [this, slice] { reviewSlice(slice); });
    review->setEnabled(m_writer != nullptr);
    if (!m_writer)
        review->setToolTip(m_readOnlyReason);
    menu->popup(QCursor::pos());
}

void DashboardPage::reviewSlice(const MetricsFilter& slice)
{
    QueueRequest request;
    request.filter = slice;
    QStringList parts;
    if (!slice.where.empty())
        parts << QString::fromStdString(conditionListText(slice.where));
    auto date = [](std::int64_t ms) {
        return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd HH:mm"));
    };
    if (slice.fromMs && slice.toMs)
        parts << tr("%1 to %2 (UTC)").arg(date(*slice.fromMs), date(*slice.toMs));
    else if (slice.fromMs)
        parts << tr("from %1 (UTC)").arg(date(*slice.fromMs));
    else if (slice.toMs)
        parts << tr("until %1 (UTC)").arg(date(*slice.toMs));
    const QString what = parts.isEmpty() ? tr("A queue of every interaction, worst first, named:")
                                         : tr("A queue of the interactions of %1, worst first, named:")
                                               .arg(parts.join(QStringLiteral(" · ")));
    askAndMakeQueue(
        this, m_jobs->storePath(), m_writer, request, what,
        [this](const ReviewQueue& queue) {
            m_status->setText(tr("Queue %1 made (%n interaction(s))", nullptr, int(queue.items))
                                  .arg(QString::fromStdString(queue.name)));
            Q_EMIT reviewQueue(QString::fromStdString(queue.name));
        },
        [this](const QString& error) { m_status->setText(tr("No queue made: %1").arg(error)); });
}

void DashboardPage::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() != QEvent::PaletteChange || !m_rates)
        return;
    for (QChartView* view :
         {m_rates, m_latency, m_volume, m_breakdownChart, m_scoreDistribution, m_scoreBreakdown}) {
        clearChart(view->chart()); // a theme change recolours series: rebuild them after
        view->chart()->setTheme(themeFor(palette()));
    }
    if (m_data)
        buildCharts();
    buildScoreCharts();
}

int DashboardPage::chartTheme() const
{
    return m_rates->chart()->theme();
}

void DashboardPage::buildCharts()
{
    const DashboardData& d = *m_data;
    // Without a start time nothing can be drawn over time: those charts step aside for the
    // scores and the breakdown.
    placeCharts(d.span.has_value());
    m_rates->chart()->setTitle(
        d.span ? tr("Rates (95% interval shaded; click the legend to show or hide a line)")
               : tr("Rates: no interaction has a time"));
    m_latency->chart()->setTitle(d.span ? tr("Latency") : tr("Latency: no interaction has a time"));
    m_volume->chart()->setTitle(d.span ? tr("Volume by agent version")
                                       : tr("Volume by agent version: no interaction has a time"));
    const qreal from = d.span ? qreal(d.span->first) : 0, to = d.span ? qreal(d.span->second) : 1;
    auto timeAxis = [&](QChart* chart) {
        auto* axis = new QDateTimeAxis;
        axis->setFormat(d.bucket == Bucket::Hour ? QStringLiteral("MM-dd HH:mm") : QStringLiteral("MM-dd"));
        axis->setRange(QDateTime::fromMSecsSinceEpoch(qint64(from), Qt::UTC),
                       QDateTime::fromMSecsSinceEpoch(qint64(to), Qt::UTC));
        axis->setTickCount(7);
        chart->addAxis(axis, Qt::AlignBottom);
        return axis;
    };
    auto releaseMarkers = [&](QChart* chart, QAbstractAxis* x, QValueAxis* y) {
        for (const auto& [version, day] : d.releases) {
            auto* marker = new QLineSeries;
            marker->setName(tr("%1 first seen").arg(QString::fromStdString(version)));
            marker->append(qreal(day), y->min());
            marker->append(qreal(day), y->max());
            QPen pen(QColor(0x88, 0x88, 0x88));
            pen.setStyle(Qt::DashLine);
            marker->setPen(pen);
            chart->addSeries(marker);
            marker->attachAxis(x);
            marker->attachAxis(y);
            // Named in the tooltip, not the legend: the legend is for the measures.
            for (QLegendMarker* legend : chart->legend()->markers(marker))
                legend->setVisible(false);
            connect(marker, &QLineSeries::hovered, this, [name = marker->name()](const QPointF&, bool state) {
                if (state)
                    QToolTip::showText(QCursor::pos(), name); // a release marker, not a slice
            });
        }
    };

    // Rates over time; each point's tooltip has the exact value and counts, a click opens them.
    QChart* rates = m_rates->chart();
    clearChart(rates);
    QAbstractAxis* ratesX = timeAxis(rates);
    auto* ratesY = new QValueAxis;
    ratesY->setLabelFormat(QStringLiteral("%.0f%%"));
    rates->addAxis(ratesY, Qt::AlignLeft);
    // Buckets with few interactions are faded points off the line, outside the band and the axis
    // scale: a 100% from 4 interactions is not a spike. When every bucket is sparse, all are drawn.
    const bool anyDense = std::any_of(d.report.series.begin(), d.report.series.end(), [](const auto& entry) {
        return entry.second.interactions >= sparseBucketMinimum;
    });
    auto dense = [&](const MetricsSummary& s) { return !anyDense || s.interactions >= sparseBucketMinimum; };
    std::int64_t sparseBuckets = 0;
    for (const auto& [start, summary] : d.report.series)
        sparseBuckets += dense(summary) ? 0 : 1;
    double highest = 1;
    struct Band
    {
        QLineSeries* line;
        QList<QPointF> upper, lower;
    };
    std::vector<Band> bands;
    for (const RateSeries& spec : rateSeries) {
        auto* series = new QLineSeries;
        series->setName(tr(spec.label));
        series->setPointsVisible(d.report.series.size() <= 60);
        // A line clicked off in the legend stays in it (to be clicked on again), without points,
        // and out of the axis scale: the guardrail rate (off at first) would squash the others.
        const bool hidden = m_hiddenRates.count(spec.rate) > 0;
        QList<QPointF> points, sparse, upper, lower;
        for (const auto& [start, summary] : d.report.series) {
            if (hidden)
                break;
            const RateEstimate& r = summary.rate(spec.rate);
            if (!dense(summary)) {
                sparse.append(QPointF(qreal(start), r.value * 100));
                continue;
            }
            points.append(QPointF(qreal(start), r.value * 100));
            upper.append(QPointF(qreal(start), r.high * 100));
            lower.append(QPointF(qreal(start), r.low * 100));
            highest = std::max(highest, r.high * 100);
        }
        series->replace(points);
        rates->addSeries(series);
        if (spec.colour) // after adding: the chart gives each new series the theme's next colour
            series->setColor(QColor(QLatin1String(spec.colour)));
        series->attachAxis(ratesX);
        series->attachAxis(ratesY);
        bands.push_back({series, upper, lower});
        for (QLegendMarker* marker : rates->legend()->markers(series)) {
            if (hidden) {
                QFont font = marker->font();
                font.setStrikeOut(true);
                marker->setFont(font);
                marker->setLabelBrush(palette().brush(QPalette::Disabled, QPalette::Text));
            }
            const Rate rate = spec.rate;
            connect(marker, &QLegendMarker::clicked, this, [this, rate] {
                if (!m_hiddenRates.erase(rate))
                    m_hiddenRates.insert(rate);
                buildCharts();
            });
        }
        if (!sparse.isEmpty()) {
            auto* faded = new QScatterSeries;
            faded->setName(tr("%1, few interactions").arg(tr(spec.label)));
            QColor colour = series->color();
            colour.setAlphaF(0.35);
            faded->setColor(colour);
            faded->setBorderColor(colour);
            faded->setMarkerSize(6);
            faded->replace(sparse);
            rates->addSeries(faded);
            faded->attachAxis(ratesX);
            faded->attachAxis(ratesY);
            for (QLegendMarker* legend : rates->legend()->markers(faded))
                legend->setVisible(false);
            const Rate rate = spec.rate;
            connect(faded, &QScatterSeries::hovered, this, [this, rate](const QPointF& point, bool state) {
                if (!state || !m_data) {
                    QToolTip::hideText();
                    return;
                }
                if (const auto* bucket = nearestBucket(*m_data, point.x())) {
                    const RateEstimate& r = bucket->second.rate(rate);
                    showSliceTip(tr("%1: only %2 interactions; %3 (95% interval %4 – %5)")
                                     .arg(bucketLabel(bucket->first, m_data->bucket), count(r.n),
                                          percent(r.value), percent(r.low), percent(r.high)));
                }
            });
            sliceOnPoints(faded, [this, rate](const QPointF& point) -> std::optional<MetricsFilter> {
                if (const auto* bucket = m_data ? nearestBucket(*m_data, point.x()) : nullptr)
                    return drillIntoBucket(m_data->filter, m_data->bucket, bucket->first, rate);
                return std::nullopt;
            });
        }
        const Rate rate = spec.rate;
        const QString label = tr(spec.label);
        connect(series, &QLineSeries::hovered, this, [this, rate, label](const QPointF& point, bool state) {
            if (!state || !m_data) {
                QToolTip::hideText();
                return;
            }
            if (const auto* bucket = nearestBucket(*m_data, point.x())) {
                const RateEstimate& r = bucket->second.rate(rate);
                showSliceTip(tr("%1, %2: %3 (%4 of %5)")
                                 .arg(bucketLabel(bucket->first, m_data->bucket), label, percent(r.value),
                                      count(r.hits), count(r.n)));
            }
        });
        sliceOnPoints(series, [this, rate](const QPointF& point) -> std::optional<MetricsFilter> {
            if (const auto* bucket = m_data ? nearestBucket(*m_data, point.x()) : nullptr)
                return drillIntoBucket(m_data->filter, m_data->bucket, bucket->first, rate);
            return std::nullopt;
        });
    }
    // Each line's 95% band, translucent in the line's colour.
    for (const Band& edges : bands) {
        if (edges.upper.size() < 2)
            continue;
        // The band owns its edges (QAreaSeries does not): removing the band frees them.
        auto* band = new QAreaSeries;
        auto* upper = new QLineSeries(band);
        auto* lower = new QLineSeries(band);
        upper->replace(edges.upper);
        lower->replace(edges.lower);
        band->setUpperSeries(upper);
        band->setLowerSeries(lower);
        band->setName(tr("%1, 95% interval").arg(edges.line->name()));
        QColor fill = edges.line->color();
        fill.setAlphaF(0.15);
        band->setBrush(fill);
        band->setPen(Qt::NoPen);
        rates->addSeries(band);
        band->attachAxis(ratesX);
        band->attachAxis(ratesY);
        for (QLegendMarker* legend : rates->legend()->markers(band))
            legend->setVisible(false);
    }
    ratesY->setRange(0, std::min(100.0, std::ceil(highest * 1.1 / 5) * 5));
    ratesY->applyNiceNumbers();
    releaseMarkers(rates, ratesX, ratesY);
    // Retraining triggers where their window ends, at the figure they fired on (a rate) or at the
    // top; hover says which, a click opens it in Monitors.
    if (!d.triggers.empty()) {
        auto* triggers = new QScatterSeries;
        triggers->setName(tr("Retraining triggers"));
        triggers->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
        triggers->setMarkerSize(11);
        triggers->setColor(QColor(0xd6, 0x27, 0x28));
        triggers->setBorderColor(Qt::white);
        for (const StoredTrigger& trigger : d.triggers) {
            const QJsonObject figures = jsonObject(trigger.figuresJson);
            const bool rate = figures.value(QStringLiteral("figure")).toString().contains(QLatin1String("rate"));
            const double value = figures.value(QStringLiteral("current"))[QStringLiteral("value")].toDouble() * 100;
            triggers->append(qreal(trigger.windowToMs),
                             rate ? std::min(value, ratesY->max() * 0.98) : ratesY->max() * 0.95);
        }
        rates->addSeries(triggers);
        triggers->attachAxis(ratesX);
        triggers->attachAxis(ratesY);
        auto nearest = [this](const QPointF& point) -> const StoredTrigger* {
            const StoredTrigger* best = nullptr;
            for (const StoredTrigger& trigger : m_data->triggers)
                if (!best || std::abs(qreal(trigger.windowToMs) - point.x()) < std::abs(qreal(best->windowToMs) - point.x()))
                    best = &trigger;
            return best;
        };
        connect(triggers, &QScatterSeries::hovered, this, [this, nearest](const QPointF& point, bool state) {
            if (!state || !m_data) {
                QToolTip::hideText();
                return;
            }
            if (const StoredTrigger* t = nearest(point))
                QToolTip::showText(QCursor::pos(),
                                   tr("Trigger %1: %2 %3 (%4, owner %5); click to open it")
                                       .arg(t->id)
                                       .arg(QString::fromStdString(t->monitorName),
                                            t->group.empty() ? QString() : tr("for %1").arg(QString::fromStdString(t->group)),
                                            triggerStateText(t->state), QString::fromStdString(t->owner)));
        });
        connect(triggers, &QScatterSeries::clicked, this, [this, nearest](const QPointF& point) {
            if (!m_data)
                return;
            if (const StoredTrigger* t = nearest(point))
                Q_EMIT showTrigger(t->id);
        });
    }
    if (sparseBuckets)
        rates->setTitle(tr("Rates (95% interval shaded; %n bucket(s) under %1 interactions faded)", nullptr,
                           int(sparseBuckets))
                            .arg(sparseBucketMinimum));

    // Latency percentiles over time.
    QChart* latency = m_latency->chart();
    clearChart(latency);
    QAbstractAxis* latencyX = timeAxis(latency);
    auto* latencyY = new QValueAxis;
    latencyY->setLabelFormat(QStringLiteral("%.0f ms"));
    latency->addAxis(latencyY, Qt::AlignLeft);
    double slowest = 1;
    const std::pair<QString, std::optional<double> MetricsSummary::*> percentiles[] = {
        {tr("p50"), &MetricsSummary::latencyP50},
        {tr("p90"), &MetricsSummary::latencyP90},
        {tr("p99"), &MetricsSummary::latencyP99}};
    for (const auto& [name, member] : percentiles) {
        auto* series = new QLineSeries;
        series->setName(name);
        series->setPointsVisible(d.report.series.size() <= 60);
        QList<QPointF> points;
        for (const auto& [start, summary] : d.report.series)
            if (summary.*member) {
                points.append(QPointF(qreal(start), *(summary.*member)));
                slowest = std::max(slowest, *(summary.*member));
            }
        series->replace(points);
        latency->addSeries(series);
        series->attachAxis(latencyX);
        series->attachAxis(latencyY);
        auto field = member;
        const QString label = name;
        connect(series, &QLineSeries::hovered, this, [this, field, label](const QPointF& point, bool state) {
            if (!state || !m_data) {
                QToolTip::hideText();
                return;
            }
            if (const auto* bucket = nearestBucket(*m_data, point.x()); bucket && bucket->second.*field)
                showSliceTip(tr("%1, %2: %3 ms over %4 interactions")
                                 .arg(bucketLabel(bucket->first, m_data->bucket), label,
                                      QLocale().toString(*(bucket->second.*field), 'f', 0),
                                      count(bucket->second.interactions)));
        });
        sliceOnPoints(series, [this](const QPointF& point) -> std::optional<MetricsFilter> {
            if (const auto* bucket = m_data ? nearestBucket(*m_data, point.x()) : nullptr)
                return drillIntoBucket(m_data->filter, m_data->bucket, bucket->first);
            return std::nullopt;
        });
    }
    latencyY->setRange(0, std::ceil(slowest * 1.1 / 1000) * 1000);
    latencyY->applyNiceNumbers();
    releaseMarkers(latency, latencyX, latencyY);

    // Volume by agent version, stacked per bucket.
    QChart* volume = m_volume->chart();
    clearChart(volume);
    auto* stacked = new QStackedBarSeries;
    QStringList categories;
    std::vector<std::int64_t> buckets;
    // Short, unique category labels (day of month, hour, week start) fit under thin bars.
    const QString shortFormat = d.bucket == Bucket::Hour  ? QStringLiteral("dd HH")
                                : d.bucket == Bucket::Day ? QStringLiteral("dd")
                                                          : QStringLiteral("MM-dd");
    for (const auto& [start, summary] : d.report.series) {
        buckets.push_back(start);
        categories << QDateTime::fromMSecsSinceEpoch(start, Qt::UTC).toString(shortFormat);
    }
    categories.removeDuplicates();
    if (categories.size() != qsizetype(buckets.size())) { // a range longer than a month of days
        categories.clear();
        for (std::int64_t start : buckets)
            categories << bucketLabel(start, d.bucket);
    }
    std::int64_t tallest = 1;
    std::map<std::int64_t, std::int64_t> totals;
    for (const auto& [versionName, counts] : d.volumeByVersion) {
        const std::string version = versionName; // captured below (clang before 16 cannot capture a binding)
        auto* set = new QBarSet(QString::fromStdString(version));
        for (std::int64_t start : buckets) {
            const auto found = counts.find(start);
            const std::int64_t n = found == counts.end() ? 0 : found->second;
            totals[start] += n;
            *set << qreal(n);
        }
        stacked->append(set);
        connect(set, &QBarSet::hovered, this, [this, set, buckets, version](bool state, int index) {
            if (!state || index < 0 || index >= int(buckets.size())) {
                QToolTip::hideText();
                return;
            }
            showSliceTip(tr("%1, version %2: %3 interactions")
                             .arg(bucketLabel(buckets[size_t(index)], m_data->bucket),
                                  QString::fromStdString(version), count(std::int64_t(set->at(index)))));
        });
        sliceOnBars(set, [this, buckets, version](int index) -> std::optional<MetricsFilter> {
            if (index < 0 || index >= int(buckets.size()) || !m_data)
                return std::nullopt;
            return drillIntoVolume(m_data->filter, m_data->bucket, buckets[size_t(index)], version);
        });
    }
    for (const auto& [start, n] : totals)
        tallest = std::max(tallest, n);
    stacked->setBarWidth(0.8);
    volume->addSeries(stacked);
    auto* volumeX = new QBarCategoryAxis;
    volumeX->append(categories);
    volume->addAxis(volumeX, Qt::AlignBottom);
    stacked->attachAxis(volumeX);
    // Qt Charts elides a label per bar once bars are thin; then a time axis over the same span
    // (each bar centred on its bucket) labels the dates instead.
    const bool thinBars = categories.size() > 16 && !buckets.empty();
    volumeX->setLabelsVisible(!thinBars);
    volumeX->setGridLineVisible(false);
    auto* volumeY = new QValueAxis;
    volumeY->setLabelFormat(QStringLiteral("%.0f"));
    volumeY->setRange(0, double(tallest) * 1.1);
    volumeY->applyNiceNumbers();
    volume->addAxis(volumeY, Qt::AlignLeft);
    stacked->attachAxis(volumeY);
    if (thinBars) {
        // Bar i spans bucket i: the category axis runs from -0.5 to n - 0.5.
        auto* dates = new QDateTimeAxis;
        dates->setFormat(d.bucket == Bucket::Hour ? QStringLiteral("MM-dd HH:mm") : QStringLiteral("MM-dd"));
        dates->setRange(QDateTime::fromMSecsSinceEpoch(buckets.front()),
                        QDateTime::fromMSecsSinceEpoch(buckets.back() + bucketWidthMs(d.bucket)));
        dates->setTickCount(7);
        dates->setGridLineVisible(false);
        volume->addAxis(dates, Qt::AlignBottom);
        auto* anchor = new QLineSeries; // an axis is drawn only with a series on it
        volume->addSeries(anchor);
        anchor->attachAxis(dates);
        anchor->attachAxis(volumeY);
        for (QLegendMarker* legend : volume->legend()->markers(anchor))
            legend->setVisible(false);
    }

    // The breakdown: escalation rate per value, largest impact first (top ten). A slice without
    // escalations (an evaluation run) shows its success rate instead of a row of zeros.
    const bool escalations = d.report.summary.rate(Rate::Escalation).hits > 0;
    const Rate shown = escalations ? Rate::Escalation : Rate::Success;
    QChart* breakdown = m_breakdownChart->chart();
    clearChart(breakdown);
    breakdown->setTitle(
        escalations ? tr("Escalation rate by %1, largest impact first").arg(m_breakdown->currentText())
                    : tr("Success rate by %1 (no escalations)").arg(m_breakdown->currentText()));
    auto* bars = new QHorizontalBarSeries;
    auto* set = new QBarSet(escalations ? tr("Escalation rate") : tr("Success rate"));
    QStringList values;
    std::vector<const BreakdownRow*> rows;
    for (const BreakdownRow& row : d.report.breakdown) {
        if (rows.size() == 10)
            break;
        rows.push_back(&row);
    }
    std::reverse(rows.begin(), rows.end()); // the largest at the top
    double widest = 1;
    for (const BreakdownRow* row : rows) {
        values << (row->value.empty() ? tr("(none)") : QString::fromStdString(row->value));
        const double rate = row->summary.rate(shown).value * 100;
        *set << rate;
        widest = std::max(widest, rate);
    }
    bars->append(set);
    bars->setLabelsVisible(true);
    bars->setLabelsFormat(QStringLiteral("@value%"));
    bars->setLabelsPrecision(3);
    breakdown->addSeries(bars);
    auto* breakdownY = new QBarCategoryAxis;
    breakdownY->append(values);
    breakdown->addAxis(breakdownY, Qt::AlignLeft);
    bars->attachAxis(breakdownY);
    auto* breakdownX = new QValueAxis;
    breakdownX->setLabelFormat(QStringLiteral("%.0f%%"));
    breakdownX->setRange(0, std::ceil(widest * 1.2 / 5) * 5);
    breakdownX->applyNiceNumbers();
    breakdown->addAxis(breakdownX, Qt::AlignBottom);
    bars->attachAxis(breakdownX);
    breakdown->legend()->setVisible(false);
    connect(set, &QBarSet::hovered, this, [this, rows](bool state, int index) {
        if (!state || index < 0 || index >= int(rows.size())) {
            QToolTip::hideText();
            return;
        }
        const BreakdownRow& row = *rows[size_t(index)];
        const RateEstimate& r = row.summary.rate(Rate::Escalation);
        showSliceTip(tr("%1: %2 escalated (%3 of %4); success %5")
                         .arg(QString::fromStdString(row.value), percent(r.value), count(r.hits), count(r.n),
                              percent(row.summary.rate(Rate::Success).value)));
    });
    const Grouping field = d.options.breakdown;
    sliceOnBars(set, [this, rows, field, escalations](int index) -> std::optional<MetricsFilter> {
        if (index < 0 || index >= int(rows.size()) || !m_data)
            return std::nullopt;
        return drillIntoBreakdown(m_data->filter, field, rows[size_t(index)]->value,
                                  escalations ? std::optional(Rate::Escalation) : std::nullopt);
    });
}

} // namespace winnow
