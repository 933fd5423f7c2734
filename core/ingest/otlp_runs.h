#pragma once
// What becomes of the traces the OTLP assembler gives up, given what was committed before.
//
// - Late arrivals: a span or log record of a trace committed before (in an earlier request, file
//   or run) is merged into its interaction: the trace is assembled again from all its sources.
// - Runs: instrumentation without an agent span traces each model call of one agent run as a
//   trace of its own. A trace of model calls only (no agent span, its root an LLM call) whose
//   conversation strictly extends the conversation a run of such traces ended in is joined to
//   that run, when they are of the same agent, the same conversation id and user where both
//   have one, and it starts after the run started and at most `joinGapMs` after the run ended.
//   A joined run is one interaction, assembled from all its traces. Content often comes after the
//   spans (log records): a run whose conversation becomes complete later is also joined to a
//   later run that continues it, if that run is still in memory.
//
// Recent traces are held in memory (up to maxBytes of sources); older ones are read from the
// store through `history` (a connection of the caller's thread), which is asked only when it held
// committed traces at the start or memory has forgotten some since.

#include "core/ingest/otlp.h"
#include "core/store/otlp_source_store.h"

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace winnow {

class Database;

// To be written with the interactions, in the same transaction.
struct OtlpSettled
{
    std::vector<Interaction> interactions;
    std::vector<std::string> replacedKeys;                             // removed first
    std::unordered_map<std::string, std::vector<std::string>> sources; // every source of each trace
    std::vector<std::string> retried; // late arrivals that repeat what was merged: nothing new
    std::vector<OtlpRunRecord> runs;
};

class OtlpRuns
{
public:
    static constexpr std::int64_t joinGapMs = 30 * 60 * 1000;

    OtlpRuns(std::int64_t maxBytes, Database* history);

    enum class Take { Completed, Quiet, All };
    // The late arrivals since the last settle, merged into their interactions, and the traces
    // taken: those completed (Completed), those also gone quiet before `quietBefore` (Quiet), or
    // every one (All, the input ended).
    OtlpSettled settle(OtlpAssembler& assembler, Take take, std::int64_t nowMs, std::int64_t quietBefore = 0);

private:
    struct Recent
    {
        std::vector<std::string> sources;
        std::int64_t committedMs = 0;
    };
    std::vector<std::string> committedSources(const std::string& traceId);
    std::string runOf(const std::string& traceId);
    std::vector<std::string> membersOf(const std::string& runTraceId);
    std::vector<OtlpRunRecord> runsEndingIn(std::uint64_t hash); // the latest first
    void keep(const std::string& traceId, std::vector<std::string> sources, std::int64_t nowMs);
    void forgetOverBound();
    void forgetEnd(const std::string& head);

    std::int64_t m_maxBytes;
    Database* m_history;
    bool m_askStore = false;
    std::unordered_map<std::string, Recent> m_recent;
    std::deque<std::pair<std::int64_t, std::string>> m_order; // (committed at, trace), oldest first
    std::int64_t m_bytes = 0;
    // Runs of this session (the store has all): member → run, run → members, and the conversation
    // each run ends in.
    std::unordered_map<std::string, std::string> m_runOf;
    std::unordered_map<std::string, std::vector<std::string>> m_members;
    std::unordered_map<std::uint64_t, std::vector<OtlpRunRecord>> m_runEnds; // conversation → runs
    std::unordered_map<std::string, OtlpRunRecord> m_runRecords;             // run → its end
    std::unordered_map<std::string, std::uint64_t> m_endOfRun;
    std::unordered_map<std::uint64_t, std::vector<std::string>> m_prefixes; // strict prefix → runs
    std::unordered_map<std::string, std::vector<std::uint64_t>> m_prefixesOf;
};

// The hash of each prefix of the conversation (roles, content, names, tool calls): [k] for the
// first k + 1 messages.
std::vector<std::uint64_t> conversationPrefixHashes(const Interaction& interaction);

} // namespace winnow
