// A rule pack as `winnow rules import` reads it: parsed, every field checked, and when it passes,
// compiled and run over a few texts.

#include "core/rules/engine.h"
#include "core/rules/rule.h"

#include <cstdint>

using namespace winnow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size)
{
    auto pack = parseRulePack(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!pack || !checkRulePack(*pack))
        return 0;
    auto engine = RuleEngine::compile(pack->rules, 1);
    if (!engine)
        return 0;
    for (const char* text : {"mail me at a@example.com", "card 4111 1111 1111 1111", "{\"x\": 1}", ""})
        (void)(*engine)->scanText(text, ScopeAllTexts);
    return 0;
}
