#include "core/util/version.h"

#include "core/store/schema.h"

#ifndef WINNOW_VERSION
#error "WINNOW_VERSION comes from the project's version in CMakeLists.txt"
#endif

namespace winnow {

const char* winnowVersion()
{
    return WINNOW_VERSION;
}

std::string versionLine()
{
    return std::string("winnow ") + winnowVersion() + " (store schema " + std::to_string(latestSchemaVersion()) + ")";
}

} // namespace winnow
