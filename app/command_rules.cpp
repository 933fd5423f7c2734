// winnow rules: guardrail rules as versions, tried on text, published, approved, re-run and
// exchanged as rule packs.

#include "app/command.h"
#include "app/render.h"

#include "core/rules/backtest.h"
#include "core/rules/rules.h"
#include "core/rules/suggest.h"
#include "core/store/database.h"
#include "core/store/settings_store.h"
#include "core/store/store_writer.h"

#include <QDateTime>
#include <QJsonArray>

#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

namespace winnow::cli {

namespace {

struct RulesArguments
{
    std::string pack, pattern, text, input, out, comment, reason, file, from, to, category, add, approval;
    std::vector<std::string> where;
    std::int64_t version = 0;
    std::vector<std::int64_t> versions;
    bool caseSensitive = false, wholeWord = false, draft = false, publish = false;
};

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw UsageError{"cannot read " + path};
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

RulePack packFile(const std::string& path)
{
    auto pack = parseRulePack(readFile(path));
    if (!pack)
        throw CommandFailed{Error{path + ": " + pack.error().message, {}}};
    if (Status checked = checkRulePack(*pack); !checked)
        throw CommandFailed{Error{path + ": " + checked.error().message, {}}};
    return *pack;
}

RulePack storedPack(const Context& context, std::int64_t number)
{
    auto pack = versionPack(*openReader(context), number);
    if (!pack)
        throw CommandFailed{pack.error()};
    return *pack;
}

std::string when(std::int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC)
        .toString(QStringLiteral("yyyy-MM-dd HH:mm"))
        .toStdString();
}

void printPublished(const Context& context, const PublishResult& result)
{
    if (context.json)
        printJson({{QStringLiteral("version"), static_cast<qint64>(result.version)},
                   {QStringLiteral("state"), QString::fromLatin1(ruleVersionStateName(result.state))}});
    else if (result.state == RuleVersionState::Pending)
        std::cout << "rules version " << result.version
                  << " waits for an approver other than its author (winnow rules approve " << result.version
                  << ")\n";
    else
        std::cout << "rules version " << result.version
                  << " published; new interactions get its hits (winnow rules run re-runs it over the stored "
                     "ones)\n";
}

} // namespace

