#pragma once
// Records of named text fields from a file another tool wrote: CSV (a header row, RFC 4180
// quoting, newlines inside quotes) when the name ends in .csv, else JSONL (each object's values as
// text, nested values as JSON; a "score" or "scores" object spread as score.NAME). What feedback
// and label imports read.

#include "core/util/result.h"

#include <simdjson.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace winnow {

struct FieldRecord
{
    std::int64_t line = 0; // 1-based, where the record starts
    std::map<std::string, std::string> fields;
};

struct FieldRecordProblem
{
    std::int64_t line = 0;
    std::string reason;
};

// A JSON object's fields as text (strings as they are, other values as JSON).
std::map<std::string, std::string> fieldsOfJsonObject(simdjson::dom::object object);

// Target → the column or key another tool's file holds it in (--map TARGET=SOURCE); a target
// not mapped is read from its own name.
using ColumnMapping = std::map<std::string, std::string>;
// Adds "TARGET=SOURCE" when TARGET is one of `targets` (one ending in '.' stands for any name
// after it: "score." takes score.csat); else an Error naming the targets there are.
Status addColumnMapping(ColumnMapping& mapping, const std::string& text,
                        const std::vector<std::string>& targets);
// A target's value in a record (none when it is absent or empty).
const std::string* mappedColumn(const FieldRecord& record, const ColumnMapping& mapping,
                                const std::string& target);

// Every record; records that cannot be read at all (a row of the wrong width, a line that is not
// a JSON object) are problems with their line. An error when the file cannot be read.
Result<std::vector<FieldRecord>> readFieldRecords(const std::string& path,
                                                  std::vector<FieldRecordProblem>& problems);

} // namespace winnow
