// OTLP/protobuf requests read as they are, into the same spans and log records as OTLP/JSON.

#include "core/ingest/otlp.h"
#include "core/util/text.h"

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/stubs/logging.h>

#include <charconv>

namespace winnow {

namespace {

namespace common = opentelemetry::proto::common::v1;
namespace trace = opentelemetry::proto::trace::v1;
namespace logs = opentelemetry::proto::logs::v1;

std::string hexOf(const std::string& bytes)
{
    return otlp_detail::hexOf(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string base64Of(const std::string& bytes)
{
    static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                           (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                           static_cast<unsigned char>(bytes[i + 2]);
        out += {digits[v >> 18], digits[(v >> 12) & 63], digits[(v >> 6) & 63], digits[v & 63]};
    }
    if (i + 1 == bytes.size()) {
        const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        out += {digits[v >> 18], digits[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == bytes.size()) {
        const unsigned v =
            (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out += {digits[v >> 18], digits[(v >> 12) & 63], digits[(v >> 6) & 63], '='};
    }
    return out;
}

void appendJson(std::string& out, const common::AnyValue& value);

std::string doubleText(double value)
{
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return ec == std::errc() ? std::string(buffer, end) : std::string("0");
}

// As the JSON reader makes them: scalars as text, arrays and maps as plain JSON.
OtlpAttribute attributeOf(const common::AnyValue& value)
{
    OtlpAttribute attribute;
    switch (value.value_case()) {
    case common::AnyValue::kStringValue:
        attribute.text = value.string_value();
        break;
    case common::AnyValue::kIntValue:
        attribute.type = OtlpAttribute::Type::Int;
        attribute.number = static_cast<double>(value.int_value());
        attribute.text = std::to_string(value.int_value());
        break;
    case common::AnyValue::kDoubleValue:
        attribute.type = OtlpAttribute::Type::Double;
        attribute.number = value.double_value();
        attribute.text = doubleText(value.double_value());
        break;
    case common::AnyValue::kBoolValue:
        attribute.type = OtlpAttribute::Type::Bool;
        attribute.number = value.bool_value() ? 1 : 0;
        attribute.text = value.bool_value() ? "true" : "false";
        break;
    case common::AnyValue::kBytesValue:
        attribute.text = base64Of(value.bytes_value());
        break;
    case common::AnyValue::kArrayValue:
    case common::AnyValue::kKvlistValue:
        attribute.type = OtlpAttribute::Type::Json;
        appendJson(attribute.text, value);
        break;
    default:
        attribute.type = OtlpAttribute::Type::Json;
        attribute.text = "null";
    }
    return attribute;
}

void appendJson(std::string& out, const common::AnyValue& value)
{
    switch (value.value_case()) {
    case common::AnyValue::kArrayValue: {
        out += '[';
        bool first = true;
        for (const common::AnyValue& item : value.array_value().values()) {
            out += first ? "" : ",";
            first = false;
            appendJson(out, item);
        }
        out += ']';
        return;
    }
    case common::AnyValue::kKvlistValue: {
        out += '{';
        bool first = true;
        for (const common::KeyValue& kv : value.kvlist_value().values()) {
            out += first ? "" : ",";
            first = false;
            appendJsonString(out, kv.key());
            out += ':';
            appendJson(out, kv.value());
        }
        out += '}';
        return;
    }
    case common::AnyValue::kStringValue:
    case common::AnyValue::kBytesValue:
        appendJsonString(out, attributeOf(value).text);
        return;
    default:
        out += attributeOf(value).text;
    }
}

void appendVarint(std::string& out, std::uint64_t value)
{
    while (value >= 0x80) {
        out += static_cast<char>((value & 0x7f) | 0x80);
        value >>= 7;
    }
    out += static_cast<char>(value);
}

void appendField(std::string& out, char tag, std::string_view bytes)
{
    out += tag;
    appendVarint(out, bytes.size());
    out += bytes;
}

// One span or log record as a request of its own, composed from its resource's, its scope's and
// its own serialized bytes (the trace and logs requests nest alike: field 1 the resource entries,
// in which field 1 is the resource and field 2 the scope entries, in which field 1 is the scope
// and field 2 the items).
std::string sourceOf(char marker, const std::string& resource, const std::string& scope,
                     const std::string& item)
{
    std::string scoped;
    appendField(scoped, 0x0a, scope);
    appendField(scoped, 0x12, item);
    std::string resourced;
    appendField(resourced, 0x0a, resource);
    appendField(resourced, 0x12, scoped);
    std::string source(1, marker);
    appendField(source, 0x0a, resourced);
    return source;
}

void readAttributes(const google::protobuf::RepeatedPtrField<common::KeyValue>& list, OtlpAttributes& into)
{
    for (const common::KeyValue& kv : list)
        into[kv.key()] = attributeOf(kv.value());
}

std::shared_ptr<OtlpAttributes> resourceOf(const opentelemetry::proto::resource::v1::Resource& resource)
{
    auto attributes = std::make_shared<OtlpAttributes>();
    readAttributes(resource.attributes(), *attributes);
    return attributes;
}

std::string decodeTraces(std::string_view body, bool keepSources, OtlpDecoded& out)
{
    // On an arena: the request's many small messages are one allocation to free.
    google::protobuf::Arena arena;
    auto* request = google::protobuf::Arena::CreateMessage<
        opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest>(&arena);
    if (!request->ParseFromArray(body.data(), static_cast<int>(body.size())))
        return "the body is not a protobuf ExportTraceServiceRequest";
    for (const trace::ResourceSpans& resourceSpans : request->resource_spans()) {
        const auto resource = resourceOf(resourceSpans.resource());
        const std::string resourceBytes =
            keepSources ? resourceSpans.resource().SerializeAsString() : std::string();
        for (const trace::ScopeSpans& scopeSpans : resourceSpans.scope_spans()) {
            const std::string scopeBytes =
                keepSources ? scopeSpans.scope().SerializeAsString() : std::string();
            for (const trace::Span& span : scopeSpans.spans()) {
                OtlpSpan parsed;
                parsed.traceId = hexOf(span.trace_id());
                if (parsed.traceId.empty())
                    return "span without traceId";
                parsed.spanId = hexOf(span.span_id());
                parsed.parentSpanId = hexOf(span.parent_span_id());
                parsed.name = span.name();
                parsed.kind = static_cast<int>(span.kind());
                parsed.startNs = static_cast<std::int64_t>(span.start_time_unix_nano());
                parsed.endNs = static_cast<std::int64_t>(span.end_time_unix_nano());
                readAttributes(span.attributes(), parsed.attributes);
                for (const trace::Span::Event& event : span.events()) {
                    OtlpEvent parsedEvent;
                    parsedEvent.name = event.name();
                    parsedEvent.timeNs = static_cast<std::int64_t>(event.time_unix_nano());
                    readAttributes(event.attributes(), parsedEvent.attributes);
                    parsed.events.push_back(std::move(parsedEvent));
                }
                parsed.statusCode = static_cast<int>(span.status().code());
                parsed.statusMessage = span.status().message();
                parsed.resource = resource;
                if (keepSources)
                    parsed.source = sourceOf(otlp_detail::protobufTracesMarker, resourceBytes, scopeBytes,
                                             span.SerializeAsString());
                out.spans.push_back(std::move(parsed));
            }
        }
    }
    return {};
}

std::string decodeLogs(std::string_view body, OtlpDecoded& out)
{
    google::protobuf::Arena arena;
    auto* request = google::protobuf::Arena::CreateMessage<
        opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest>(&arena);
    if (!request->ParseFromArray(body.data(), static_cast<int>(body.size())))
        return "the body is not a protobuf ExportLogsServiceRequest";
    for (const logs::ResourceLogs& resourceLogs : request->resource_logs()) {
        const auto resource = resourceOf(resourceLogs.resource());
        const std::string resourceBytes = resourceLogs.resource().SerializeAsString();
        for (const logs::ScopeLogs& scopeLogs : resourceLogs.scope_logs()) {
            const std::string scopeBytes = scopeLogs.scope().SerializeAsString();
            for (const logs::LogRecord& record : scopeLogs.log_records()) {
                OtlpLogRecord parsed;
                readAttributes(record.attributes(), parsed.attributes);
                parsed.eventName = otlp_detail::eventName(record.event_name(), parsed.attributes);
                if (!otlp_detail::isConversationEvent(parsed.eventName)) {
                    ++out.skippedLogRecords;
                    continue;
                }
                parsed.traceId = hexOf(record.trace_id());
                parsed.spanId = hexOf(record.span_id());
                if (std::string error = otlp_detail::unjoinable(parsed); !error.empty())
                    return error;
                parsed.timeNs = static_cast<std::int64_t>(
                    record.time_unix_nano() ? record.time_unix_nano() : record.observed_time_unix_nano());
                // The body's fields are the event's attributes; a body that is not a map is kept whole.
                if (record.body().has_kvlist_value()) {
                    for (const common::KeyValue& kv : record.body().kvlist_value().values())
                        parsed.attributes.try_emplace(kv.key(), attributeOf(kv.value()));
                } else if (record.has_body() &&
                           record.body().value_case() != common::AnyValue::VALUE_NOT_SET) {
                    parsed.attributes.try_emplace("body", attributeOf(record.body()));
                }
                parsed.resource = resource;
                // Always kept: a record sent twice is told by it.
                parsed.source = sourceOf(otlp_detail::protobufLogsMarker, resourceBytes, scopeBytes,
                                         record.SerializeAsString());
                out.logs.push_back(std::move(parsed));
            }
        }
    }
    return {};
}

} // namespace

std::string decodeOtlpProtobuf(std::string_view body, bool logs, bool keepSources, OtlpDecoded& out)
{
    // libprotobuf logs every malformed string to standard error: a client sending garbage would
    // fill the log. The answer (400, with the reason) already says what was wrong.
    static const bool quiet = [] {
        google::protobuf::SetLogHandler(nullptr);
        return true;
    }();
    (void)quiet;
    return logs ? decodeLogs(body, out) : decodeTraces(body, keepSources, out);
}

} // namespace winnow
