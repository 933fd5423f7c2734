#include "core/ingest/field_records.h"

#include <algorithm>

#include "core/util/text.h"

#include <fstream>

namespace winnow {

namespace {

// RFC 4180: fields separated by commas, quoted with ", "" inside quotes, newlines inside quotes.
bool readCsvRecord(std::istream& in, std::vector<std::string>& fields, std::int64_t& lines)
{
    fields.clear();
    std::string field;
    bool quoted = false, any = false;
    char c;
    while (in.get(c)) {
        any = true;
        if (quoted) {
            if (c == '"') {
                if (in.peek() == '"') {
                    in.get(c);
                    field += '"';
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n')
                    ++lines;
                field += c;
            }
            continue;
        }
        if (c == '"' && field.empty()) {
            quoted = true;
        } else if (c == ',') {
            fields.push_back(std::move(field));
            field.clear();
        } else if (c == '\n') {
            ++lines;
            break;
        } else if (c != '\r') {
            field += c;
        }
    }
    if (!any)
        return false;
    fields.push_back(std::move(field));
    return true;
}

} // namespace

std::map<std::string, std::string> fieldsOfJsonObject(simdjson::dom::object object)
{
    std::map<std::string, std::string> fields;
    for (auto [key, value] : object) {
        std::string name(key);
        if (name == "score" || name == "scores") { // {"scores": {"csat": 4}} as well as "score.csat"
            simdjson::dom::object nested;
            if (!value.get_object().get(nested))
                for (auto [scoreName, scoreValue] : nested)
                    fields["score." + std::string(scoreName)] = simdjson::minify(scoreValue);
            continue;
        }
        std::string_view text;
        if (!value.get_string().get(text))
            fields[name] = std::string(text);
        else if (!value.is_null())
            fields[name] = simdjson::minify(value);
    }
    return fields;
}

Status addColumnMapping(ColumnMapping& mapping, const std::string& text,
                        const std::vector<std::string>& targets)
{
    const size_t equals = text.find('=');
    const std::string target = text.substr(0, equals);
    const bool known = std::any_of(targets.begin(), targets.end(), [&](const std::string& t) {
        return t.back() == '.' ? target.size() > t.size() && target.rfind(t, 0) == 0 : target == t;
    });
    if (equals == std::string::npos || equals + 1 == text.size() || !known) {
        std::string names;
        for (const std::string& t : targets)
            names += (names.empty() ? "" : ", ") + (t.back() == '.' ? t + "NAME" : t);
        return Error{"--map is TARGET=SOURCE with a target among " + names + "; not '" + text + "'", {}};
    }
    mapping[target] = text.substr(equals + 1);
    return {};
}

const std::string* mappedColumn(const FieldRecord& record, const ColumnMapping& mapping,
                                const std::string& target)
{
    const auto source = mapping.find(target);
    const auto found = record.fields.find(source == mapping.end() ? target : source->second);
    return found == record.fields.end() || found->second.empty() ? nullptr : &found->second;
}

Result<std::vector<FieldRecord>> readFieldRecords(const std::string& path,
                                                  std::vector<FieldRecordProblem>& problems)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return Error{"cannot read " + path, {}};
    std::vector<FieldRecord> records;
    const bool csv = path.size() > 4 && toLowerAscii(path.substr(path.size() - 4)) == ".csv";
    if (csv) {
        std::vector<std::string> header, row;
        std::int64_t lines = 0;
        if (!readCsvRecord(in, header, lines))
            return records;
        if (!header.empty() && header[0].rfind("\xEF\xBB\xBF", 0) == 0)
            header[0].erase(0, 3);
        while (true) {
            const std::int64_t line = lines + 1;
            if (!readCsvRecord(in, row, lines))
                break;
            if (row.size() == 1 && row[0].empty())
                continue;
            if (row.size() != header.size()) {
                problems.push_back({line, "has " + std::to_string(row.size()) + " fields, the header " +
                                              std::to_string(header.size())});
                continue;
            }
            FieldRecord record;
            record.line = line;
            for (size_t i = 0; i < header.size(); ++i)
                record.fields[header[i]] = row[i];
            records.push_back(std::move(record));
        }
        return records;
    }
    simdjson::dom::parser parser;
    std::string text;
    for (std::int64_t line = 1; std::getline(in, text); ++line) {
        if (text.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        simdjson::dom::object object;
        if (parser.parse(text).get(object)) {
            problems.push_back({line, "not a JSON object"});
            continue;
        }
        records.push_back({line, fieldsOfJsonObject(object)});
    }
    return records;
}

} // namespace winnow
