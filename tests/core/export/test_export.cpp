#include "../test_helpers.h"
#include "core/export/export.h"
#include "core/export/near_duplicates.h"
#include "core/export/redaction.h"
#include "core/review/review.h"
#include "core/rules/rules.h"
#include "core/store/export_store.h"
#include "core/store/review_store.h"
#include "core/store/schema.h"

#include <QCryptographicHash>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

using namespace winnow;
namespace fs = std::filesystem;

namespace {

// A support conversation over two assistant turns: the agent looks an order up with a tool (its
// arguments hold an email and a card number written as a number), answers wrongly, is corrected
// by the user and answers again.
Interaction orderConversation(const std::string& key, const std::string& session = {})
{
    Interaction in;
    in.key = key;
    in.session = session;
    in.agent = "support-bot";
    in.startMs = 1'790'000'000'000;
    auto message = [&in](const char* role, std::string content, std::string toolCallId = {}) {
        Message m;
        m.role = role;
        m.content = std::move(content);
        m.toolCallId = std::move(toolCallId);
        in.messages.push_back(m);
    };
    message("system", "You are Acme support.");
    message("user", "Where is order A1 (" + key + ")? Mail me at ana@example.com");
    message("assistant", "");
    message("tool", R"({"status":"shipped"})", "c1");
    message("assistant", "It was delivered yesterday.");
    message("user", "No, the tracking page says shipped.");
    message("assistant", "Sorry, it has shipped.");
    ToolCall call;
    call.callId = "c1";
    call.name = "lookup_order";
    call.arguments = R"({"order_id":"A1","email":"ana@example.com","card":4111111111111111})";
    call.result = R"({"status":"shipped"})";
    call.messageIndex = 2;
    call.resultMessageIndex = 3;
    in.toolCalls.push_back(call);
    return in;
}

Label failure(std::optional<std::string> corrected, int turn = 4)
{
    Label l;
    l.reviewer = "ana";
    l.verdict = Verdict::Fail;
    l.turn = turn;
    l.corrected = std::move(corrected);
    l.status = LabelStatus::Submitted;
    return l;
}

Label passing()
{
    Label l;
    l.reviewer = "ana";
    l.verdict = Verdict::Pass;
    l.status = LabelStatus::Submitted;
    return l;
}

FormattedRecords format(ExportFormat format, const Interaction& in, const Label* label,
                        std::vector<std::string> categories = {"incorrect or hallucinated information"},
                        bool weights = false)
{
    ExportSubject subject;
    subject.id = 1;
    subject.interaction = &in;
    subject.label = label;
    subject.categories = std::move(categories);
    FormatOptions options;
    options.format = format;
    options.arguments = defaultArgumentsStyle(format);
    options.weights = weights;
    return formatRecords(subject, options);
}

QJsonObject object(const std::string& line)
{
    return QJsonDocument::fromJson(QByteArray::fromStdString(line)).object();
}

// Every written line of a batch folder's data files, by file name.
std::map<std::string, std::vector<std::string>> batchLines(const std::string& dir)
{
    std::map<std::string, std::vector<std::string>> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".jsonl")
            continue;
        std::ifstream in(entry.path());
        for (std::string line; std::getline(in, line);)
            files[entry.path().filename().string()].push_back(line);
    }
    return files;
}

// A store with `conversations` order conversations in sessions of three; every one labelled: a
// corrected failure (category by index), a pass, a failure without correction, unsure, or none.
struct LabelledStore
{
    test::TestStore store;
    std::vector<std::int64_t> categories;

    explicit LabelledStore(int conversations, bool distinctTexts = true)
    {
        std::vector<Interaction> interactions;
        for (int i = 0; i < conversations; ++i) {
            Interaction in = orderConversation("conv-" + std::to_string(i), "session-" + std::to_string(i / 3));
            if (distinctTexts) // so that near-duplicate removal keeps them apart
                in.messages[1].content += " " + std::string(size_t(1 + i % 7), 'x') + " topic " +
                                          std::to_string(i * 7919) + " about " + std::to_string(i * 104729);
            else // the same words every time
                in.messages[1].content = "Where is order A1? Mail me at ana@example.com";
            interactions.push_back(std::move(in));
        }
        store.write(interactions);
        for (const ReviewCategory& category : ReviewStore(store.reader()).categories())
            categories.push_back(category.id);
        std::vector<Label> labels;
        for (int i = 0; i < conversations; ++i) {
            Label l;
            switch (i % 5) {
            case 0:
                l = failure("It has shipped and arrives on Friday (" + std::to_string(i) + ").");
                l.categories = {categories[size_t(i / 5 % 2)]};
                break;
            case 1:
                l = passing();
                break;
            case 2:
                l = failure(std::nullopt);
                l.categories = {categories[0]};
                break;
            case 3:
                l = passing();
                l.verdict = Verdict::Unsure;
                break;
            default:
                continue;
            }
            l.interactionId = i + 1;
            l.author = l.reviewer;
            labels.push_back(l);
        }
        EXPECT_TRUE(importLabels(*store.writer, labels));
    }
};

} // namespace

