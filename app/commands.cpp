// The command table: every subcommand of `winnow`, one file each.

#include "app/command.h"

namespace winnow::cli {

Runner defineIngest(CLI::App&, const Context&);
Runner defineIndex(CLI::App&, const Context&);
Runner defineCheck(CLI::App&, const Context&);
Runner defineDemo(CLI::App&, const Context&);
Runner defineStats(CLI::App&, const Context&);
Runner defineSources(CLI::App&, const Context&);
Runner defineQuarantine(CLI::App&, const Context&);
Runner defineMetrics(CLI::App&, const Context&);
Runner defineSignals(CLI::App&, const Context&);
Runner defineScores(CLI::App&, const Context&);
Runner defineFeedback(CLI::App&, const Context&);
Runner definePrices(CLI::App&, const Context&);
Runner defineDelete(CLI::App&, const Context&);
Runner defineRetention(CLI::App&, const Context&);
Runner defineProfile(CLI::App&, const Context&);
Runner defineServe(CLI::App&, const Context&);
Runner defineScreenshot(CLI::App&, const Context&);
Runner defineQueue(CLI::App&, const Context&);
Runner defineLabels(CLI::App&, const Context&);
Runner defineAgreement(CLI::App&, const Context&);
Runner defineTaxonomy(CLI::App&, const Context&);
Runner defineAdjudicate(CLI::App&, const Context&);
Runner defineRules(CLI::App&, const Context&);
Runner defineExport(CLI::App&, const Context&);
Runner defineBatches(CLI::App&, const Context&);
Runner defineMonitors(CLI::App&, const Context&);
Runner defineTriggers(CLI::App&, const Context&);

const std::vector<CommandSpec>& commands()
{
    static const std::vector<CommandSpec> table = {
        {"ingest", defineIngest},
        {"index", defineIndex},
        {"check", defineCheck},
        {"demo", defineDemo},
        {"stats", defineStats},
        {"sources", defineSources},
        {"quarantine", defineQuarantine},
        {"metrics", defineMetrics},
        {"signals", defineSignals},
        {"scores", defineScores},
        {"feedback", defineFeedback},
        {"prices", definePrices},
        {"delete", defineDelete},
        {"retention", defineRetention},
        {"profile", defineProfile},
        {"taxonomy", defineTaxonomy},
        {"queue", defineQueue},
        {"labels", defineLabels},
        {"agreement", defineAgreement},
        {"adjudicate", defineAdjudicate},
        {"rules", defineRules},
        {"export", defineExport},
        {"batches", defineBatches},
        {"monitors", defineMonitors},
        {"triggers", defineTriggers},
        {"serve", defineServe},
        {"screenshot", defineScreenshot, true},
    };
    return table;
}

} // namespace winnow::cli
