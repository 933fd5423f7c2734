// A label file, as `winnow labels import` reads it (CSV and JSONL), against a small store.

#include "core/review/review.h"
#include "fuzz_store.h"

#include <cstdint>
#include <fstream>

using namespace winnow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size)
{
    Database& store = fuzz::fuzzStore();
    for (const char* name : {"/labels.csv", "/labels.jsonl"}) {
        const std::string path = fuzz::scratchFolder() + name;
        std::ofstream(path, std::ios::binary | std::ios::trunc)
            .write(reinterpret_cast<const char*>(data), std::streamsize(size));
        (void)readLabelFile(store, path);
    }
    return 0;
}
