#pragma once
// Settings that change what the data means (detector phrases, retention), kept in the store so
// that a store file is a complete record. Each is declared once, typed, with its default.

#include <cstdint>
#include <optional>
#include <string>

namespace winnow {

class Database;

template <typename T> struct StoreSetting
{
    const char* key;
    T defaultValue;
};

namespace storeSettings {
// Keep interactions this many days after they started; 0 keeps everything.
inline const StoreSetting<std::int64_t> retentionDays{"retention_days", 0};
// The signal detectors' settings as JSON (core/signals); empty for the defaults.
inline const StoreSetting<std::string> detectors{"detectors", {}};
// 1: a rules version is published only once an approver other than its author approves it.
inline const StoreSetting<std::int64_t> rulesNeedApproval{"rules_need_approval", 0};
} // namespace storeSettings

class SettingsStore
{
public:
    explicit SettingsStore(Database& database);

    std::int64_t get(const StoreSetting<std::int64_t>& setting);
    std::string get(const StoreSetting<std::string>& setting);
    // Writing.
    void set(const StoreSetting<std::int64_t>& setting, std::int64_t value);
    void set(const StoreSetting<std::string>& setting, const std::string& value);

private:
    std::optional<std::string> raw(const char* key);
    void setRaw(const char* key, const std::string& value);
    Database& m_database;
};

} // namespace winnow