TEST(ExportFormats, AChatExampleEndsWithTheCorrectedAnswerAndKeepsTheToolCallsBeforeIt)
{
    const Interaction in = orderConversation("a");
    const Label corrected = failure("It has shipped and arrives on Friday.");
    const FormattedRecords chat = format(ExportFormat::OpenAiChat, in, &corrected, {}, true);
    ASSERT_FALSE(chat.leftOut);
    ASSERT_EQ(chat.lines.size(), 1u);
    EXPECT_EQ(chat.lines[0],
              R"({"messages":[{"role":"system","content":"You are Acme support."},)"
              R"({"role":"user","content":"Where is order A1 (a)? Mail me at ana@example.com"},)"
              R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":)"
              R"({"name":"lookup_order","arguments":"{\"order_id\":\"A1\",\"email\":\"ana@example.com\",)"
              R"(\"card\":4111111111111111}"}}],"weight":0},)"
              R"({"role":"tool","content":"{\"status\":\"shipped\"}","tool_call_id":"c1"},)"
              R"({"role":"assistant","content":"It has shipped and arrives on Friday.","weight":1}]})");
    EXPECT_FALSE(checkRecord(ExportFormat::OpenAiChat, chat.lines[0]));
    EXPECT_EQ(chat.stratum, "fail");

    // A pass is the whole conversation, every assistant turn learnt from.
    const Label pass = passing();
    const FormattedRecords whole = format(ExportFormat::OpenAiChat, in, &pass, {}, true);
    const QJsonArray messages = object(whole.lines.at(0)).value(QStringLiteral("messages")).toArray();
    ASSERT_EQ(messages.size(), 7);
    EXPECT_EQ(messages[6].toObject().value(QStringLiteral("content")).toString(),
              QStringLiteral("Sorry, it has shipped."));
    EXPECT_EQ(messages[4].toObject().value(QStringLiteral("weight")).toInt(), 1);
    EXPECT_EQ(whole.stratum, "pass");
}

TEST(ExportFormats, PreferenceDpoKtoAndEvalRecordsHaveTheirShapes)
{
    const Interaction in = orderConversation("a");
    const Label corrected = failure("It has shipped and arrives on Friday.");

    const QJsonObject preference = object(format(ExportFormat::OpenAiPreference, in, &corrected).lines.at(0));
    EXPECT_EQ(preference.value(QStringLiteral("input"))[QStringLiteral("messages")].toArray().size(), 4);
    EXPECT_EQ(preference.value(QStringLiteral("preferred_output"))[0][QStringLiteral("content")].toString(),
              QStringLiteral("It has shipped and arrives on Friday."));
    EXPECT_EQ(preference.value(QStringLiteral("non_preferred_output"))[0][QStringLiteral("content")].toString(),
              QStringLiteral("It was delivered yesterday."));

    const std::string dpoLine = format(ExportFormat::TrlDpo, in, &corrected).lines.at(0);
    const QJsonObject dpo = object(dpoLine);
    EXPECT_EQ(dpo.value(QStringLiteral("prompt")).toArray().size(), 4);
    EXPECT_EQ(dpo.value(QStringLiteral("chosen"))[0][QStringLiteral("role")].toString(), QStringLiteral("assistant"));
    EXPECT_EQ(dpo.value(QStringLiteral("rejected"))[0][QStringLiteral("content")].toString(),
              QStringLiteral("It was delivered yesterday."));
    // TRL writes tool-call arguments as an object.
    EXPECT_TRUE(dpo.value(QStringLiteral("prompt"))[2][QStringLiteral("tool_calls")][0][QStringLiteral("function")]
                    [QStringLiteral("arguments")]
                        .isObject());
    EXPECT_FALSE(checkRecord(ExportFormat::TrlDpo, dpoLine));

    // KTO: the correction is desirable, the original failed answer undesirable.
    const std::vector<std::string> kto = format(ExportFormat::TrlKto, in, &corrected).lines;
    ASSERT_EQ(kto.size(), 2u);
    EXPECT_TRUE(object(kto[0]).value(QStringLiteral("label")).toBool());
    EXPECT_FALSE(object(kto[1]).value(QStringLiteral("label")).toBool());
    EXPECT_EQ(object(kto[1]).value(QStringLiteral("completion"))[0][QStringLiteral("content")].toString(),
              QStringLiteral("It was delivered yesterday."));
    const Label uncorrected = failure(std::nullopt);
    ASSERT_EQ(format(ExportFormat::TrlKto, in, &uncorrected).lines.size(), 1u);
    EXPECT_FALSE(object(format(ExportFormat::TrlKto, in, &uncorrected).lines[0])
                     .value(QStringLiteral("label"))
                     .toBool());

    const QJsonObject eval = object(format(ExportFormat::Eval, in, &corrected).lines.at(0));
    EXPECT_EQ(eval.value(QStringLiteral("ideal")).toString(), QStringLiteral("It has shipped and arrives on Friday."));
    EXPECT_EQ(eval.value(QStringLiteral("category")).toString(),
              QStringLiteral("incorrect or hallucinated information"));
    EXPECT_EQ(eval.value(QStringLiteral("input")).toArray().size(), 4);
    const Label pass = passing();
    const QJsonObject accepted = object(format(ExportFormat::Eval, in, &pass).lines.at(0));
    EXPECT_EQ(accepted.value(QStringLiteral("ideal")).toString(), QStringLiteral("Sorry, it has shipped."));
    EXPECT_TRUE(accepted.value(QStringLiteral("category")).isNull());

    for (const ExportFormat f : {ExportFormat::OpenAiPreference, ExportFormat::TrlKto, ExportFormat::Eval,
                                 ExportFormat::TrlSft, ExportFormat::Jsonl})
        for (const std::string& line : format(f, in, &corrected).lines)
            EXPECT_FALSE(checkRecord(f, line)) << exportFormatName(f) << ": " << *checkRecord(f, line);
}

