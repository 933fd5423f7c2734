#pragma once
// The store's schema as a registry of migrations. Each entry belongs to a version and a domain
// (interactions, sources, signals, rollups, ...), holds the SQL that changes the tables, and may
// name a C++ step that fills what the SQL made (a backfill). An upgrade is one transaction: the
// SQL of every pending version in registry order, then each named backfill once over the final
// schema; then the store's user_version says the latest version. A new table is a new entry at
// the end: nothing else changes.

#include "core/store/sqlite.h"

#include <vector>

namespace winnow {

struct Migration
{
    int version;
    const char* domain;
    const char* sql;
    void (*backfill)(sql::Connection& db) = nullptr;
};

const std::vector<Migration>& migrations();
// The version the newest entry brings the store to.
int latestSchemaVersion();
// Brings the store on `db` from its user_version to the latest, in one transaction.
void migrate(sql::Connection& db);

} // namespace winnow
