#include "ui/widgets/filter_bar.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QStandardItemModel>

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
    m_range->setSizeAdjustPolicy(QComboBox::AdjustToContents);
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
        box->setMinimumContentsLength(6);
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
    auto* conditionsLabel = new QLabel(tr("Where"), this);
    m_conditions = new QLineEdit(this);
    m_conditions->setPlaceholderText(tr("metadata.KEY=VALUE score.NAME>=X …"));
    m_conditions->setClearButtonEnabled(true);
    m_conditions->setAccessibleName(tr("Conditions"));
    m_conditions->setMinimumWidth(160);
    conditionsLabel->setBuddy(m_conditions);
    layout->addSpacing(8);
    layout->addWidget(conditionsLabel);
    layout->addWidget(m_conditions, 1);
    connect(m_conditions, &QLineEdit::editingFinished, this, [this] {
        const std::vector<Condition> before = m_extra;
        if (applyConditionText() && m_extra != before && !m_updating)
            Q_EMIT filterChanged();
    });
    updateCustomVisibility();
}

bool FilterBar::applyConditionText()
{
    auto parsed = parseConditionList(m_conditions->text().toStdString());
    QPalette palette = m_conditions->palette();
    if (!parsed) {
        // The last conditions that parsed stay in force; the box says why these do not.
        m_conditionError = QString::fromStdString(parsed.error().message);
        palette.setColor(QPalette::Text, QColor(0xd0, 0x3b, 0x3b));
        m_conditions->setPalette(palette);
        m_conditions->setToolTip(tr("Not applied: %1").arg(m_conditionError));
        return false;
    }
    m_conditionError.clear();
    m_conditions->setPalette(this->palette());
    m_conditions->setToolTip(m_conditionsHelp);
    m_extra = std::move(*parsed);
    return true;
}

bool FilterBar::setConditionText(const QString& text)
{
    m_conditions->setText(text);
    const std::vector<Condition> before = m_extra;
    const bool applied = applyConditionText();
    if (applied && m_extra != before && !m_updating)
        Q_EMIT filterChanged();
    return applied;
}

void FilterBar::updatePresetLabels()
{
    const auto* model = qobject_cast<QStandardItemModel*>(m_range->model());
    for (int row = 0; row < m_range->count(); ++row) {
        const Preset& p = presets[row];
        QString label = tr(p.label);
        const bool timed = p.lengthMs != 0;
        if (timed && m_untimed > 0)
            label = tr("%1, without %2 untimed").arg(label, QLocale().toString(qint64(m_untimed)));
        m_range->setItemText(row, label);
        // A store where nothing has a time has only "All time" to offer.
        if (QStandardItem* item = model ? model->item(row) : nullptr)
            item->setEnabled(!timed || m_newest.has_value());
    }
    // The preset names what it leaves out: never cut short by the conditions beside it.
    m_range->setMinimumWidth(m_range->sizeHint().width());
}

void FilterBar::updateCustomVisibility()
{
    const bool custom = m_range->currentData().toString() == QLatin1String("custom");
    m_from->setVisible(custom);
    m_to->setVisible(custom);
}

void FilterBar::setChoices(const StoreOutline& outline)
{
    m_updating = true;
    const auto& values = outline.values;
    const auto newestMs = outline.newestMs;
    m_oldest = outline.oldestMs;
    m_newest = outline.newestMs;
    m_untimed = outline.untimed;
    updatePresetLabels();
    if (!m_newest && outline.untimed > 0)
        m_range->setCurrentIndex(m_range->findData(QStringLiteral("all")));
    QStringList keys;
    for (const std::string& key : outline.metadataKeys)
        keys << QString::fromStdString(key);
    QStringList scores;
    for (const std::string& name : outline.scoreNames)
        scores << QString::fromStdString(name);
    m_conditionsHelp =
        tr("Conditions separated by spaces, all of which hold: metadata.KEY=VALUE, score.NAME>=X (or <, <=, "
           ">, =), outcome=, user=, session=, signal=, tool=, thumb=; double quotes around a value with "
           "spaces.\nMetadata keys: %1\nScores: %2")
            .arg(keys.isEmpty() ? tr("none") : keys.join(QStringLiteral(", ")),
                 scores.isEmpty() ? tr("none") : scores.join(QStringLiteral(", ")));
    if (m_conditionError.isEmpty())
        m_conditions->setToolTip(m_conditionsHelp);
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
            if (key == QLatin1String(p.key) && p.lengthMs > 0) { // all time: no range, untimed too
                filter.toMs = end;
                filter.fromMs = end - p.lengthMs;
            }
    }
    for (const auto& [field, box] : m_dimensions) {
        const QString value = box->currentData().toString();
        if (!value.isEmpty())
            filter.with(fieldOf(field), value.toStdString());
    }
    for (const Condition& condition : m_extra)
        filter.with(condition);
    return filter;
}

void FilterBar::setFilter(const MetricsFilter& filter)
{
    m_updating = true;
    if (!filter.fromMs && !filter.toMs) {
        m_range->setCurrentIndex(m_range->findData(QStringLiteral("all")));
    } else {
        m_range->setCurrentIndex(m_range->findData(QStringLiteral("custom")));
        // An open end is the store's edge.
        m_from->setDateTime(QDateTime::fromMSecsSinceEpoch(filter.fromMs.value_or(m_oldest.value_or(0))));
        m_to->setDateTime(QDateTime::fromMSecsSinceEpoch(
            filter.toMs.value_or((m_newest.value_or(0) / hourMs + 1) * hourMs)));
    }
    // A dimension with one condition shows in its box; anything else goes to the Where box.
    auto conditionsOn = [&](FilterField field) {
        return std::count_if(filter.where.begin(), filter.where.end(),
                             [&](const Condition& c) { return c.field == field; });
    };
    std::vector<Condition> extra;
    for (const Condition& condition : filter.where)
        if (!dimensionOf(condition.field) || conditionsOn(condition.field) != 1)
            extra.push_back(condition);
    for (auto& [field, box] : m_dimensions) {
        int index = 0;
        for (const Condition& condition : filter.where)
            if (condition.field == fieldOf(field) && conditionsOn(condition.field) == 1) {
                const QString value = QString::fromStdString(condition.value);
                index = box->findData(value);
                if (index < 0) {
                    box->addItem(value, value);
                    index = box->count() - 1;
                }
            }
        box->setCurrentIndex(index);
    }
    m_conditions->setText(QString::fromStdString(conditionListText(extra)));
    applyConditionText();
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
    for (const Condition& condition : m_extra)
        result << QString::fromStdString(conditionText(condition));
    return result;
}

void FilterBar::setConditions(const QStringList& conditions)
{
    m_updating = true;
    std::vector<Condition> extra;
    for (const QString& text : conditions) {
        const auto condition = parseCondition(text.toStdString());
        if (!condition)
            continue; // written by an older or newer version: dropped
        const auto dimension = dimensionOf(condition->field);
        const auto box = dimension ? m_dimensions.find(*dimension) : m_dimensions.end();
        if (box == m_dimensions.end()) {
            extra.push_back(*condition);
            continue;
        }
        const int index = box->second->findData(QString::fromStdString(condition->value));
        if (index >= 0) // a value the store no longer has is dropped
            box->second->setCurrentIndex(index);
    }
    m_conditions->setText(QString::fromStdString(conditionListText(extra)));
    applyConditionText();
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
