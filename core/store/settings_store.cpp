#include "core/store/settings_store.h"

#include "core/store/database.h"

#include <charconv>

namespace winnow {

SettingsStore::SettingsStore(Database& database) : m_database(database) {}

std::optional<std::string> SettingsStore::raw(const char* key)
{
    sql::Statement select(m_database.connection(), "SELECT value FROM settings WHERE key = ?1");
    select.bind(1, std::string_view(key));
    if (!select.step())
        return std::nullopt;
    return select.text(0);
}

void SettingsStore::setRaw(const char* key, const std::string& value)
{
    sql::Statement upsert(m_database.connection(), "INSERT INTO settings(key, value) VALUES(?1, ?2) "
                                                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    upsert.bind(1, std::string_view(key)).bind(2, value).run();
}

std::int64_t SettingsStore::get(const StoreSetting<std::int64_t>& setting)
{
    const auto text = raw(setting.key);
    std::int64_t value = setting.defaultValue;
    if (text)
        std::from_chars(text->data(), text->data() + text->size(), value);
    return value;
}

std::string SettingsStore::get(const StoreSetting<std::string>& setting)
{
    return raw(setting.key).value_or(setting.defaultValue);
}

void SettingsStore::set(const StoreSetting<std::int64_t>& setting, std::int64_t value)
{
    setRaw(setting.key, std::to_string(value));
}

void SettingsStore::set(const StoreSetting<std::string>& setting, const std::string& value)
{
    setRaw(setting.key, value);
}

} // namespace winnow