TEST(ExportFormats, EachFormatTakesTheLabelsThatFitIt)
{
    const Interaction in = orderConversation("a");
    const Label pass = passing(), corrected = failure("Right."), uncorrected = failure(std::nullopt);
    Label unsure = passing();
    unsure.verdict = Verdict::Unsure;
    EXPECT_EQ(format(ExportFormat::OpenAiChat, in, nullptr).leftOut, LeftOut::NoLabel);
    EXPECT_EQ(format(ExportFormat::OpenAiChat, in, &unsure).leftOut, LeftOut::Unsure);
    EXPECT_EQ(format(ExportFormat::OpenAiChat, in, &uncorrected).leftOut, LeftOut::FailWithoutCorrection);
    EXPECT_EQ(format(ExportFormat::OpenAiPreference, in, &pass).leftOut, LeftOut::PassNotUsed);
    EXPECT_EQ(format(ExportFormat::TrlDpo, in, &uncorrected).leftOut, LeftOut::FailWithoutCorrection);
    EXPECT_EQ(format(ExportFormat::Eval, in, &uncorrected).leftOut, LeftOut::FailWithoutCorrection);
    EXPECT_FALSE(format(ExportFormat::Jsonl, in, nullptr).leftOut);
    EXPECT_FALSE(format(ExportFormat::Csv, in, &unsure).leftOut);
    EXPECT_EQ(labelFit(ExportFormat::OpenAiChat, &pass, false, true), LeftOut::NotAdjudicated);
    Label adjudicated = pass;
    adjudicated.reviewer.clear();
    EXPECT_FALSE(labelFit(ExportFormat::OpenAiChat, &adjudicated, false, true));
    EXPECT_FALSE(labelFit(ExportFormat::TrlSft, nullptr, true, false)); // unreviewed taken as passes

    // Nothing the assistant said: nothing to learn.
    Interaction silent = in;
    silent.messages.resize(2);
    silent.toolCalls.clear();
    EXPECT_EQ(format(ExportFormat::TrlSft, silent, &pass).leftOut, LeftOut::NoAssistantTurn);
    // Object style needs arguments that are an object.
    Interaction raw = in;
    raw.toolCalls[0].arguments = "order A1";
    EXPECT_EQ(format(ExportFormat::TrlSft, raw, &pass).leftOut, LeftOut::ArgumentsNotObject);
    EXPECT_FALSE(format(ExportFormat::OpenAiChat, raw, &pass).leftOut); // a string is a string
}

TEST(ExportFormats, ArgumentsRoundTripBetweenStringAndObject)
{
    const Interaction in = orderConversation("a");
    const Label pass = passing();
    ExportSubject subject;
    subject.interaction = &in;
    subject.label = &pass;
    FormatOptions options;
    options.format = ExportFormat::TrlSft;
    options.arguments = ArgumentsStyle::String;
    const QJsonObject asString = object(formatRecords(subject, options).lines.at(0));
    options.arguments = ArgumentsStyle::Object;
    const QJsonObject asObject = object(formatRecords(subject, options).lines.at(0));
    auto arguments = [](const QJsonObject& record) {
        return record.value(QStringLiteral("messages"))[2][QStringLiteral("tool_calls")][0][QStringLiteral("function")]
                     [QStringLiteral("arguments")];
    };
    ASSERT_TRUE(arguments(asString).isString());
    ASSERT_TRUE(arguments(asObject).isObject());
    EXPECT_EQ(QJsonDocument::fromJson(arguments(asString).toString().toUtf8()).object(), arguments(asObject).toObject());
    EXPECT_EQ(arguments(asObject).toObject().value(QStringLiteral("order_id")).toString(), QStringLiteral("A1"));
    // The rest of the record is the same.
    QJsonObject a = asString, b = asObject;
    EXPECT_EQ(a.value(QStringLiteral("messages")).toArray().size(), b.value(QStringLiteral("messages")).toArray().size());
}

