#pragma once
// What the app remembers between sessions (QSettings, ~/.config/winnow/), each setting declared
// once with its type and default. What changes the data's meaning lives in the store instead
// (core/store/settings_store.h).

#include <QByteArray>
#include <QSettings>
#include <QString>
#include <QStringList>
#include <QVariant>

namespace winnow {

template <typename T> struct Setting
{
    const char* key;
    T defaultValue;

    T value() const
    {
        const QVariant stored = QSettings().value(QLatin1String(key));
        return stored.isValid() ? stored.value<T>() : defaultValue;
    }
    void set(const T& value) const { QSettings().setValue(QLatin1String(key), QVariant::fromValue(value)); }
};

namespace settings {
inline const Setting<QByteArray> windowGeometry{"window/geometry", {}};
// The filter bar's time range preset (24h, 7d, 30d, 90d, all) and its FIELD=VALUE conditions.
inline const Setting<QString> rangePreset{"filter/range", QStringLiteral("30d")};
inline const Setting<QStringList> filterConditions{"filter/conditions", {}};
inline const Setting<QString> lastStore{"store/last", {}};
inline const Setting<QStringList> recentStores{"store/recent", {}};
// Who labels in the Review screen (asked once, kept).
inline const Setting<QString> reviewer{"review/reviewer", {}};
// Whether the Review screen keeps a queue's guidelines folded.
inline const Setting<bool> guidelinesFolded{"review/guidelinesFolded", false};
} // namespace settings

} // namespace winnow
