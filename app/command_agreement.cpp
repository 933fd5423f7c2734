// winnow agreement: how far reviewers agree on a queue's labels.

#include "app/command.h"
#include "app/render.h"

#include "core/review/review.h"
#include "core/store/database.h"

#include <QJsonArray>

#include <cstdio>
#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {
struct AgreementArguments
{
    std::string queue;
    std::uint64_t seed = 1;
};

QJsonObject agreementJson(const std::optional<Agreement>& agreement, const std::string& error)
{
    if (!agreement)
        return {{QStringLiteral("error"), q(error)}};
    QJsonObject json{{QStringLiteral("items"), static_cast<qint64>(agreement->items)},
                     {QStringLiteral("pairable"), static_cast<qint64>(agreement->pairable)},
                     {QStringLiteral("percent"), agreement->percent},
                     {QStringLiteral("krippendorff_alpha"), agreement->alpha},
                     {QStringLiteral("alpha_low"), agreement->alphaLow},
                     {QStringLiteral("alpha_high"), agreement->alphaHigh}};
    if (agreement->cohenKappa)
        json.insert(QStringLiteral("cohen_kappa"), *agreement->cohenKappa);
    if (agreement->fleissKappa)
        json.insert(QStringLiteral("fleiss_kappa"), *agreement->fleissKappa);
    return json;
}

std::string number(const std::optional<double>& value)
{
    if (!value)
        return "-";
    char text[16];
    std::snprintf(text, sizeof text, "%.3f", *value);
    return text;
}

void addRow(TextTable& table, const std::string& what, const std::optional<Agreement>& agreement,
            const std::string& error)
{
    if (!agreement) {
        table.add({what, "-", "-", "-", "-", error});
        return;
    }
    char alpha[64];
    std::snprintf(alpha, sizeof alpha, "%.3f (%.3f-%.3f)", agreement->alpha, agreement->alphaLow,
                  agreement->alphaHigh);
    table.add({what, std::to_string(agreement->items), number(agreement->percent),
               number(agreement->cohenKappa), number(agreement->fleissKappa), alpha});
}
} // namespace

Runner defineAgreement(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<AgreementArguments>();
    command.description(
        "Agreement between reviewers on submitted labels (of a queue's items, or all): for the verdict and "
        "the primary category (nominal) and the severity (ordinal), and for each category as present or "
        "absent: items rated by two or more, percent agreement, Cohen's kappa (exactly two reviewers), "
        "Fleiss' kappa (the same number of labels on every item), Krippendorff's alpha with a bootstrap 95% "
        "interval over items (seeded). Items labelled once are ignored.");
    command.add_option("--queue", a->queue, "Only this queue's items")->type_name("NAME");
    command.add_option("--seed", a->seed, "The bootstrap's seed (default 1)");
    setExamples(command, {"winnow agreement --queue weekly-sample", "winnow --json agreement"});
    return [&context, a]() -> int {
        const auto reader = openReader(context);
        const std::optional<std::int64_t> queueId = queueOption(*reader, a->queue);
        const QueueAgreement measured = measureQueueAgreement(*reader, queueId, a->seed);
        if (context.json) {
            QJsonObject categories;
            for (const auto& category : measured.categories)
                categories.insert(q(category.name), agreementJson(category.agreement, category.error));
            printJson({{QStringLiteral("verdict"), agreementJson(measured.verdict, measured.verdictError)},
                       {QStringLiteral("primary_category"),
                        agreementJson(measured.primaryCategory, measured.primaryCategoryError)},
                       {QStringLiteral("severity"), agreementJson(measured.severity, measured.severityError)},
                       {QStringLiteral("categories"), categories}});
            return measured.verdict ? exitOk : exitFailed;
        }
        TextTable table({"variable", "items", "percent", "Cohen", "Fleiss", "alpha (95%)"});
        addRow(table, "verdict", measured.verdict, measured.verdictError);
        addRow(table, "primary category", measured.primaryCategory, measured.primaryCategoryError);
        addRow(table, "severity (ordinal)", measured.severity, measured.severityError);
        for (const auto& category : measured.categories)
            addRow(table, category.name, category.agreement, category.error);
        table.print(std::cout);
        if (!measured.verdict) {
            std::cerr << "winnow: " << measured.verdictError << "\n";
            return exitFailed;
        }
        return exitOk;
    };
}

} // namespace winnow::cli