TEST(ExportFormats, ACsvRowKeepsItsFieldsAndNoCellRunsAsAFormula)
{
    Interaction in = orderConversation("a");
    in.messages[1].content = "=HYPERLINK(\"http://evil.example\",\"click\"), then \"quotes\"\nand a new line";
    in.messages[6].content = "-1 is not a price";
    in.latencyMs = 1200;
    const Label pass = passing();
    const std::string row = format(ExportFormat::Csv, in, &pass).lines.at(0);
    EXPECT_FALSE(checkRecord(ExportFormat::Csv, row));
    const std::vector<CsvRow> rows = readCsv(row);
    ASSERT_EQ(rows.size(), 1u);
    ASSERT_EQ(rows[0].fields.size(), readCsv(csvHeader())[0].fields.size());
    EXPECT_EQ(rows[0].fields[15], "'=HYPERLINK(\"http://evil.example\",\"click\"), then \"quotes\"\nand a new line");
    EXPECT_EQ(rows[0].fields[16], "'-1 is not a price");
    EXPECT_EQ(rows[0].fields[17], "1200"); // numbers stay numbers
    EXPECT_EQ(rows[0].fields[11], "pass");
}

TEST(ExportFormats, TheCheckNamesTheRuleALineBreaks)
{
    auto broken = [](ExportFormat format, const std::string& line) { return checkRecord(format, line).value_or(""); };
    const ExportFormat chat = ExportFormat::OpenAiChat;
    EXPECT_NE(broken(chat, R"({"messages":[{"role":"robot","content":"hi"}]})").find("unknown role"),
              std::string::npos);
    EXPECT_NE(broken(chat, R"({"messages":[{"role":"user","content":"hi","weight":1},{"role":"assistant",)"
                           R"("content":"a"}]})")
                  .find("weight is allowed only on assistant"),
              std::string::npos);
    EXPECT_NE(broken(chat, R"({"messages":[{"role":"assistant","content":"a","weight":2}]})").find("0 or 1"),
              std::string::npos);
    EXPECT_NE(broken(chat, R"({"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null}]})")
                  .find("needs content or tool calls"),
              std::string::npos);
    EXPECT_NE(broken(chat, R"({"messages":[{"role":"user","content":"hi"}]})").find("no assistant message"),
              std::string::npos);
    EXPECT_NE(broken(chat, R"({"messages":[{"role":"tool","content":"x"},{"role":"assistant","content":"a"}]})")
                  .find("tool_call_id"),
              std::string::npos);
    EXPECT_NE(broken(chat, R"({"messages":[{"role":"assistant","content":"a","mood":"ok"}]})").find("unknown key"),
              std::string::npos);
    EXPECT_NE(broken(chat, R"({"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":)"
                           R"("function","function":{"name":"f","arguments":{"a":1}}}]}]})")
                  .find("must be a JSON string"),
              std::string::npos);
    EXPECT_NE(broken(ExportFormat::TrlDpo, R"({"prompt":[{"role":"user","content":"q"}],"chosen":[{"role":"user",)"
                                           R"("content":"a"}],"rejected":[{"role":"assistant","content":"b"}]})")
                  .find("only assistant and tool"),
              std::string::npos);
    EXPECT_NE(broken(ExportFormat::TrlKto, R"({"prompt":[{"role":"user","content":"q"}],"completion":[{"role":)"
                                           R"("assistant","content":"a"}],"label":1})")
                  .find("true or false"),
              std::string::npos);
    EXPECT_NE(broken(ExportFormat::Eval, R"({"input":[{"role":"user","content":"q"}],"ideal":"","category":null,)"
                                         R"("interaction":"k"})")
                  .find("ideal"),
              std::string::npos);
    EXPECT_NE(broken(chat, "{not json").find("not valid JSON"), std::string::npos);
}

TEST(ExportRedaction, TypedTokensReplaceWhatTheRedactingRulesFind)
{
    RulePack pack = defaultRulePack();
    pack.version = 1;
    const Redactor redactor = Redactor::fromPack(pack).take();
    std::map<std::string, std::int64_t> counts;
    EXPECT_EQ(redactor.redact("Mail ana@example.com or pay with 4111 1111 1111 1111, see https://acme.com", counts),
              "Mail <EMAIL> or pay with <CARD>, see https://acme.com"); // URLs are flagged, not redacted
    EXPECT_EQ(counts["pii.email"], 1);
    EXPECT_EQ(counts["pii.card"], 1);
    // A card number written as a JSON number becomes its token as a string: the JSON stays JSON.
    const std::string json = redactor.redactJson(R"({"card":4111111111111111,"note":"ana@example.com"})", counts);
    EXPECT_EQ(json, R"({"card":"<CARD>","note":"<EMAIL>"})");
    EXPECT_TRUE(redactor.firstFinding(json).empty());
    EXPECT_EQ(redactor.firstFinding("call me at ana@example.com"), "pii.email");

    RulePack none = pack;
    for (Rule& rule : none.rules)
        rule.action = RuleAction::Flag;
    EXPECT_FALSE(Redactor::fromPack(none));
}

