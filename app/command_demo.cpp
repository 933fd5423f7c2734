// winnow demo --out FILE: realistic demo logs.

#include "app/command.h"
#include "app/render.h"

#include "core/demo/generator.h"
#include "core/util/text.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {
struct DemoArguments
{
    std::string out;
    std::int64_t interactions = 1000;
    std::int64_t seed = 1;
    std::string format = "jsonl";
    std::int64_t days = 30;
    std::string end;
    std::optional<double> fixAt;
};
} // namespace

Runner defineDemo(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<DemoArguments>();
    command.description(
        "Write realistic demo logs: 3 agents with a release midway that regresses one intent, 4 "
        "models, tool calls and errors, escalations, corrections, repeated questions, feedback, "
        "personal data. The same options give the same bytes.");
    command.add_option("--out", a->out, "The file to write, or - for standard output")
        ->required()
        ->type_name("FILE");
    command.add_option("--interactions", a->interactions, "How many (0 or more)")
        ->check(CLI::NonNegativeNumber);
    command.add_option("--seed", a->seed, "Random seed")->check(CLI::NonNegativeNumber);
    command.add_option("--format", a->format, "jsonl (Winnow JSONL) or otlp (OTLP/JSON traces)")
        ->check(CLI::IsMember({"jsonl", "otlp"}));
    command.add_option("--days", a->days, "Spread over this many days (1 to 3650)")
        ->check(CLI::Range(1, 3650));
    command.add_option("--end", a->end, "The newest interaction's time (ISO 8601; default 2026-11-20)")
        ->type_name("TIME");
    command.add_option("--fix-at", a->fixAt,
                       "A later support-bot release (3.3.0) fixes the regression at this point of the time "
                       "range (0 to 1): a trigger can then be validated")
        ->check(CLI::Range(0.0, 1.0))
        ->type_name("FRACTION");
    setExamples(command, {"winnow demo --interactions 100000 --seed 1 --out demo.jsonl",
                          "winnow demo --interactions 40000 --fix-at 0.75 --out fixed.jsonl",
                          "winnow demo --interactions 1000 --format otlp --out demo.otlp"});
    return [&context, a]() -> int {
        DemoOptions options;
        options.interactions = a->interactions;
        options.seed = static_cast<std::uint64_t>(a->seed);
        options.days = static_cast<int>(a->days);
        options.fixAt = a->fixAt;
        if (!a->end.empty())
            options.endMs = parseTimeOption("--end", a->end);
        const DemoFormat format = a->format == "otlp" ? DemoFormat::Otlp : DemoFormat::Jsonl;
        const auto started = std::chrono::steady_clock::now();
        const std::string error = writeDemo(options, format, a->out);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (!error.empty())
            throw CommandFailed{Error{error, {a->out}}};
        std::error_code ec;
        const auto bytes = a->out == "-" ? 0 : std::filesystem::file_size(a->out, ec);
        if (context.json)
            printJson({{QStringLiteral("interactions"), static_cast<qint64>(options.interactions)},
                       {QStringLiteral("out"), q(a->out)},
                       {QStringLiteral("format"), q(a->format)},
                       {QStringLiteral("bytes"), static_cast<qint64>(bytes)},
                       {QStringLiteral("seconds"), seconds}});
        else if (a->out != "-")
            std::cerr << "wrote " << options.interactions << " interactions ("
                      << humanBytes(static_cast<double>(bytes)) << ") to " << a->out << "\n";
        return exitOk;
    };
}

} // namespace winnow::cli
