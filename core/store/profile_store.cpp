#include "core/store/profile_store.h"

#include "core/store/database.h"

namespace winnow {

ProfileStore::ProfileStore(Database& database) : m_database(database) {}

std::optional<MappingProfile> ProfileStore::profile(const std::string& name)
{
    sql::Statement select(m_database.connection(), "SELECT name, spec FROM mapping_profiles WHERE name = ?1");
    select.bind(1, name);
    if (!select.step())
        return std::nullopt;
    return MappingProfile{select.text(0), select.text(1)};
}

std::vector<MappingProfile> ProfileStore::profiles()
{
    std::vector<MappingProfile> result;
    sql::Statement select(m_database.connection(), "SELECT name, spec FROM mapping_profiles ORDER BY name");
    while (select.step())
        result.push_back({select.text(0), select.text(1)});
    return result;
}

void ProfileStore::save(const MappingProfile& profile)
{
    sql::Statement upsert(m_database.connection(), "INSERT INTO mapping_profiles(name, spec) VALUES(?1, ?2) "
                                                   "ON CONFLICT(name) DO UPDATE SET spec = excluded.spec");
    upsert.bind(1, profile.name).bind(2, profile.specJson).run();
}

bool ProfileStore::remove(const std::string& name)
{
    sql::Statement remove(m_database.connection(), "DELETE FROM mapping_profiles WHERE name = ?1");
    remove.bind(1, name).run();
    return m_database.connection().changes() > 0;
}

} // namespace winnow