TEST(ExportNearDuplicates, NearlyTheSameTextIsRemovedAndOtherTextsStay)
{
    const std::string base =
        "My parcel with order number A12345 has not arrived and the tracking page has said in transit for "
        "nine days now, can you tell me where it is and when it will arrive at my address in Leeds";
    const std::string oneWord =
        "My parcel with order number A12345 has not arrived and the tracking page has said in transit for "
        "nine days now, can you tell me where it is and when it will arrive at my address in York";
    const std::string other = "I would like to change the email address on my account to the new one I gave you";
    EXPECT_GE(estimatedSimilarity(minHashSignature(base), minHashSignature(oneWord)), 0.8);
    EXPECT_LE(estimatedSimilarity(minHashSignature(base), minHashSignature(other)), 0.2);
    EXPECT_EQ(estimatedSimilarity(minHashSignature(base), minHashSignature(base)), 1.0);

    NearDuplicateFilter filter(0.8);
    EXPECT_FALSE(filter.add(1, base));
    EXPECT_EQ(filter.add(2, oneWord), 1);
    EXPECT_FALSE(filter.add(3, other));
    EXPECT_EQ(filter.add(4, "MY PARCEL with order number A12345 has not arrived and the tracking page has said in "
                            "transit for nine days now, can you tell me where it is and when it will arrive at my "
                            "address in Leeds!"),
              1); // case and punctuation do not make a text new
    NearDuplicateFilter exact(1.0);
    EXPECT_FALSE(exact.add(1, base));
    EXPECT_FALSE(exact.add(2, oneWord));
    EXPECT_EQ(exact.add(3, base), 1);

    // The decision is the exact similarity of the shingle sets, never the estimate alone: texts
    // below the threshold stay, however their signatures happen to agree (short texts, where the
    // estimate errs high, above all).
    EXPECT_DOUBLE_EQ(jaccard({1, 2, 3, 4}, {3, 4, 5}), 2.0 / 5.0);
    std::uint64_t state = 7;
    auto next = [&state] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return state >> 33;
    };
    int stayed = 0, removed = 0;
    for (int pair = 0; pair < 400; ++pair) {
        std::vector<std::string> words;
        for (int w = 0; w < 12 + int(next() % 20); ++w)
            words.push_back("w" + std::to_string(next() % 5000));
        std::vector<std::string> changed = words;
        changed[next() % changed.size()] = "x" + std::to_string(next());
        if (next() % 2)
            changed[next() % changed.size()] = "y" + std::to_string(next());
        auto join = [](const std::vector<std::string>& list) {
            std::string text;
            for (const std::string& w : list)
                text += w + " ";
            return text;
        };
        const std::string a = join(words), b = join(changed);
        NearDuplicateFilter filter(0.85);
        ASSERT_FALSE(filter.add(1, a));
        const bool duplicate = filter.add(2, b).has_value();
        const double similarity = jaccard(shingleHashes(a), shingleHashes(b));
        EXPECT_EQ(duplicate, similarity >= 0.85) << a << " / " << b << ": " << similarity;
        (duplicate ? removed : stayed) += 1;
    }
    EXPECT_GT(stayed, 0);
    EXPECT_GT(removed, 0);
}

