#pragma once
// The filter bar Dashboard and Interactions share: a time range (presets ending at the newest
// interaction, or custom) and agent, version, model, intent and channel. GUI thread only.

#include "core/store/filter.h"

#include <QWidget>

#include <map>
#include <optional>
#include <string>
#include <vector>

class QComboBox;
class QDateTimeEdit;

namespace winnow {

class FilterBar : public QWidget
{
    Q_OBJECT
public:
    explicit FilterBar(QWidget* parent = nullptr);

    // What the store holds: the values offered, and the time the presets end at.
    void setChoices(const std::map<Dimension, std::vector<std::string>>& values,
                    std::optional<std::int64_t> oldestMs, std::optional<std::int64_t> newestMs);
    MetricsFilter filter() const;
    // Shows exactly this filter (a drill-down): a custom range and the conditions it has.
    void setFilter(const MetricsFilter& filter);

    // The dimension conditions as FIELD=VALUE, to keep between sessions.
    QStringList conditions() const;
    void setConditions(const QStringList& conditions);

    QString preset() const;
    void setPreset(const QString& key);

Q_SIGNALS:
    void filterChanged();

private:
    void updateCustomVisibility();
    QComboBox* m_range = nullptr;
    QDateTimeEdit* m_from = nullptr;
    QDateTimeEdit* m_to = nullptr;
    std::map<Dimension, QComboBox*> m_dimensions;
    std::optional<std::int64_t> m_oldest, m_newest;
    bool m_updating = false;
};

} // namespace winnow
