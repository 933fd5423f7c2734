#pragma once
// Small Qt JSON helpers shared by core's JSON writers and readers (rule packs, manifests, monitor
// figures) and the screens and commands that show them.

#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace winnow {

inline QString toQString(const std::string& text)
{
    return QString::fromStdString(text);
}

// The object a JSON text holds (empty when it holds none).
inline QJsonObject jsonObject(std::string_view json)
{
    return QJsonDocument::fromJson(QByteArray(json.data(), qsizetype(json.size()))).object();
}

// {"name": n, ...}: counts by name.
inline QJsonObject countsJson(const std::map<std::string, std::int64_t>& counts)
{
    QJsonObject object;
    for (const auto& [name, n] : counts)
        object.insert(toQString(name), qint64(n));
    return object;
}

} // namespace winnow