TEST(Export, ABatchIsWrittenCheckedRecordedAndMadeAgainByteForByte)
{
    LabelledStore labelled(60);
    test::TestStore& store = labelled.store;
    ExportDefinition definition;
    definition.format = ExportFormat::OpenAiChat;
    definition.redact = true;
    definition.trainFraction = 0.75;
    const std::string first = store.dir().path("batch-1");
    std::vector<std::int64_t> progress;
    auto result = runExport(store.reader(), *store.writer, definition, first, "trainer",
                            [&progress](std::int64_t done, std::int64_t) { progress.push_back(done); });
    ASSERT_TRUE(result) << result.error().text();
    // 60 conversations: 12 corrected failures and 12 passes fit; 12 uncorrected, 12 unsure, 12 unlabelled.
    EXPECT_EQ(result->interactions, 24);
    EXPECT_EQ(result->records, 24);
    EXPECT_FALSE(progress.empty());
    EXPECT_EQ(progress.back(), 60);
    const QJsonObject manifest = object(test::readFile(first + "/manifest.json"));
    EXPECT_EQ(manifest.value(QStringLiteral("left_out"))[QStringLiteral("fail_without_correction")].toInt(), 12);
    EXPECT_EQ(manifest.value(QStringLiteral("left_out"))[QStringLiteral("unsure")].toInt(), 12);
    EXPECT_EQ(manifest.value(QStringLiteral("left_out"))[QStringLiteral("no_label")].toInt(), 12);
    EXPECT_EQ(manifest.value(QStringLiteral("redaction"))[QStringLiteral("rules_version")].toInt(), 1);
    // Each conversation's email twice (message, arguments) and its card once; the corrected answers hold none.
    EXPECT_EQ(manifest.value(QStringLiteral("redaction"))[QStringLiteral("redactions")][QStringLiteral("pii.email")]
                  .toInt(),
              48);
    EXPECT_EQ(manifest.value(QStringLiteral("redaction"))[QStringLiteral("redactions")][QStringLiteral("pii.card")]
                  .toInt(),
              24);
    // The files are what the manifest says, and hold no email.
    std::int64_t records = 0;
    for (const QJsonValue file : manifest.value(QStringLiteral("files")).toArray()) {
        const std::string bytes = test::readFile(first + "/" + file[QStringLiteral("name")].toString().toStdString());
        EXPECT_EQ(QCryptographicHash::hash(QByteArray::fromStdString(bytes), QCryptographicHash::Sha256).toHex(),
                  file[QStringLiteral("sha256")].toString().toLatin1());
        EXPECT_EQ(bytes.find("ana@example.com"), std::string::npos);
        EXPECT_NE(bytes.find("<EMAIL>"), std::string::npos);
        records += file[QStringLiteral("records")].toInt();
    }
    EXPECT_EQ(records, 24);
    EXPECT_FALSE(fs::exists(first + ".partial"));

    // Recorded, with the lineage of every exported interaction.
    const std::vector<ExportBatch> batches = ExportStore(store.reader()).batches();
    ASSERT_EQ(batches.size(), 1u);
    EXPECT_EQ(batches[0].id, result->batchId);
    EXPECT_EQ(batches[0].author, "trainer");
    EXPECT_EQ(batches[0].examples, 24);
    EXPECT_EQ(parseExportDefinition(batches[0].definitionJson).take(), definition);
    EXPECT_EQ(ExportStore(store.reader()).items(result->batchId).size(), 24u);
    const std::vector<ItemBatch> ofFirst = ExportStore(store.reader()).batchesOf(1); // a corrected failure
    ASSERT_EQ(ofFirst.size(), 1u);
    EXPECT_EQ(ofFirst[0].format, "openai-chat");
    EXPECT_TRUE(ExportStore(store.reader()).batchesOf(3).empty()); // uncorrected: left out
    EXPECT_EQ(test::queryInt(store.path(), "SELECT count(*) FROM export_items"), 24);
    MetricsFilter exported;
    exported.with(FilterField::Exported, "yes");
    EXPECT_EQ(InteractionStore(store.reader()).idsOf(exported, 0, 1000).size(), 24u);
    MetricsFilter notExported;
    notExported.with(FilterField::Exported, "no");
    EXPECT_EQ(InteractionStore(store.reader()).idsOf(notExported, 0, 1000).size(), 36u);

    // The same store and definition: the same bytes, manifest included.
    const std::string second = store.dir().path("batch-2");
    ASSERT_TRUE(runExport(store.reader(), *store.writer, definition, second, "trainer"));
    for (const auto& entry : fs::directory_iterator(first))
        EXPECT_EQ(test::readFile(entry.path().string()),
                  test::readFile(second + "/" + entry.path().filename().string()))
            << entry.path().filename();
    // Not yet exported: nothing left of this slice.
    definition.slice.with(FilterField::Exported, "no");
    auto again = runExport(store.reader(), *store.writer, definition, store.dir().path("batch-3"), "trainer");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->records, 0);
}

