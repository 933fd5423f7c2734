#pragma once
// Named field mappings for JSON records, kept in the store with the data they read.

#include <optional>
#include <string>
#include <vector>

namespace winnow {

class Database;

struct MappingProfile
{
    std::string name;
    std::string specJson; // {"TARGET":"SOURCE", ...}
};

class ProfileStore
{
public:
    explicit ProfileStore(Database& database);
    std::optional<MappingProfile> profile(const std::string& name);
    std::vector<MappingProfile> profiles();
    // Writing.
    void save(const MappingProfile& profile);
    bool remove(const std::string& name);

private:
    Database& m_database;
};

} // namespace winnow
