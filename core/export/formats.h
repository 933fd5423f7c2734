#pragma once
// What a reviewed interaction becomes in each format training and evaluation teams take: OpenAI
// chat and preference fine-tuning JSONL, TRL's SFT, DPO and KTO datasets, an evaluation set, and
// Winnow's own JSONL and CSV for analysts. Each format has its rules, checked on every written
// line before an export reports success (a failure names the line and the rule).

#include "core/review/review.h"
#include "core/store/records.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace winnow {

enum class ExportFormat { OpenAiChat, OpenAiPreference, TrlSft, TrlDpo, TrlKto, Eval, Jsonl, Csv };
constexpr int exportFormatCount = 8;
const char* exportFormatName(ExportFormat format);
std::optional<ExportFormat> parseExportFormat(std::string_view name);
// "openai-chat, openai-preference, ..." for help texts.
std::string exportFormatList();
// Training and evaluation formats take only what a label says fits; jsonl and csv take the slice.
bool formatNeedsLabel(ExportFormat format);
const char* fileExtension(ExportFormat format); // "jsonl" or "csv"

// How tool-call arguments are written: OpenAI writes a JSON string, TRL's examples an object.
enum class ArgumentsStyle { String, Object };
ArgumentsStyle defaultArgumentsStyle(ExportFormat format);
const char* argumentsStyleName(ArgumentsStyle style);

// Why an interaction of the slice gave no record (counted in the manifest).
enum class LeftOut {
    NoLabel,               // not reviewed (or its reviewers disagree and no one adjudicated)
    Unsure,                // its verdict is unsure
    NotAdjudicated,        // adjudicated only was asked, and its label is not an adjudication
    FailWithoutCorrection, // a failure with no corrected answer, in a format that needs one
    PassNotUsed,           // a pass, in a format made of failures and their corrections
    NoAssistantTurn,       // nothing the assistant said to learn from or judge
    ArgumentsNotObject,    // a tool call's arguments are not a JSON object (object style)
};
constexpr int leftOutCount = 7;
const char* leftOutName(LeftOut reason);

// Whether an interaction's final label (none: not reviewed) fits a format, before its conversation
// is read: the reason it does not, or nothing.
std::optional<LeftOut> labelFit(ExportFormat format, const Label* label, bool unreviewedAsPasses,
                                bool adjudicatedOnly);
// How many records a fitting label gives (KTO: a corrected failure gives the correction and the
// original).
int recordsPerItem(ExportFormat format, const Label* label);

// What an interaction brings to a format: itself (its texts already redacted when asked), its
// final label (none when it has none, or when unreviewed interactions are taken as passes), and
// its categories' names, primary first.
struct ExportSubject
{
    std::int64_t id = 0;
    const Interaction* interaction = nullptr;
    const Label* label = nullptr;
    std::vector<std::string> categories;
    std::string labelJson; // the label as `winnow labels export` writes it (jsonl)
};

struct FormatOptions
{
    ExportFormat format = ExportFormat::OpenAiChat;
    ArgumentsStyle arguments = ArgumentsStyle::String;
    bool weights = false;           // openai-chat: weight 0 on context turns, 1 on the ones to learn
    bool unreviewedAsPasses = false; // interactions without a label are taken as they are
};

// The lines (JSON objects without a newline, or CSV rows) a subject gives, and the stratum it
// counts under ("pass", "fail:CATEGORY", "unreviewed"); none with the reason it was left out.
struct FormattedRecords
{
    std::vector<std::string> lines;
    std::string stratum;
    std::optional<LeftOut> leftOut;
    std::string dedupeText; // what it says (user and assistant turns), for near-duplicate removal
};
FormattedRecords formatRecords(const ExportSubject& subject, const FormatOptions& options);

// The CSV header (csv only).
std::string csvHeader();

// Checks one written line (a JSONL record, a CSV row) against the format's rules; the rule broken,
// or nothing.
std::optional<std::string> checkRecord(ExportFormat format, std::string_view line);

// Reads a CSV text into rows of fields (quoted fields may hold commas, quotes and newlines); the
// line each row starts on, 1-based. An Error names the line of an unterminated quote.
struct CsvRow
{
    std::int64_t line = 0;
    std::vector<std::string> fields;
};
std::vector<CsvRow> readCsv(std::string_view text, std::string* error = nullptr);

} // namespace winnow
