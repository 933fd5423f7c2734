#include "ui/widgets/filter_bar.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QHBoxLayout>
#include <QLabel>

namespace winnow {

namespace {
constexpr std::int64_t hourMs = 3'600'000;
constexpr std::int64_t dayMs = 86'400'000;

struct Preset
{
    const char* key;
    const char* label;
    std::int64_t lengthMs; // 0: all time, -1: custom
};
constexpr Preset presets[] = {
    {"24h", QT_TRANSLATE_NOOP("FilterBar", "Last 24 hours"), 24 * hourMs},
    {"7d", QT_TRANSLATE_NOOP("FilterBar", "Last 7 days"), 7 * dayMs},
    {"30d", QT_TRANSLATE_NOOP("FilterBar", "Last 30 days"), 30 * dayMs},
    {"90d", QT_TRANSLATE_NOOP("FilterBar", "Last 90 days"), 90 * dayMs},
    {"all", QT_TRANSLATE_NOOP("FilterBar", "All time"), 0},
    {"custom", QT_TRANSLATE_NOOP("FilterBar", "Custom range"), -1},
};

QString labelFor(Dimension dimension)
{
    switch (dimension) {
    case Dimension::Agent:
        return FilterBar::tr("Agent");
    case Dimension::AgentVersion:
        return FilterBar::tr("Version");
    case Dimension::Model:
        return FilterBar::tr("Model");
    case Dimension::Intent:
        return FilterBar::tr("Intent");
    case Dimension::Channel:
        break;
    }
    return FilterBar::tr("Channel");
}
} // namespace

FilterBar::FilterBar(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(12, 8, 12, 8);
    m_range = new QComboBox(this);
    for (const Preset& p : presets)
        m_range->addItem(tr(p.label), QString::fromLatin1(p.key));
    m_range->setCurrentIndex(2);
    m_range->setToolTip(tr("The time range; presets end at the newest interaction in the store"));
    m_range->setAccessibleName(tr("Time range"));
    layout->addWidget(m_range);
    m_from = new QDateTimeEdit(this);
    m_to = new QDateTimeEdit(this);
    for (QDateTimeEdit* edit : {m_from, m_to}) {
        edit->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
        edit->setCalendarPopup(true);
        layout->addWidget(edit);
        connect(edit, &QDateTimeEdit::dateTimeChanged, this, [this] {
            if (!m_updating)
                Q_EMIT filterChanged();
        });
    }
    m_from->setToolTip(tr("From (inclusive)"));
    m_to->setToolTip(tr("To (exclusive)"));
    connect(m_range, &QComboBox::currentIndexChanged, this, [this] {
        updateCustomVisibility();
        if (!m_updating)
            Q_EMIT filterChanged();
    });
    for (int d = 0; d < dimensionCount; ++d) {
        const auto field = static_cast<Dimension>(d);
        auto* label = new QLabel(labelFor(field), this);
        auto* box = new QComboBox(this);
        box->setMinimumContentsLength(10);
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        box->addItem(tr("All"), QString());
        box->setAccessibleName(labelFor(field));
        label->setBuddy(box);
        layout->addSpacing(8);
        layout->addWidget(label);
        layout->addWidget(box);
        m_dimensions[field] = box;
        connect(box, &QComboBox::currentIndexChanged, this, [this] {
            if (!m_updating)
                Q_EMIT filterChanged();
        });
    }
    layout->addStretch();
    updateCustomVisibility();
}

void FilterBar::updateCustomVisibility()
{
    const bool custom = m_range->currentData().toString() == QLatin1String("custom");
    m_from->setVisible(custom);
    m_to->setVisible(custom);
}

void FilterBar::setChoices(const std::map<Dimension, std::vector<std::string>>& values,
                           std::optional<std::int64_t> oldestMs, std::optional<std::int64_t> newestMs)
{
    m_updating = true;
    m_oldest = oldestMs;
    m_newest = newestMs;
    for (auto& [field, box] : m_dimensions) {
        const QString current = box->currentData().toString();
        box->clear();
        box->addItem(tr("All"), QString());
        const auto found = values.find(field);
        if (found != values.end())
            for (const std::string& value : found->second)
                box->addItem(QString::fromStdString(value), QString::fromStdString(value));
        const int index = box->findData(current);
        box->setCurrentIndex(index < 0 ? 0 : index);
    }
    if (m_range->currentData().toString() != QLatin1String("custom") && newestMs) {
        const std::int64_t end = (*newestMs / hourMs + 1) * hourMs;
        m_to->setDateTime(QDateTime::fromMSecsSinceEpoch(end));
        m_from->setDateTime(QDateTime::fromMSecsSinceEpoch(end - 7 * dayMs));
    }
    m_updating = false;
}

MetricsFilter FilterBar::filter() const
{
    MetricsFilter filter;
    const QString key = m_range->currentData().toString();
    if (key == QLatin1String("custom")) {
        filter.fromMs = m_from->dateTime().toMSecsSinceEpoch();
        filter.toMs = m_to->dateTime().toMSecsSinceEpoch();
    } else if (m_newest) {
        // Whole hours, so the rollups answer without reading ragged edges.
        const std::int64_t end = (*m_newest / hourMs + 1) * hourMs;
        for (const Preset& p : presets)
            if (key == QLatin1String(p.key)) {
                filter.toMs = end;
                filter.fromMs = p.lengthMs > 0 ? end - p.lengthMs : (m_oldest.value_or(end) / dayMs) * dayMs;
            }
    }
    for (const auto& [field, box] : m_dimensions) {
        const QString value = box->currentData().toString();
        if (!value.isEmpty())
            filter.with(fieldOf(field), value.toStdString());
    }
    return filter;
}

void FilterBar::setFilter(const MetricsFilter& filter)
{
    m_updating = true;
    m_range->setCurrentIndex(m_range->findData(QStringLiteral("custom")));
    if (filter.fromMs)
        m_from->setDateTime(QDateTime::fromMSecsSinceEpoch(*filter.fromMs));
    if (filter.toMs)
        m_to->setDateTime(QDateTime::fromMSecsSinceEpoch(*filter.toMs));
    for (auto& [field, box] : m_dimensions) {
        int index = 0;
        for (const Condition& condition : filter.where)
            if (condition.field == fieldOf(field)) {
                const QString value = QString::fromStdString(condition.value);
                index = box->findData(value);
                if (index < 0) {
                    box->addItem(value, value);
                    index = box->count() - 1;
                }
            }
        box->setCurrentIndex(index);
    }
    updateCustomVisibility();
    m_updating = false;
    Q_EMIT filterChanged();
}

QStringList FilterBar::conditions() const
{
    QStringList result;
    for (const auto& [field, box] : m_dimensions)
        if (!box->currentData().toString().isEmpty())
            result << QString::fromLatin1(dimensionName(field)) + QLatin1Char('=') +
                          box->currentData().toString();
    return result;
}

void FilterBar::setConditions(const QStringList& conditions)
{
    m_updating = true;
    for (const QString& condition : conditions) {
        const qsizetype equals = condition.indexOf(QLatin1Char('='));
        const auto dimension = parseDimension(condition.left(equals).toStdString());
        const auto box = dimension ? m_dimensions.find(*dimension) : m_dimensions.end();
        if (equals > 0 && box != m_dimensions.end()) {
            const int index = box->second->findData(condition.mid(equals + 1));
            if (index >= 0) // a value the store no longer has is dropped
                box->second->setCurrentIndex(index);
        }
    }
    m_updating = false;
}

QString FilterBar::preset() const
{
    return m_range->currentData().toString();
}

void FilterBar::setPreset(const QString& key)
{
    const int index = m_range->findData(key);
    if (index >= 0 && key != QLatin1String("custom"))
        m_range->setCurrentIndex(index);
}

} // namespace winnow
