#pragma once
// What Winnow this is: the version and the store schema it writes, for `winnow --version`, the
// About box and export manifests.

#include <string>

namespace winnow {

const char* winnowVersion();
// "winnow 0.1.0 (store schema 10)"
std::string versionLine();

} // namespace winnow