Runner defineRules(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<RulesArguments>();
    command.description(
        "Guardrail rules: immutable numbered versions (a new store has version 1: personal data, secrets and "
        "a "
        "few patterns, all monitoring). The applied version runs at ingest and its hits are stored with "
        "their "
        "interactions (rule=ID is a slice, guardrail a rate). A rule pack is the engine-neutral JSON of one "
        "version (see the README).");
    CLI::App* list =
        command.add_subcommand("list", "The versions, and the applied version's rules with their hits");
    CLI::App* show = command.add_subcommand("show", "A version's rule pack (the applied one by default)");
    show->add_option("--version", a->version, "This version")->type_name("N");
    show->add_flag("--draft", a->draft, "The working draft");
    CLI::App* test =
        command.add_subcommand("test", "The hits in a text: of a pack, a version, or one pattern");
    auto* packOption = test->add_option("--pack", a->pack, "Rules of this pack file")->type_name("FILE");
    auto* versionOption =
        test->add_option("--version", a->version, "Rules of this stored version")->type_name("N");
    auto* patternOption = test->add_option("--pattern", a->pattern, "One RE2 pattern")->type_name("RE2");
    packOption->excludes(versionOption)->excludes(patternOption);
    versionOption->excludes(patternOption);
    test->add_flag("--case-sensitive", a->caseSensitive, "--pattern: match case")->needs(patternOption);
    test->add_flag("--whole-word", a->wholeWord, "--pattern: whole words only")->needs(patternOption);
    auto* textOption = test->add_option("--text", a->text, "The text")->type_name("TEXT");
    auto* inputOption =
        test->add_option("--input", a->input, "A file: each line one text")->type_name("FILE");
    textOption->excludes(inputOption);
    CLI::App* backtestCommand = command.add_subcommand(
        "backtest", "What rules would have caught in the stored history, against the labels");
    backtestCommand->add_option("--pack", a->pack, "Rules of this pack file")->type_name("FILE");
    backtestCommand->add_option("--version", a->version, "Rules of this stored version")->type_name("N");
    backtestCommand->add_flag("--draft", a->draft, "The working draft");
    backtestCommand->add_option("--from", a->from, "From this time")->type_name("TIME");
    backtestCommand->add_option("--to", a->to, "Up to this time")->type_name("TIME");
    repeatable(
        backtestCommand->add_option("--where", a->where, "FIELD=VALUE (repeatable), as in winnow metrics"))
        ->type_name("FIELD=VALUE");
    CLI::App* suggest = command.add_subcommand(
        "suggest",
        "Rules proposed from a category's labelled failures, each with its backtest; new error types");
    suggest->add_option("--category", a->category, "The review category")->required();
    suggest->add_option("--from", a->from, "From this time")->type_name("TIME");
    suggest->add_option("--to", a->to, "Up to this time")->type_name("TIME");
    repeatable(suggest->add_option("--where", a->where, "FIELD=VALUE (repeatable), as in winnow metrics"))
        ->type_name("FIELD=VALUE");
    suggest->add_option("--add", a->add, "Add this suggested rule (its id) to the draft")->type_name("ID");
    CLI::App* publish = command.add_subcommand("publish", "Make the draft, or a pack file, a new version");
    publish->add_option("--pack", a->pack, "Publish this pack file instead of the draft")->type_name("FILE");
    publish->add_option("--comment", a->comment, "What changed and why")->type_name("TEXT");
    CLI::App* policy =
        command.add_subcommand("policy", "Whether a version needs an approver other than its author");
    policy->add_option("--need-approval", a->approval, "yes or no")->check(CLI::IsMember({"yes", "no"}));
    CLI::App* approve =
        command.add_subcommand("approve", "Approve a pending version (someone other than its author)");
    approve->add_option("version", a->version, "The version")->required();
    CLI::App* reject = command.add_subcommand("reject", "Reject a pending version, saying why");
    reject->add_option("version", a->version, "The version")->required();
    reject->add_option("--reason", a->reason, "Why")->required();
    CLI::App* rollback = command.add_subcommand("rollback", "Publish an old version's rules again");
    rollback->add_option("version", a->version, "The old version")->required();
    CLI::App* diff = command.add_subcommand("diff", "What changed between two versions, rule by rule");
    diff->add_option("versions", a->versions, "FROM TO")->expected(2)->required();
    CLI::App* run =
        command.add_subcommand("run", "Re-run a version (the applied one) over every stored interaction");
    run->add_option("--version", a->version, "This version")->type_name("N");
    CLI::App* exported = command.add_subcommand("export", "Write a version as a rule pack");
    exported->add_option("--version", a->version, "The version (the applied one by default)")->type_name("N");
    exported->add_option("--out", a->out, "FILE.json")->required();
    CLI::App* imported = command.add_subcommand("import", "Check a rule pack and make it the working draft");
    imported->add_option("file", a->file, "FILE.json")->required();
    imported->add_flag("--publish", a->publish, "Publish it at once");
    imported->add_option("--comment", a->comment, "With --publish: what changed and why")->type_name("TEXT");
    command.require_subcommand(1);
    for (CLI::App* sub : {list, show, test, backtestCommand, suggest, policy, publish, approve, reject,
                          rollback, diff, run, exported, imported})
        sub->fallthrough();
    setExamples(command,
                {"winnow rules list",
                 "winnow rules test --version 1 --text \"card 4111 1111 1111 1111\" --json",
                 "winnow rules test --pattern \"refund(ed)?\" --input answers.txt",
                 "winnow rules export --out rules-v1.json",
                 "winnow --reviewer ana rules import rules.json --publish --comment \"enforce email\"",
                 "winnow --reviewer ben rules approve 3", "winnow rules run",
                 "winnow rules backtest --draft --from 2026-11-01 --where agent=support-bot --json"});

    return [&context, a, list, show, test, backtestCommand, suggest, policy, publish, approve, reject,
            rollback, diff, run, exported, imported]() -> int {
        if (policy->parsed()) {
            if (!a->approval.empty()) {
                const std::int64_t need = a->approval == "yes" ? 1 : 0;
                Status set =
                    openWriter(context)->write(WritePriority::Interactive, [need](WriteTransaction& tx) {
                        SettingsStore(tx.database()).set(storeSettings::rulesNeedApproval, need);
                        tx.changed(StoreChange::Settings);
                    });
                if (!set)
                    throw CommandFailed{set.error()};
            }
            const bool needs = SettingsStore(*openReader(context)).get(storeSettings::rulesNeedApproval) != 0;
            if (context.json)
                printJson({{QStringLiteral("need_approval"), needs}});
            else
                std::cout << (needs
                                  ? "a version is published once someone other than its author approves it\n"
                                  : "a version is published by its author\n");
            return exitOk;
        }
        if (suggest->parsed()) {
            const MetricsFilter slice = parseFilterOptions(a->from, a->to, a->where);
            const auto reader = openReader(context);
            auto found = suggestRules(*reader, a->category, slice);
            if (!found)
                throw CommandFailed{found.error()};
            if (!a->add.empty()) {
                const auto chosen =
                    std::find_if(found->rules.begin(), found->rules.end(),
                                 [&](const RuleSuggestion& s) { return s.rule.id == a->add; });
                if (chosen == found->rules.end())
                    throw UsageError{"no suggestion " + a->add +
                                     " (winnow rules suggest --category ... lists them)"};
                auto draft = draftPack(*reader);
                if (!draft)
                    throw CommandFailed{draft.error()};
                draft->rules.push_back(chosen->rule);
                if (Status saved = saveDraftPack(*openWriter(context), *draft, context.reviewerName());
                    !saved)
                    throw CommandFailed{saved.error()};
                std::cout << "the draft now holds " << a->add
                          << " (winnow rules publish makes it a version)\n";
                return exitOk;
            }
            auto rateJson = [](const RateEstimate& r) {
                return QJsonObject{{QStringLiteral("value"), r.value},
                                   {QStringLiteral("low"), r.low},
                                   {QStringLiteral("high"), r.high},
                                   {QStringLiteral("hits"), static_cast<qint64>(r.hits)},
                                   {QStringLiteral("n"), static_cast<qint64>(r.n)}};
            };
            if (context.json) {
                QJsonArray list, types;
                for (const RuleSuggestion& s : found->rules) {
                    QJsonObject entry{
                        {QStringLiteral("id"), q(s.rule.id)},
                        {QStringLiteral("kind"), QString::fromLatin1(detectorKindName(s.rule.detector.kind))},
                        {QStringLiteral("title"), q(s.rule.title)},
                        {QStringLiteral("why"), q(s.why)},
                        {QStringLiteral("failures_hit"), static_cast<qint64>(s.failuresHit)},
                        {QStringLiteral("others_hit"), static_cast<qint64>(s.othersHit)},
                        {QStringLiteral("lift"), s.lift}};
                    if (s.backtest)
                        entry.insert(
                            QStringLiteral("backtest"),
                            QJsonObject{{QStringLiteral("hits"), static_cast<qint64>(s.backtest->hits)},
                                        {QStringLiteral("precision"), rateJson(s.backtest->precision)},
                                        {QStringLiteral("recall"), rateJson(s.backtest->recall)}});
                    list.append(entry);
                }
                for (const NewErrorType& t : found->newErrorTypes) {
                    QJsonArray ids;
                    for (const std::int64_t id : t.interactions)
                        ids.append(static_cast<qint64>(id));
                    types.append(QJsonObject{{QStringLiteral("phrase"), q(t.phrase)},
                                             {QStringLiteral("recent"), static_cast<qint64>(t.recent)},
                                             {QStringLiteral("before"), static_cast<qint64>(t.before)},
                                             {QStringLiteral("interactions"), ids}});
                }
                printJson({{QStringLiteral("category"), q(found->category)},
                           {QStringLiteral("failures"), static_cast<qint64>(found->failures)},
                           {QStringLiteral("others"), static_cast<qint64>(found->others)},
                           {QStringLiteral("suggestions"), list},
                           {QStringLiteral("new_error_types"), types}});
                return exitOk;
            }
            std::cout << found->failures << " failures labelled " << found->category << ", against "
                      << found->others << " others\n\n";
            if (found->rules.empty())
                std::cout << "no phrase, tool or figure separates them well enough\n";
            for (const RuleSuggestion& s : found->rules) {
                std::cout << s.rule.id << " (" << detectorKindName(s.rule.detector.kind) << "): " << s.why
                          << "\n";
                if (s.backtest)
                    std::cout << "  backtest: " << s.backtest->hits << " hits; precision "
                              << s.backtest->precision.hits << "/" << s.backtest->precision.n << ", recall "
                              << s.backtest->recall.hits << "/" << s.backtest->recall.n << "\n";
            }
            if (!found->newErrorTypes.empty()) {
                std::cout << "\nnew error types (recent failures, rare before):\n";
                for (const NewErrorType& t : found->newErrorTypes)
                    std::cout << "  \"" << t.phrase << "\": " << t.recent << " recent, " << t.before
                              << " before\n";
            }
            return exitOk;
        }
        if (backtestCommand->parsed()) {
            const MetricsFilter slice = parseFilterOptions(a->from, a->to, a->where);
            const auto reader = openReader(context);
            RulePack pack;
            if (!a->pack.empty())
                pack = packFile(a->pack);
            else if (a->draft) {
                auto draft = draftPack(*reader);
                if (!draft)
                    throw CommandFailed{draft.error()};
                pack = *draft;
            } else
                pack = storedPack(context, a->version
                                               ? a->version
                                               : RuleStore(*reader).applied().value_or(RuleVersion{}).number);
            stopOnInterrupt();
            auto report = backtest(*reader, pack.rules, slice, {}, &interrupted());
            if (!report)
                throw CommandFailed{report.error()};
            if (context.json) {
                std::cout << backtestJson(*report) << "\n";
                return exitOk;
            }
            auto percent = [](double v) {
                char text[16];
                std::snprintf(text, sizeof text, "%.1f%%", v * 100);
                return std::string(text);
            };
            auto rate = [&](const RateEstimate& r) {
                return r.n == 0
                           ? std::string("-")
                           : percent(r.value) + " (" + std::to_string(r.hits) + "/" + std::to_string(r.n) +
                                 ", " + percent(r.low) + "-" + percent(r.high) + ")";
            };
            std::cout << report->scanned << " interactions, " << double(report->bytes) / 1e6
                      << " MB of text in " << report->seconds << " s"
                      << (report->comparedWith
                              ? ", compared with the stored hits of version " +
                                    std::to_string(*report->comparedWith)
                              : std::string(
                                    ", the stored hits are not all of one version: no new or lost hits"))
                      << (report->cancelled ? " (interrupted)" : "") << "\n\n";
            TextTable table({"rule", "hits", "hit rate", "new", "lost", "precision (fail of reviewed hits)",
                             "recall (hit of labelled failures)"});
            for (const RuleBacktest& b : report->rules)
                table.add({b.ruleId, std::to_string(b.hits), percent(b.hitRate.value),
                           report->comparedWith ? std::to_string(b.newHits) : "-",
                           report->comparedWith ? std::to_string(b.lostHits) : "-", rate(b.precision),
                           rate(b.recall)});
            table.print(std::cout);
            return exitOk;
        }
        if (test->parsed()) {
            std::vector<Rule> rules;
            if (!a->pattern.empty()) {
                Rule r;
                r.id = "pattern";
                r.title = "pattern";
                r.detector.pattern = a->pattern;
                r.detector.caseSensitive = a->caseSensitive;
                r.detector.wholeWord = a->wholeWord;
                if (const auto problems = ruleProblems(r); !problems.empty())
                    throw UsageError{"--pattern: " +
                                     problems.front().substr(problems.front().find(": ") + 2)};
                rules.push_back(r);
            } else if (!a->pack.empty()) {
                rules = packFile(a->pack).rules;
            } else {
                const std::int64_t number =
                    a->version ? a->version
                               : RuleStore(*openReader(context)).applied().value_or(RuleVersion{}).number;
                rules = storedPack(context, number).rules;
            }
            if (a->text.empty() && a->input.empty())
                throw UsageError{"give the text: --text TEXT or --input FILE"};
            auto engine = RuleEngine::compile(rules, a->version);
            if (!engine)
                throw CommandFailed{engine.error()};
            std::vector<std::string> lines;
            if (!a->input.empty()) {
                std::istringstream in(a->input == "-"
                                          ? std::string(std::istreambuf_iterator<char>(std::cin), {})
                                          : readFile(a->input));
                for (std::string line; std::getline(in, line);)
                    lines.push_back(line);
            } else {
                lines.push_back(a->text);
            }
            QJsonArray results;
            std::int64_t total = 0;
            for (size_t i = 0; i < lines.size(); ++i) {
                const std::string& text = lines[i];
                QJsonArray hits;
                for (const TextHit& hit : (*engine)->scanText(text)) {
                    const std::string matched = text.substr(hit.bytes.begin, hit.bytes.end - hit.bytes.begin);
                    const std::string& id = (*engine)->rules()[hit.rule].id;
                    ++total;
                    if (context.json)
                        hits.append(QJsonObject{{QStringLiteral("rule"), q(id)},
                                                {QStringLiteral("start"), static_cast<qint64>(hit.start)},
                                                {QStringLiteral("end"), static_cast<qint64>(hit.end)},
                                                {QStringLiteral("text"), q(matched)}});
                    else
                        std::cout << (lines.size() > 1 ? std::to_string(i + 1) + ": " : std::string()) << id
                                  << " " << hit.start << "-" << hit.end << " " << matched << "\n";
                }
                results.append(QJsonObject{{QStringLiteral("line"), static_cast<qint64>(i + 1)},
                                           {QStringLiteral("hits"), hits}});
            }
            if (context.json)
                printJson({{QStringLiteral("results"), results}});
            else if (total == 0)
                std::cout << "no hits\n";
            return exitOk;
        }
        if (list->parsed()) {
            const auto reader = openReader(context);
            RuleStore store(*reader);
            const std::vector<RuleVersion> versions = store.versions();
            const std::optional<RuleVersion> applied = store.applied();
            const std::optional<std::int64_t> scanned = store.scannedVersion();
            std::map<std::string, std::int64_t> hits;
            for (const auto& [id, count] : store.hitCounts())
                hits[id] = count;
            std::vector<Rule> rules;
            if (applied) {
                auto pack = versionPack(*reader, applied->number);
                if (!pack)
                    throw CommandFailed{pack.error()};
                rules = pack->rules;
            }
            if (context.json) {
                QJsonArray versionList, ruleList;
                for (const RuleVersion& v : versions)
                    versionList.append(QJsonObject{
                        {QStringLiteral("version"), static_cast<qint64>(v.number)},
                        {QStringLiteral("state"), QString::fromLatin1(ruleVersionStateName(v.state))},
                        {QStringLiteral("author"), q(v.author)},
                        {QStringLiteral("created_at"), q(when(v.createdMs))},
                        {QStringLiteral("comment"), q(v.comment)}});
                for (const Rule& r : rules)
                    ruleList.append(QJsonObject{
                        {QStringLiteral("id"), q(r.id)},
                        {QStringLiteral("title"), q(r.title)},
                        {QStringLiteral("kind"), QString::fromLatin1(detectorKindName(r.detector.kind))},
                        {QStringLiteral("status"), QString::fromLatin1(ruleStatusName(r.status))},
                        {QStringLiteral("severity"), QString::fromLatin1(ruleSeverityName(r.severity))},
                        {QStringLiteral("action"), QString::fromLatin1(ruleActionName(r.action))},
                        {QStringLiteral("category"), q(r.category)},
                        {QStringLiteral("hits"), static_cast<qint64>(hits[r.id])}});
                QJsonObject out{{QStringLiteral("versions"), versionList},
                                {QStringLiteral("rules"), ruleList}};
                out.insert(QStringLiteral("applied"),
                           applied ? QJsonValue(static_cast<qint64>(applied->number)) : QJsonValue());
                out.insert(QStringLiteral("scanned"),
                           scanned ? QJsonValue(static_cast<qint64>(*scanned)) : QJsonValue());
                printJson(out);
                return exitOk;
            }
            TextTable versionTable({"version", "state", "author", "created", "comment"});
            for (const RuleVersion& v : versions)
                versionTable.add(
                    {std::to_string(v.number) + (applied && applied->number == v.number ? " *" : ""),
                     ruleVersionStateName(v.state), v.author, when(v.createdMs), v.comment});
            versionTable.print(std::cout);
            if (applied && scanned != applied->number)
                std::cout << "\nThe stored interactions do not all have version " << applied->number
                          << "'s hits: winnow rules run\n";
            std::cout << "\n";
            TextTable ruleTable({"rule", "kind", "detects", "status", "severity", "action", "hits"});
            for (const Rule& r : rules)
                ruleTable.add({r.id, detectorKindName(r.detector.kind),
                               q(detectorSummary(r)).left(40).toStdString(), ruleStatusName(r.status),
                               ruleSeverityName(r.severity), ruleActionName(r.action),
                               std::to_string(hits[r.id])});
            ruleTable.print(std::cout);
            return exitOk;
        }
        if (show->parsed() || exported->parsed()) {
            const auto reader = openReader(context);
            RulePack pack;
            if (a->draft) {
                auto draft = draftPack(*reader);
                if (!draft)
                    throw CommandFailed{draft.error()};
                pack = *draft;
            } else {
                const std::int64_t number =
                    a->version ? a->version : RuleStore(*reader).applied().value_or(RuleVersion{}).number;
                pack = storedPack(context, number);
            }
            const std::string json = rulePackJson(pack);
            if (show->parsed()) {
                std::cout << json;
                return exitOk;
            }
            std::ofstream out(a->out, std::ios::binary);
            if (!out || !(out << json) || !out.flush())
                throw CommandFailed{Error{"cannot write " + a->out, {}}};
            if (context.json)
                printJson({{QStringLiteral("version"), static_cast<qint64>(pack.version)},
                           {QStringLiteral("rules"), static_cast<qint64>(pack.rules.size())},
                           {QStringLiteral("out"), q(a->out)}});
            else
                std::cout << "wrote version " << pack.version << " (" << pack.rules.size() << " rules) to "
                          << a->out << "\n";
            return exitOk;
        }
        if (diff->parsed()) {
            const RulePack from = storedPack(context, a->versions.at(0));
            const RulePack to = storedPack(context, a->versions.at(1));
            const std::vector<RuleChange> changes = diffPacks(from, to);
            const char* kinds[] = {"added", "removed", "changed"};
            if (context.json) {
                QJsonArray list;
                for (const RuleChange& c : changes) {
                    QJsonArray fields;
                    for (const std::string& f : c.fields)
                        fields.append(q(f));
                    list.append(
                        QJsonObject{{QStringLiteral("rule"), q(c.ruleId)},
                                    {QStringLiteral("change"), QString::fromLatin1(kinds[int(c.kind)])},
                                    {QStringLiteral("fields"), fields}});
                }
                printJson({{QStringLiteral("changes"), list}});
                return exitOk;
            }
            if (changes.empty())
                std::cout << "the same rules\n";
            for (const RuleChange& c : changes) {
                std::string fields;
                for (const std::string& f : c.fields)
                    fields += (fields.empty() ? " (" : ", ") + f;
                std::cout << kinds[int(c.kind)] << " " << c.ruleId << (fields.empty() ? "" : fields + ")")
                          << "\n";
            }
            return exitOk;
        }
        if (run->parsed()) {
            const auto reader = openReader(context);
            auto writer = openWriter(context);
            stopOnInterrupt();
            auto summary = runRules(
                *reader, *writer, a->version ? std::optional(a->version) : std::nullopt,
                [](std::int64_t done, std::int64_t total) {
                    std::cerr << "\r" << done << " of " << total << " interactions" << std::flush;
                },
                &interrupted());
            std::cerr << "\n";
            if (!summary)
                throw CommandFailed{summary.error()};
            if (context.json)
                printJson({{QStringLiteral("version"), static_cast<qint64>(summary->version)},
                           {QStringLiteral("interactions"), static_cast<qint64>(summary->interactions)},
                           {QStringLiteral("with_hits"), static_cast<qint64>(summary->withHits)},
                           {QStringLiteral("hits"), static_cast<qint64>(summary->hits)},
                           {QStringLiteral("cancelled"), summary->cancelled}});
            else
                std::cout << "version " << summary->version << " over " << summary->interactions
                          << " interactions: " << summary->hits << " hits in " << summary->withHits
                          << " of them"
                          << (summary->cancelled ? " (interrupted: run it again to finish)" : "") << "\n";
            return summary->cancelled ? exitFailed : exitOk;
        }
        if (imported->parsed()) {
            const RulePack pack = packFile(a->file);
            auto writer = openWriter(context);
            if (a->publish) {
                auto published =
                    publishPack(*openReader(context), *writer, pack, context.reviewerName(), a->comment);
                if (!published)
                    throw CommandFailed{published.error()};
                printPublished(context, *published);
                return exitOk;
            }
            if (Status saved = saveDraftPack(*writer, pack, context.reviewerName()); !saved)
                throw CommandFailed{saved.error()};
            if (context.json)
                printJson({{QStringLiteral("draft"), true},
                           {QStringLiteral("rules"), static_cast<qint64>(pack.rules.size())}});
            else
                std::cout << "the draft holds the pack's " << pack.rules.size()
                          << " rules (winnow rules publish makes it a version)\n";
            return exitOk;
        }
        const auto reader = openReader(context);
        auto writer = openWriter(context);
        if (publish->parsed()) {
            RulePack pack;
            if (!a->pack.empty()) {
                pack = packFile(a->pack);
            } else {
                if (!RuleStore(*reader).draft())
                    throw CommandFailed{
                        Error{"there is no draft to publish (winnow rules import FILE, or --pack FILE)", {}}};
                auto draft = draftPack(*reader);
                if (!draft)
                    throw CommandFailed{draft.error()};
                pack = *draft;
            }
            auto published = publishPack(*reader, *writer, pack, context.reviewerName(), a->comment);
            if (!published)
                throw CommandFailed{published.error()};
            printPublished(context, *published);
            return exitOk;
        }
        if (rollback->parsed()) {
            auto published = rollBackTo(*reader, *writer, a->version, context.reviewerName());
            if (!published)
                throw CommandFailed{published.error()};
            printPublished(context, *published);
            return exitOk;
        }
        const bool approving = approve->parsed();
        Status done = approving
                          ? approveVersion(*reader, *writer, a->version, context.reviewerName())
                          : rejectVersion(*reader, *writer, a->version, context.reviewerName(), a->reason);
        if (!done)
            throw CommandFailed{done.error()};
        if (context.json)
            printJson({{QStringLiteral("version"), static_cast<qint64>(a->version)},
                       {QStringLiteral("state"),
                        approving ? QStringLiteral("published") : QStringLiteral("rejected")}});
        else
            std::cout << "rules version " << a->version
                      << (approving ? " approved and published\n" : " rejected\n");
        return exitOk;
    };
}

} // namespace winnow::cli
