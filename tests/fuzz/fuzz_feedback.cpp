// Feedback from other systems: a JSON body as POST /v1/feedback takes it, and the same bytes as a
// CSV and a JSONL file as `winnow feedback import` reads them.

#include "core/ingest/feedback_import.h"
#include "fuzz_store.h"

#include <cstdint>
#include <fstream>

using namespace winnow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<FeedbackProblem> problems;
    parseFeedbackJson(input, problems);
    for (const char* name : {"/feedback.csv", "/feedback.jsonl"}) {
        const std::string path = fuzz::scratchFolder() + name;
        std::ofstream(path, std::ios::binary | std::ios::trunc).write(input.data(), std::streamsize(input.size()));
        problems.clear();
        (void)readFeedbackFile(path, FeedbackMapping{}, problems);
    }
    return 0;
}