TEST(Export, TheSplitIsStratifiedKeepsSessionsWholeAndIsTheSameEveryTime)
{
    LabelledStore labelled(300);
    test::TestStore& store = labelled.store;
    ExportDefinition definition;
    definition.format = ExportFormat::TrlKto; // passes, corrections and originals: three strata of records
    definition.trainFraction = 0.8;
    definition.seed = 7;
    auto result = runExport(store.reader(), *store.writer, definition, store.dir().path("kto"), "trainer");
    ASSERT_TRUE(result) << result.error().text();
    const auto files = batchLines(store.dir().path("kto"));
    ASSERT_EQ(files.size(), 2u);
    // Every session on one side only.
    std::map<std::string, std::set<std::string>> sidesOfSession;
    for (const ExportedItem& item : ExportStore(store.reader()).items(result->batchId)) {
        const std::string session = "session-" + std::to_string((item.interactionId - 1) / 3);
        sidesOfSession[session].insert(item.split);
    }
    for (const auto& [session, sides] : sidesOfSession)
        EXPECT_EQ(sides.size(), 1u) << session << " leaks across the split";
    // Each stratum near its share (sessions of up to three interactions make the steps).
    const QJsonObject splits = object(test::readFile(store.dir().path("kto") + "/manifest.json"))
                                   .value(QStringLiteral("splits"))
                                   .toObject();
    for (const QString& stratum : {QStringLiteral("pass"), QStringLiteral("fail:incorrect or hallucinated information")}) {
        const double train = splits[QStringLiteral("train")][QStringLiteral("by_category")][stratum].toDouble();
        const double validation = splits[QStringLiteral("validation")][QStringLiteral("by_category")][stratum].toDouble();
        ASSERT_GT(train + validation, 0) << stratum.toStdString();
        EXPECT_NEAR(validation / (train + validation), 0.2, 0.06) << stratum.toStdString();
    }
    // Another seed draws another split; the same seed the same one.
    auto same = runExport(store.reader(), *store.writer, definition, store.dir().path("kto-again"), "trainer");
    ASSERT_TRUE(same);
    EXPECT_EQ(batchLines(store.dir().path("kto-again")), files);
    definition.seed = 8;
    ASSERT_TRUE(runExport(store.reader(), *store.writer, definition, store.dir().path("kto-8"), "trainer"));
    EXPECT_NE(batchLines(store.dir().path("kto-8")), files);
}

TEST(Export, NearDuplicatesAndCategoryCapsAreRemovedAndCounted)
{
    LabelledStore labelled(40, false); // the same conversation forty times
    test::TestStore& store = labelled.store;
    ExportDefinition definition;
    definition.format = ExportFormat::TrlSft;
    definition.dedupeThreshold = 0.85;
    auto deduped = runExport(store.reader(), *store.writer, definition, store.dir().path("sft"), "trainer");
    ASSERT_TRUE(deduped) << deduped.error().text();
    const QJsonObject manifest = object(deduped->manifestJson);
    // 16 fit: 8 passes, one text, and 8 corrected failures whose corrections differ by a number at
    // their end (a shingle or two of thirty): two clusters, the first of each kept.
    EXPECT_EQ(manifest.value(QStringLiteral("duplicates"))[QStringLiteral("removed")].toInt(), 14);
    EXPECT_EQ(deduped->records, 2);
    const QJsonArray clusters = manifest.value(QStringLiteral("duplicates"))[QStringLiteral("listed")].toArray();
    ASSERT_EQ(clusters.size(), 2);
    EXPECT_EQ(clusters[0][QStringLiteral("kept")].toString(), QStringLiteral("conv-0"));
    EXPECT_EQ(clusters[1][QStringLiteral("kept")].toString(), QStringLiteral("conv-1"));
    EXPECT_EQ(clusters[1][QStringLiteral("removed")].toArray().size(), 7);
    EXPECT_EQ(clusters[1][QStringLiteral("removed_count")].toInt(), 7);

    ExportDefinition capped;
    capped.format = ExportFormat::TrlSft;
    capped.maxPerCategory = 3;
    auto balanced = runExport(store.reader(), *store.writer, capped, store.dir().path("capped"), "trainer");
    ASSERT_TRUE(balanced);
    const QJsonObject removed =
        object(balanced->manifestJson).value(QStringLiteral("balance"))[QStringLiteral("removed")].toObject();
    EXPECT_EQ(removed.value(QStringLiteral("pass")).toInt(), 5);
    EXPECT_EQ(balanced->records, 3 + 3 + 3); // pass and the two failure categories
}

