// An OTLP request, traces or logs, JSON or protobuf (the first byte chooses), decoded and
// assembled into interactions as the receiver and `winnow ingest` do.

#include "core/ingest/otlp.h"
#include "core/ingest/otlp_runs.h"

#include <simdjson.h>

#include <cstdint>
#include <string>

using namespace winnow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size)
{
    if (size < 1)
        return 0;
    const std::uint8_t mode = data[0];
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    OtlpDecoded decoded;
    std::string error;
    if (mode & 1) {
        error = decodeOtlpProtobuf(body, (mode & 2) != 0, true, decoded);
    } else {
        simdjson::dom::parser json;
        simdjson::dom::element request;
        if (json.parse(body.data(), body.size()).get(request))
            return 0;
        error = decodeOtlpJson(request, true, decoded);
    }
    if (!error.empty())
        return 0;
    OtlpAssembler assembler;
    assembler.keepSources(true);
    assembler.add(std::move(decoded), 0);
    OtlpRuns runs(1 << 20, nullptr);
    runs.settle(assembler, OtlpRuns::Take::All, 0);
    return 0;
}
