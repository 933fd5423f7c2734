// The receiver's HTTP request reading: bytes split where the input says (its first byte), every
// request taken, bounded memory.

#include "core/ingest/http_request.h"

#include <cstdint>
#include <cstdlib>

using namespace winnow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size)
{
    if (size < 1)
        return 0;
    const size_t piece = 1 + data[0] % 64;
    HttpRequestReader reader(1024, 4096);
    QByteArray buffer;
    for (size_t at = 1; at < size;) {
        const size_t n = std::min(piece, size - at);
        buffer.append(reinterpret_cast<const char*>(data + at), qsizetype(n));
        at += n;
        for (bool more = true; more;) {
            switch (reader.read(buffer)) {
            case HttpRequestReader::Step::NeedMore:
                more = false;
                break;
            case HttpRequestReader::Step::Head:
                if (!reader.startBody())
                    return 0;
                break;
            case HttpRequestReader::Step::Body:
                if (reader.takeBody().size() > 4096)
                    std::abort(); // past the limit it was given
                break;
            case HttpRequestReader::Step::Failed:
                return 0;
            }
        }
        if (buffer.size() > 1024 + 4096 + 64)
            std::abort(); // holding more than a head and a body
    }
    return 0;
}