TEST(Export, AFailedCheckOrACancelLeavesNoFolderAndNoBatch)
{
    LabelledStore labelled(10);
    test::TestStore& store = labelled.store;
    // A redacting rule whose token it finds itself: redaction cannot make the text clean, and the
    // post-check must catch it (here in the corrected answer, a value with a key after it).
    RulePack pack = draftPack(store.reader()).take();
    Rule leaky;
    leaky.id = "custom.shipping";
    leaky.title = "Shipping news";
    leaky.detector.pattern = R"(shipped \w+)";
    leaky.action = RuleAction::Redact;
    leaky.redactToken = "shipped REDACTED";
    leaky.mustMatch = {"shipped and"};
    pack.rules.push_back(leaky);
    ASSERT_TRUE(publishPack(store.reader(), *store.writer, pack, "owner", "leaky token"));
    ExportDefinition definition;
    definition.format = ExportFormat::OpenAiChat;
    definition.redact = true;
    definition.weights = true;
    const std::string out = store.dir().path("leaky");
    auto failed = runExport(store.reader(), *store.writer, definition, out, "trainer");
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().text().find("redaction post-check: rule custom.shipping"), std::string::npos)
        << failed.error().text();
    EXPECT_NE(failed.error().text().find("data.jsonl:1"), std::string::npos) << failed.error().text();
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(out + ".partial"));
    EXPECT_TRUE(ExportStore(store.reader()).batches().empty());

    std::atomic<bool> cancel{true};
    definition.redact = false;
    auto cancelled = runExport(store.reader(), *store.writer, definition, out, "trainer", {}, &cancel);
    ASSERT_FALSE(cancelled);
    EXPECT_NE(cancelled.error().text().find("cancelled"), std::string::npos);
    EXPECT_FALSE(fs::exists(out));
    EXPECT_TRUE(ExportStore(store.reader()).batches().empty());

    // A folder named with a trailing slash is that folder.
    auto slashed = runExport(store.reader(), *store.writer, definition, store.dir().path("slashed") + "/", "trainer");
    ASSERT_TRUE(slashed) << slashed.error().text();
    EXPECT_TRUE(fs::exists(store.dir().path("slashed") + "/data.jsonl"));
    EXPECT_FALSE(fs::exists(store.dir().path("slashed") + "/.partial"));

    // A folder with something in it is never written into.
    fs::create_directories(store.dir().path("taken"));
    store.dir().write("taken/readme.txt", "mine");
    auto taken = runExport(store.reader(), *store.writer, definition, store.dir().path("taken"), "trainer");
    ASSERT_FALSE(taken);
    EXPECT_NE(taken.error().text().find("not empty"), std::string::npos);
    EXPECT_EQ(test::readFile(store.dir().path("taken/readme.txt")), "mine");
}

TEST(Export, TheLiveCountAndPreviewAgreeWithTheBatch)
{
    LabelledStore labelled(25);
    test::TestStore& store = labelled.store;
    ExportDefinition definition;
    definition.format = ExportFormat::TrlKto;
    const ExportCount count = countExport(store.reader(), definition).take();
    EXPECT_EQ(count.slice, 25);
    EXPECT_EQ(count.fitting, 15); // 5 corrected, 5 uncorrected failures, 5 passes
    EXPECT_EQ(count.records, 20); // a corrected failure gives two
    EXPECT_EQ(count.leftOut.at("no_label"), 5);
    const std::vector<std::string> preview = previewExport(store.reader(), definition, 3).take();
    ASSERT_EQ(preview.size(), 3u);
    auto result = runExport(store.reader(), *store.writer, definition, store.dir().path("kto"), "trainer");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->records, count.records);
    const auto lines = batchLines(store.dir().path("kto")).at("data.jsonl");
    EXPECT_EQ(std::vector<std::string>(lines.begin(), lines.begin() + 3), preview);
}

TEST(Export, AStoreOfTheVersionBeforeExportsIsUpgraded)
{
    test::TempDir dir;
    const std::string path = dir.path("old.db");
    {
        test::TestStore store(path);
        store.write({orderConversation("a")});
    }
    test::downgradeToSchema(path, 8);
    test::TestStore store(path);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM export_batches"), 0);
    EXPECT_EQ(store.queryInt("PRAGMA user_version"), latestSchemaVersion());
}

// Hygiene: whatever the logged texts, labels and categories hold ("../", slashes, NULs), an export
// writes inside the folder it was given and nowhere else; its files have names of its own.
TEST(Export, WritesOnlyInsideItsFolder)
{
    LabelledStore labelled(40);
    test::TestStore& store = labelled.store;
    const std::filesystem::path root = store.dir().path("");
    auto everything = [&root] {
        std::set<std::string> files;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
            if (entry.is_regular_file())
                files.insert(std::filesystem::relative(entry.path(), root).string());
        return files;
    };
    const std::set<std::string> before = everything();
    std::filesystem::create_directory(root / "out");
    for (const ExportFormat format : {ExportFormat::OpenAiChat, ExportFormat::Csv, ExportFormat::TrlKto}) {
        ExportDefinition definition;
        definition.format = format;
        definition.trainFraction = 0.5;
        definition.includeUnreviewed = true;
        const std::string folder = store.dir().path("out/" + std::to_string(int(format)));
        ASSERT_TRUE(runExport(store.reader(), *store.writer, definition, folder, "trainer"));
    }
    int written = 0;
    for (const std::string& file : everything()) {
        if (before.count(file) || file.rfind("store.db", 0) == 0)
            continue; // the store, its WAL and search index
        ++written;
        EXPECT_EQ(file.rfind("out/", 0), 0u) << file;
        const std::string name = std::filesystem::path(file).filename().string();
        EXPECT_TRUE(name == "manifest.json" || name.rfind("train.", 0) == 0 || name.rfind("validation.", 0) == 0 ||
                    name.rfind("data.", 0) == 0)
            << file;
    }
    EXPECT_GE(written, 9); // three batches: a manifest and two splits each
}
