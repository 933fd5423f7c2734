#pragma once
// The filter bar Dashboard and Interactions share: a time range (presets ending at the newest
// interaction, all time, or custom), agent, version, model, intent and channel, and any other
// conditions as text (metadata.KEY=VALUE, score.NAME>=X, ...). GUI thread only.

#include "core/metrics/metrics.h"
#include "core/store/filter.h"

#include <QWidget>

#include <map>
#include <optional>
#include <string>
#include <vector>

class QComboBox;
class QDateTimeEdit;
class QLineEdit;

namespace winnow {

class FilterBar : public QWidget
{
    Q_OBJECT
public:
    explicit FilterBar(QWidget* parent = nullptr);

    // What the store holds: the values offered, the time the presets end at, and how many
    // interactions have no time (which only "All time" counts).
    void setChoices(const StoreOutline& outline);
    MetricsFilter filter() const;
    // Shows exactly this filter (a drill-down): a custom range and the conditions it has.
    void setFilter(const MetricsFilter& filter);

    // The conditions as FIELD=VALUE, to keep between sessions.
    QStringList conditions() const;
    void setConditions(const QStringList& conditions);

    QString preset() const;
    void setPreset(const QString& key);
    // The conditions box: sets its text as if typed; false (and the error shown) if it does not parse.
    bool setConditionText(const QString& text);
    QString conditionError() const { return m_conditionError; }

Q_SIGNALS:
    void filterChanged();

private:
    void updateCustomVisibility();
    void updatePresetLabels();
    bool applyConditionText();
    QComboBox* m_range = nullptr;
    QLineEdit* m_conditions = nullptr;
    std::vector<Condition> m_extra; // the conditions box, as last parsed
    QString m_conditionError;
    QString m_conditionsHelp;
    std::int64_t m_untimed = 0;
    QDateTimeEdit* m_from = nullptr;
    QDateTimeEdit* m_to = nullptr;
    std::map<Dimension, QComboBox*> m_dimensions;
    std::optional<std::int64_t> m_oldest, m_newest;
    bool m_updating = false;
};

} // namespace winnow
