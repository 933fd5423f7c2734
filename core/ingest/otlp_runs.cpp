#include "core/ingest/otlp_runs.h"

#include "core/store/database.h"

#include <xxhash.h>

#include <algorithm>
#include <limits>
#include <unordered_set>

namespace winnow {

namespace {

// A trace (or run) of model calls only: no agent span, and every root an LLM call.
bool isModelCallsOnly(const Interaction& interaction)
{
    if (interaction.spans.empty())
        return false;
    for (const SpanRecord& span : interaction.spans) {
        if (span.role == "agent")
            return false;
        if (span.parentSpanId.empty() && span.role != "llm")
            return false;
    }
    return true;
}

bool continues(const OtlpRunRecord& run, const Interaction& next)
{
    auto sameWhereBoth = [](const std::string& a, const std::string& b) {
        return a.empty() || b.empty() || a == b;
    };
    if (run.agent != next.agent || !sameWhereBoth(run.session, next.session) ||
        !sameWhereBoth(run.user, next.user))
        return false;
    if (!next.startMs || run.startMs == 0)
        return true;
    return *next.startMs >= run.startMs && *next.startMs <= run.endMs + OtlpRuns::joinGapMs;
}

} // namespace

std::vector<std::uint64_t> conversationPrefixHashes(const Interaction& interaction)
{
    std::vector<std::vector<const ToolCall*>> callsOf(interaction.messages.size());
    for (const ToolCall& call : interaction.toolCalls)
        if (call.messageIndex >= 0 && size_t(call.messageIndex) < callsOf.size())
            callsOf[size_t(call.messageIndex)].push_back(&call);
    std::vector<std::uint64_t> hashes;
    hashes.reserve(interaction.messages.size());
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    auto add = [state](std::string_view text) {
        XXH3_64bits_update(state, text.data(), text.size());
        XXH3_64bits_update(state, "\0", 1);
    };
    for (size_t i = 0; i < interaction.messages.size(); ++i) {
        const Message& message = interaction.messages[i];
        add(message.role);
        add(message.content);
        add(message.name);
        add(message.toolCallId);
        for (const ToolCall* call : callsOf[i]) {
            add(call->callId);
            add(call->name);
            add(call->arguments);
        }
        XXH3_64bits_update(state, "\x1e", 1);
        hashes.push_back(XXH3_64bits_digest(state));
    }
    XXH3_freeState(state);
    return hashes;
}

OtlpRuns::OtlpRuns(std::int64_t maxBytes, Database* history) : m_maxBytes(maxBytes), m_history(history)
{
    m_askStore = m_history && OtlpSourceStore(*m_history).hasCommitted();
}

std::vector<std::string> OtlpRuns::committedSources(const std::string& traceId)
{
    if (const auto recent = m_recent.find(traceId); recent != m_recent.end())
        return recent->second.sources;
    if (m_askStore)
        return OtlpSourceStore(*m_history).committedSources(traceId);
    return {};
}

std::string OtlpRuns::runOf(const std::string& traceId)
{
    if (const auto run = m_runOf.find(traceId); run != m_runOf.end())
        return run->second;
    if (m_askStore)
        if (auto stored = OtlpSourceStore(*m_history).run(traceId))
            return stored->runTraceId;
    return traceId;
}

std::vector<std::string> OtlpRuns::membersOf(const std::string& runTraceId)
{
    if (const auto members = m_members.find(runTraceId); members != m_members.end())
        return members->second;
    if (m_askStore) {
        std::vector<std::string> stored = OtlpSourceStore(*m_history).runMembers(runTraceId);
        if (!stored.empty())
            return stored;
    }
    return {runTraceId};
}

std::vector<OtlpRunRecord> OtlpRuns::runsEndingIn(std::uint64_t hash)
{
    std::vector<OtlpRunRecord> runs;
    if (const auto known = m_runEnds.find(hash); known != m_runEnds.end())
        runs.assign(known->second.rbegin(), known->second.rend());
    if (m_askStore)
        for (OtlpRunRecord& stored : OtlpSourceStore(*m_history).runsEndingIn(hash)) {
            // What memory knows of a run is newer than what the store has.
            const auto current = m_endOfRun.find(stored.runTraceId);
            if (current == m_endOfRun.end())
                runs.push_back(std::move(stored));
        }
    return runs;
}

void OtlpRuns::keep(const std::string& traceId, std::vector<std::string> sources, std::int64_t nowMs)
{
    Recent& recent = m_recent[traceId];
    for (const std::string& source : recent.sources)
        m_bytes -= static_cast<std::int64_t>(source.size());
    recent.sources = std::move(sources);
    for (const std::string& source : recent.sources)
        m_bytes += static_cast<std::int64_t>(source.size());
    recent.committedMs = nowMs;
    m_order.emplace_back(nowMs, traceId);
}

// The conversation a run ends in, and every strict prefix of it (so that a run whose conversation
// turns out to be continued by a later one, its own content arriving last, finds it).
void OtlpRuns::forgetEnd(const std::string& head)
{
    if (const auto end = m_endOfRun.find(head); end != m_endOfRun.end()) {
        if (const auto runs = m_runEnds.find(end->second); runs != m_runEnds.end()) {
            std::erase_if(runs->second, [&](const OtlpRunRecord& run) { return run.runTraceId == head; });
            if (runs->second.empty())
                m_runEnds.erase(runs);
        }
        m_endOfRun.erase(end);
        m_runRecords.erase(head);
    }
    if (const auto prefixes = m_prefixesOf.find(head); prefixes != m_prefixesOf.end()) {
        for (const std::uint64_t hash : prefixes->second)
            if (const auto heads = m_prefixes.find(hash); heads != m_prefixes.end()) {
                std::erase(heads->second, head);
                if (heads->second.empty())
                    m_prefixes.erase(heads);
            }
        m_prefixesOf.erase(prefixes);
    }
}

void OtlpRuns::forgetOverBound()
{
    while (!m_order.empty() && m_bytes > m_maxBytes) {
        const auto [at, traceId] = m_order.front();
        m_order.pop_front();
        const auto recent = m_recent.find(traceId);
        if (recent == m_recent.end() || recent->second.committedMs != at)
            continue; // committed again later: its newer entry decides
        for (const std::string& source : recent->second.sources)
            m_bytes -= static_cast<std::int64_t>(source.size());
        m_recent.erase(recent);
        m_runOf.erase(traceId);
        m_members.erase(traceId);
        forgetEnd(traceId);
        m_askStore = m_history != nullptr; // what memory forgot, the store still has
    }
}

OtlpSettled OtlpRuns::settle(OtlpAssembler& assembler, Take take, std::int64_t nowMs,
                             std::int64_t quietBefore)
{
    OtlpSettled out;
    std::unordered_map<std::string, std::vector<std::string>>& now = out.sources;

    // Late arrivals: the traces added to since the last settle that were committed before.
    // First, whatever is taken: a trace waiting to be merged is not a new one.
    std::vector<std::string> changedRuns;
    for (const std::string& traceId : assembler.takeTouched()) {
        std::vector<std::string> all = committedSources(traceId);
        if (all.empty())
            continue;
        const std::vector<std::string> late = assembler.takeWaiting(traceId);
        std::unordered_set<std::string> known(all.begin(), all.end());
        const size_t before = all.size();
        for (const std::string& source : late)
            if (known.insert(source).second)
                all.push_back(source);
        if (all.size() == before) {
            out.retried.push_back(traceId); // of what was merged already
            continue;
        }
        now[traceId] = std::move(all);
        const std::string run = runOf(traceId);
        if (std::find(changedRuns.begin(), changedRuns.end(), run) == changedRuns.end())
            changedRuns.push_back(run);
    }
    std::vector<Interaction> taken = take == Take::Completed ? assembler.takeCompleted()
                                     : take == Take::All     ? assembler.takeAll()
                                                             : assembler.takeQuietSince(quietBefore);
    const std::vector<std::string> takenIds = assembler.lastTakenTraceIds();
    for (auto& [traceId, sources] : assembler.takeTakenSources())
        now[traceId] = std::move(sources);

    // A run assembled from its traces' sources, those changed here first.
    auto assembleRun = [&](const std::vector<std::string>& members) {
        OtlpAssembler assembler;
        for (const std::string& member : members) {
            const auto changed = now.find(member);
            const std::vector<std::string> sources =
                changed != now.end() ? changed->second : committedSources(member);
            for (const std::string& source : sources)
                assembler.addSource(source, 0);
        }
        return assembler.takeAllAsOne();
    };

    struct Run
    {
        std::string head;
        Interaction interaction;
        bool stored; // committed before: replaced
        bool joined = false;
    };
    std::vector<Run> runs;
    for (const std::string& head : changedRuns)
        if (auto interaction = assembleRun(membersOf(head)))
            runs.push_back({head, std::move(*interaction), true});
    for (size_t i = 0; i < taken.size() && i < takenIds.size(); ++i)
        runs.push_back({takenIds[i], std::move(taken[i]), false});
    std::stable_sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) {
        return a.interaction.startMs.value_or(std::numeric_limits<std::int64_t>::max()) <
               b.interaction.startMs.value_or(std::numeric_limits<std::int64_t>::max());
    });

    auto registerEnd = [&](const std::string& head, const Interaction& interaction,
                           const std::vector<std::uint64_t>& hashes) {
        forgetEnd(head);
        OtlpRunRecord record{head,
                             head,
                             hashes.back(),
                             interaction.agent,
                             interaction.session,
                             interaction.user,
                             interaction.startMs.value_or(0),
                             interaction.endMs.value_or(interaction.startMs.value_or(0))};
        m_runEnds[hashes.back()].push_back(record);
        m_runRecords[head] = record;
        m_endOfRun[head] = hashes.back();
        std::vector<std::uint64_t>& prefixes = m_prefixesOf[head];
        prefixes.assign(hashes.begin(), hashes.end() - 1);
        for (const std::uint64_t hash : prefixes)
            m_prefixes[hash].push_back(head);
        out.runs.push_back(std::move(record));
    };

    // Joins the run `from` into the run `into` (which it continues); false when there is nothing
    // to assemble.
    auto joinRuns = [&](const std::string& into, const std::string& from) {
        std::vector<std::string> members = membersOf(into);
        for (const std::string& member : membersOf(from))
            if (std::find(members.begin(), members.end(), member) == members.end())
                members.push_back(member);
        auto joined = assembleRun(members);
        if (!joined)
            return false;
        const auto entry = std::find_if(runs.begin(), runs.end(),
                                        [&](const Run& run) { return run.head == from && !run.joined; });
        if (entry != runs.end())
            entry->joined = true;
        else // stored before, not changed here
            runs.push_back({from, Interaction{.key = "trace:" + from}, true, true});
        forgetEnd(from);
        m_members.erase(from);
        m_members[into] = members;
        for (const std::string& member : members) {
            m_runOf[member] = into;
            if (member != into)
                out.runs.push_back({member, into, std::nullopt, {}, {}, {}, 0, 0});
        }
        registerEnd(into, *joined, conversationPrefixHashes(*joined));
        const auto target = std::find_if(runs.begin(), runs.end(),
                                         [&](const Run& run) { return run.head == into && !run.joined; });
        if (target != runs.end())
            target->interaction = std::move(*joined);
        else
            runs.push_back({into, std::move(*joined), true});
        return true;
    };

    for (size_t i = 0; i < runs.size(); ++i) {
        if (runs[i].joined || !isModelCallsOnly(runs[i].interaction) || runs[i].interaction.messages.empty())
            continue;
        const std::string head = runs[i].head;
        const std::vector<std::uint64_t> hashes = conversationPrefixHashes(runs[i].interaction);
        // Does it continue a run? Its conversation's strict prefixes, the longest first.
        bool continued = false;
        for (size_t k = hashes.size() - 1; k-- > 0 && !continued;) {
            for (const OtlpRunRecord& run : runsEndingIn(hashes[k]))
                if (run.runTraceId != head && continues(run, runs[i].interaction)) {
                    continued = joinRuns(run.runTraceId, head);
                    break;
                }
        }
        if (continued)
            continue;
        registerEnd(head, runs[i].interaction, hashes);
        // Is it continued by a run seen before it was complete (its content came last)?
        const auto candidates = m_prefixes.find(hashes.back());
        if (candidates == m_prefixes.end())
            continue;
        const OtlpRunRecord self = m_runRecords.at(head);
        for (const std::string& next : std::vector<std::string>(candidates->second)) {
            const auto known = m_runRecords.find(next);
            if (next == head || known == m_runRecords.end())
                continue;
            const OtlpRunRecord& later = known->second;
            Interaction probe;
            probe.agent = later.agent;
            probe.session = later.session;
            probe.user = later.user;
            probe.startMs = later.startMs;
            if (continues(self, probe) && joinRuns(head, next))
                break;
        }
    }

    for (Run& run : runs) {
        if (run.stored) {
            out.replacedKeys.push_back(run.interaction.key);
            out.replacedKeys.push_back("trace:" + run.head);
        }
        if (!run.joined)
            out.interactions.push_back(std::move(run.interaction));
    }
    std::sort(out.replacedKeys.begin(), out.replacedKeys.end());
    out.replacedKeys.erase(std::unique(out.replacedKeys.begin(), out.replacedKeys.end()),
                           out.replacedKeys.end());
    for (const auto& [traceId, sources] : now)
        keep(traceId, sources, nowMs);
    forgetOverBound();
    return out;
}

} // namespace winnow
