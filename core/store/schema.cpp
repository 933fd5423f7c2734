#include "core/store/schema.h"
#include "core/monitors/monitors.h"
#include "core/rules/rule.h"

#include "core/store/rollups.h"
#include "core/util/text.h"

#include <algorithm>
#include <string>

namespace winnow {

namespace {

// Index choice (version 1), measured in bench/RESULTS.md: every index is paid for on each insert.
// - The dashboards ask for time ranges, optionally narrowed to an agent and version: interactions
//   are indexed by start time and by (agent, agent_version, start time). Outcome, model, intent and
//   channel have few values and are answered by the rollups.
// - The writer stores an interaction's messages and tool calls together, so they are contiguous id
//   ranges (first_message_id + message_count): no index on their interaction_id is needed to read
//   or delete a conversation.
// - Sessions and sources are not indexed: session ids are random text, the costliest index of
//   all, and deleting a source's interactions is rare enough to pay for a scan.
// - The full-text index lives in its own file (search_index.h) and is built on the other core.
constexpr const char* sourcesV1 = R"sql(
CREATE TABLE sources(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    format TEXT,
    offset INTEGER NOT NULL DEFAULT 0,
    line INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    inode INTEGER NOT NULL DEFAULT 0,
    fingerprint TEXT NOT NULL DEFAULT '',
    ingested INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0,
    added_ms INTEGER NOT NULL,
    last_activity_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE quarantine(
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    byte_offset INTEGER NOT NULL,
    reason TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    UNIQUE(source_id, byte_offset, reason)
);
)sql";

constexpr const char* interactionsV1 = R"sql(
CREATE TABLE interactions(
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    source_id INTEGER REFERENCES sources(id),
    start_ms INTEGER,
    end_ms INTEGER,
    latency_ms REAL,
    session TEXT,
    user TEXT,
    agent TEXT,
    agent_version TEXT,
    model TEXT,
    channel TEXT,
    intent TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost_usd REAL,
    outcome TEXT,
    thumb INTEGER,
    rating REAL,
    feedback_comment TEXT,
    first_message_id INTEGER,
    message_count INTEGER NOT NULL DEFAULT 0,
    first_tool_call_id INTEGER,
    tool_call_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX interactions_by_time ON interactions(start_ms);
CREATE INDEX interactions_by_agent ON interactions(agent, agent_version, start_ms);
CREATE TABLE interaction_metadata(
    interaction_id INTEGER PRIMARY KEY REFERENCES interactions(id) ON DELETE CASCADE,
    json TEXT NOT NULL
);
CREATE TABLE scores(
    interaction_id INTEGER NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY(interaction_id, name)
) WITHOUT ROWID;
CREATE TABLE messages(
    id INTEGER PRIMARY KEY,
    interaction_id INTEGER NOT NULL REFERENCES interactions(id),
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    content TEXT,
    name TEXT,
    tool_call_id TEXT,
    parts_json TEXT
);
CREATE TABLE tool_calls(
    id INTEGER PRIMARY KEY,
    interaction_id INTEGER NOT NULL REFERENCES interactions(id),
    call_id TEXT,
    name TEXT,
    arguments TEXT,
    result TEXT,
    status TEXT,
    error TEXT,
    latency_ms REAL,
    message_seq INTEGER,
    result_message_seq INTEGER
);
)sql";

// Identifies this store to its search index (a separate file, see search_index.h).
constexpr const char* storeStateV1 = R"sql(
CREATE TABLE store_state(
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO store_state(key, value) VALUES('store_id', abs(random()));
)sql";

constexpr const char* profilesV1 = R"sql(
CREATE TABLE mapping_profiles(
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL
);
)sql";

// signal_mask has bit (1 << SignalKind) set for each kind found; the rows say where and why.
constexpr const char* signalsV2 = R"sql(
ALTER TABLE interactions ADD COLUMN signal_mask INTEGER NOT NULL DEFAULT 0;
CREATE TABLE signals(
    interaction_id INTEGER NOT NULL REFERENCES interactions(id),
    kind TEXT NOT NULL,
    message_seq INTEGER NOT NULL,
    confidence REAL NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY(interaction_id, kind, message_seq)
) WITHOUT ROWID;
CREATE INDEX signals_by_kind ON signals(kind, interaction_id);
)sql";

constexpr const char* settingsV2 = R"sql(
CREATE TABLE settings(
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// The first rollups: one wide row per (hour or day, dimension combination). Version 4 replaces
// them; a store older than 3 passes through this empty shape on its way there.
constexpr const char* rollupsV3 = R"sql(
CREATE TABLE rollup_dimensions(id INTEGER PRIMARY KEY, agent TEXT, agent_version TEXT, model TEXT,
    intent TEXT, channel TEXT);
CREATE TABLE rollups_hourly(bucket_ms INTEGER NOT NULL, dimensions_id INTEGER NOT NULL,
    PRIMARY KEY(bucket_ms, dimensions_id)) WITHOUT ROWID;
CREATE TABLE rollups_daily(bucket_ms INTEGER NOT NULL, dimensions_id INTEGER NOT NULL,
    PRIMARY KEY(bucket_ms, dimensions_id)) WITHOUT ROWID;
CREATE TABLE rollup_scores_hourly(bucket_ms INTEGER NOT NULL, dimensions_id INTEGER NOT NULL,
    name TEXT NOT NULL, PRIMARY KEY(bucket_ms, dimensions_id, name)) WITHOUT ROWID;
CREATE TABLE rollup_scores_daily(bucket_ms INTEGER NOT NULL, dimensions_id INTEGER NOT NULL,
    name TEXT NOT NULL, PRIMARY KEY(bucket_ms, dimensions_id, name)) WITHOUT ROWID;
CREATE TABLE latencies(day_ms INTEGER NOT NULL, bin INTEGER NOT NULL, start_ms INTEGER NOT NULL,
    interaction_id INTEGER NOT NULL, PRIMARY KEY(day_ms, bin, start_ms, interaction_id)) WITHOUT ROWID;
)sql";

// Rollups in a long format (rollups.h): one row per (granularity, level, bucket, dimension
// combination, metric), so that a new countable is a new row in rollup_metrics, not a schema
// change. Filled from the stored interactions by the backfill.
//
// Latencies: every latency by UTC day, then bin, then start time: a percentile reads one bin of
// each day of its range. Day first keeps a batch's inserts on few pages (bin first touched a page
// per bin in every commit: a quarter of the ingest time).
constexpr const char* rollupsV4 = R"sql(
DROP TABLE rollups_hourly;
DROP TABLE rollups_daily;
DROP TABLE rollup_scores_hourly;
DROP TABLE rollup_scores_daily;
DROP TABLE latencies;
DROP TABLE rollup_dimensions;
CREATE TABLE rollup_dimensions(
    id INTEGER PRIMARY KEY,
    level INTEGER NOT NULL,
    agent TEXT,
    agent_version TEXT,
    model TEXT,
    intent TEXT,
    channel TEXT
);
CREATE TABLE rollup_metrics(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE rollups(
    granularity INTEGER NOT NULL,
    level INTEGER NOT NULL,
    bucket_ms INTEGER NOT NULL,
    dimensions_id INTEGER NOT NULL,
    metric_id INTEGER NOT NULL,
    value NOT NULL,
    PRIMARY KEY(granularity, level, bucket_ms, dimensions_id, metric_id)
) WITHOUT ROWID;
CREATE TABLE latencies(
    day_ms INTEGER NOT NULL,
    bin INTEGER NOT NULL,
    start_ms INTEGER NOT NULL,
    interaction_id INTEGER NOT NULL,
    dimensions_id INTEGER NOT NULL,
    signal_mask INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    PRIMARY KEY(day_ms, bin, start_ms, interaction_id)
) WITHOUT ROWID;
)sql";

// Interaction, message and tool call ids are never used twice, even after a delete: the search
// index names messages by id, and labels and exports name interactions by id. The floors are the
// highest ids ever deleted.
constexpr const char* interactionsV4 = R"sql(
INSERT INTO store_state(key, value) VALUES('interaction_id_floor', 0), ('message_id_floor', 0),
    ('tool_call_id_floor', 0);
)sql";

// The options a source was read with (format, mapping), for re-reading it.
constexpr const char* sourcesV4 = R"sql(
ALTER TABLE sources ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
)sql";

// The text of deleted messages that the search index (another file, with a contentless FTS5
// table that can only forget a row given its text) has to take out; it applies them in order.
constexpr const char* searchV4 = R"sql(
CREATE TABLE search_deletions(
    seq INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL,
    content TEXT NOT NULL
);
)sql";

// Model prices (USD per million tokens) for logs with tokens and no cost. The defaults are list
// prices from the providers' pricing pages (the first context tier, no batch or cache discounts),
// as taken on the date in as_of; `winnow prices` and the app edit them.
constexpr const char* pricesV5 = R"sql(
CREATE TABLE model_prices(
    model TEXT PRIMARY KEY COLLATE NOCASE,
    input_usd_per_mtok REAL NOT NULL,
    output_usd_per_mtok REAL NOT NULL,
    as_of TEXT NOT NULL,
    source TEXT NOT NULL
);
INSERT INTO model_prices VALUES
    ('gpt-4o', 2.50, 10.00, '2025-05-01', 'default'),
    ('gpt-4o-mini', 0.15, 0.60, '2025-05-01', 'default'),
    ('gpt-4.1', 2.00, 8.00, '2025-05-01', 'default'),
    ('gpt-4.1-mini', 0.40, 1.60, '2025-05-01', 'default'),
    ('gpt-4.1-nano', 0.10, 0.40, '2025-05-01', 'default'),
    ('gpt-4-turbo', 10.00, 30.00, '2025-05-01', 'default'),
    ('gpt-3.5-turbo', 0.50, 1.50, '2025-05-01', 'default'),
    ('o1', 15.00, 60.00, '2025-05-01', 'default'),
    ('o3-mini', 1.10, 4.40, '2025-05-01', 'default'),
    ('o4-mini', 1.10, 4.40, '2025-05-01', 'default'),
    ('claude-3-5-sonnet', 3.00, 15.00, '2025-05-01', 'default'),
    ('claude-3-7-sonnet', 3.00, 15.00, '2025-05-01', 'default'),
    ('claude-sonnet-4', 3.00, 15.00, '2025-05-01', 'default'),
    ('claude-3-5-haiku', 0.80, 4.00, '2025-05-01', 'default'),
    ('claude-3-haiku', 0.25, 1.25, '2025-05-01', 'default'),
    ('claude-3-opus', 15.00, 75.00, '2025-05-01', 'default'),
    ('claude-opus-4', 15.00, 75.00, '2025-05-01', 'default'),
    ('gemini-1.5-pro', 1.25, 5.00, '2025-05-01', 'default'),
    ('gemini-1.5-flash', 0.075, 0.30, '2025-05-01', 'default'),
    ('gemini-2.0-flash', 0.10, 0.40, '2025-05-01', 'default'),
    ('mistral-large', 2.00, 6.00, '2025-05-01', 'default'),
    ('mistral-small', 0.10, 0.30, '2025-05-01', 'default');
ALTER TABLE interactions ADD COLUMN cost_estimated INTEGER;
)sql";

// Spans the receiver acknowledged that wait for the rest of their trace.
constexpr const char* receiverV5 = R"sql(
CREATE TABLE otlp_pending(
    seq INTEGER PRIMARY KEY,
    trace_id TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    request TEXT NOT NULL
);
CREATE INDEX otlp_pending_by_trace ON otlp_pending(trace_id);
CREATE TABLE spans(
    interaction_id INTEGER NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    span_id TEXT,
    parent_span_id TEXT,
    name TEXT,
    kind INTEGER,
    start_ns INTEGER,
    end_ns INTEGER,
    status_code INTEGER,
    status_message TEXT,
    role TEXT,
    model TEXT,
    tool_name TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    PRIMARY KEY(interaction_id, seq)
) WITHOUT ROWID;
)sql";

// The receiver's waiting spans become the sources of every OTLP trace, committed ones included,
// so that spans and log records arriving later merge into their interaction; runs of model calls
// traced one trace each, joined into one interaction, with the conversation each run ends in.
constexpr const char* otlpSourcesV6 = R"sql(
ALTER TABLE otlp_pending RENAME TO otlp_sources;
ALTER TABLE otlp_sources ADD COLUMN committed INTEGER NOT NULL DEFAULT 0;
DROP INDEX otlp_pending_by_trace;
CREATE INDEX otlp_sources_by_trace ON otlp_sources(trace_id, committed);
CREATE TABLE otlp_runs(
    trace_id TEXT PRIMARY KEY,
    run_trace_id TEXT NOT NULL,
    conversation_hash INTEGER,
    agent TEXT,
    session TEXT,
    user_id TEXT,
    start_ms INTEGER,
    end_ms INTEGER
) WITHOUT ROWID;
CREATE INDEX otlp_runs_by_run ON otlp_runs(run_trace_id);
CREATE INDEX otlp_runs_by_conversation ON otlp_runs(conversation_hash) WHERE conversation_hash IS NOT NULL;
)sql";

// Each distinct long text once: a message whose content is long points at it (text_id) instead of
// holding it; message_texts reads every message with its content either way. Stores written
// before keep their messages' content where it is.
constexpr const char* textsV6 = R"sql(
CREATE TABLE texts(
    id INTEGER PRIMARY KEY,
    hash INTEGER NOT NULL,
    content TEXT NOT NULL
);
CREATE INDEX texts_by_hash ON texts(hash);
ALTER TABLE messages ADD COLUMN text_id INTEGER;
CREATE VIEW message_texts AS
    SELECT m.id, m.interaction_id, m.seq, m.role, coalesce(m.content, t.content) AS content, m.name,
           m.tool_call_id, m.parts_json
    FROM messages m LEFT JOIN texts t ON t.id = m.text_id;
)sql";

// Review: the taxonomy (its edits kept), labels as append-only versions (a change is a new row that
// replaces the one before it: the audit trail is the chain), queues and their items.
constexpr const char* reviewV7 = R"sql(
CREATE TABLE review_categories(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX review_categories_by_name ON review_categories(name COLLATE NOCASE);
CREATE TABLE review_category_events(
    id INTEGER PRIMARY KEY,
    category_id INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    author TEXT NOT NULL,
    action TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
INSERT INTO review_categories(name, description, position) VALUES
    ('incorrect or hallucinated information', 'States something false or invented.', 1),
    ('misunderstood intent', 'Answers a different question than the user asked.', 2),
    ('wrong or misused tool', 'Calls the wrong tool, or the right one with wrong arguments.', 3),
    ('incomplete task', 'Stops before the task is done.', 4),
    ('ignored instruction or policy', 'Goes against the system prompt, the user or a policy.', 5),
    ('unsafe or non-compliant content', 'Harmful, private or non-compliant output.', 6),
    ('unnecessary escalation', 'Hands over to a person when it could have helped.', 7),
    ('missed escalation', 'Should have handed over to a person and did not.', 8),
    ('tone', 'Rude, cold, verbose or otherwise off in manner.', 9),
    ('other', 'Anything the categories above do not cover (say what in the note).', 10);
CREATE TABLE review_queues(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    from_ms INTEGER,
    to_ms INTEGER,
    conditions TEXT NOT NULL DEFAULT '',
    ordering TEXT NOT NULL CHECK (ordering IN ('priority', 'sample', 'given')),
    sample_size INTEGER,
    seed INTEGER,
    slice_size INTEGER NOT NULL DEFAULT 0,
    overlap INTEGER NOT NULL DEFAULT 1,
    blind INTEGER NOT NULL DEFAULT 1,
    guidelines TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX review_queues_by_name ON review_queues(name);
CREATE TABLE review_queue_items(
    queue_id INTEGER NOT NULL REFERENCES review_queues(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    interaction_id INTEGER NOT NULL,
    PRIMARY KEY(queue_id, position)
) WITHOUT ROWID;
CREATE INDEX review_queue_items_by_interaction ON review_queue_items(interaction_id);
CREATE TABLE labels(
    id INTEGER PRIMARY KEY,
    interaction_id INTEGER NOT NULL,
    reviewer TEXT NOT NULL,
    queue_id INTEGER,
    turn INTEGER,
    tool_call INTEGER,
    verdict TEXT CHECK (verdict IN ('pass', 'fail', 'unsure')),
    severity INTEGER CHECK (severity BETWEEN 1 AND 4),
    note TEXT NOT NULL DEFAULT '',
    corrected TEXT,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'final')),
    author TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    replaces INTEGER REFERENCES labels(id)
);
CREATE INDEX labels_by_interaction ON labels(interaction_id, reviewer);
CREATE UNIQUE INDEX labels_by_replaced ON labels(replaces) WHERE replaces IS NOT NULL;
CREATE TABLE label_categories(
    label_id INTEGER NOT NULL REFERENCES labels(id),
    position INTEGER NOT NULL,
    category_id INTEGER NOT NULL REFERENCES review_categories(id),
    PRIMARY KEY(label_id, position)
) WITHOUT ROWID;
CREATE VIEW current_labels AS
    SELECT l.* FROM labels l WHERE NOT EXISTS (SELECT 1 FROM labels n WHERE n.replaces = l.id);
)sql";

// Guardrail rules: immutable numbered versions (each a rule pack as JSON, with its state in the
// approval flow and the backtest figures at publish time), the one working draft, what happened to
// each version (submitted, approved, rejected with a reason, published), and the hits of the
// applied version, written with their interaction. rule_hits on an interaction counts its hits,
// for the rollups' guardrail count.
constexpr const char* rulesV8 = R"sql(
CREATE TABLE rule_versions(
    number INTEGER PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('pending', 'published', 'rejected')),
    author TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    pack_json TEXT NOT NULL,
    backtest_json TEXT NOT NULL DEFAULT '',
    published_ms INTEGER
);
CREATE TABLE rule_draft(
    id INTEGER PRIMARY KEY CHECK (id = 1),
    author TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    pack_json TEXT NOT NULL
);
CREATE TABLE rule_events(
    id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('submitted', 'approved', 'rejected', 'published')),
    reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE rule_hits(
    interaction_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    message_seq INTEGER,
    tool_call_seq INTEGER,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    excerpt TEXT NOT NULL,
    PRIMARY KEY(interaction_id, seq)
) WITHOUT ROWID;
CREATE INDEX rule_hits_by_rule ON rule_hits(rule_id, interaction_id);
ALTER TABLE interactions ADD COLUMN rule_hits INTEGER NOT NULL DEFAULT 0;
)sql";

// Export batches: each batch written to a folder, with its definition (how to make it again) and
// its manifest, and the lineage of every interaction it holds (which split it went to). Only a
// batch whose files were all written and checked is recorded.
constexpr const char* exportsV9 = R"sql(
CREATE TABLE export_batches(
    id INTEGER PRIMARY KEY,
    format TEXT NOT NULL,
    definition_json TEXT NOT NULL,
    out_dir TEXT NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    examples INTEGER NOT NULL,
    manifest_json TEXT NOT NULL
);
CREATE TABLE export_items(
    interaction_id INTEGER NOT NULL,
    batch_id INTEGER NOT NULL REFERENCES export_batches(id),
    split TEXT NOT NULL,
    PRIMARY KEY(interaction_id, batch_id)
) WITHOUT ROWID;
CREATE INDEX export_items_by_batch ON export_items(batch_id);
)sql";

// Monitors (a definition each, evaluated a window at a time) and the retraining triggers they
// raise: figures, evidence (the interactions behind it), where each stands in the loop and what
// happened to it.
constexpr const char* monitorsV10 = R"sql(
CREATE TABLE monitors(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    definition_json TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_ms INTEGER NOT NULL,
    checked_through_ms INTEGER
);
CREATE TABLE triggers(
    id INTEGER PRIMARY KEY,
    monitor_id INTEGER NOT NULL REFERENCES monitors(id),
    group_value TEXT NOT NULL DEFAULT '',
    fired_ms INTEGER NOT NULL,
    window_from_ms INTEGER NOT NULL,
    window_to_ms INTEGER NOT NULL,
    figures_json TEXT NOT NULL,
    evidence_json TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'in_review', 'exported', 'validated', 'not_recovered', 'dismissed')),
    queue_id INTEGER,
    batch_id INTEGER,
    validation_json TEXT NOT NULL DEFAULT '',
    validate_after_ms INTEGER,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX triggers_by_monitor ON triggers(monitor_id, group_value);
CREATE TABLE trigger_events(
    id INTEGER PRIMARY KEY,
    trigger_id INTEGER NOT NULL REFERENCES triggers(id),
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE trigger_evidence(
    trigger_id INTEGER NOT NULL REFERENCES triggers(id),
    interaction_id INTEGER NOT NULL,
    PRIMARY KEY(trigger_id, interaction_id)
) WITHOUT ROWID;
)sql";

// The receiver's waiting spans, read at each of its starts, found without reading every committed
// trace's sources (a whole-table scan of a store's OTLP input, 2.3 GB for 200,000 demo traces).
// Only waiting rows are in it, in arrival order.
constexpr const char* otlpWaitingV11 = R"sql(
CREATE INDEX otlp_sources_waiting ON otlp_sources(committed) WHERE committed = 0;
)sql";

// A source waits while its seq is listed in otlp_waiting: committing a trace deletes those small
// rows. Marking each source row committed rewrote every source, so the receiver (which stores
// each span before it answers) wrote the OTLP input twice: a fifth of its time.
constexpr const char* otlpWaitingV12 = R"sql(
CREATE TABLE otlp_waiting(seq INTEGER PRIMARY KEY);
INSERT INTO otlp_waiting(seq) SELECT seq FROM otlp_sources WHERE committed = 0;
DROP INDEX otlp_sources_waiting;
DROP INDEX otlp_sources_by_trace;
ALTER TABLE otlp_sources DROP COLUMN committed;
CREATE INDEX otlp_sources_by_trace ON otlp_sources(trace_id);
)sql";

void addDefaultMonitors(sql::Connection& db)
{
    sql::Statement insert(db, "INSERT INTO monitors(name, owner, definition_json, created_ms) VALUES(?1, ?2, ?3, ?4)");
    for (const auto& [name, definition] : defaultMonitors())
        insert.bind(1, std::string_view(name))
            .bind(2, std::string_view("winnow"))
            .bind(3, monitorDefinitionJson(definition))
            .bind(4, nowMs())
            .run();
}

void backfillRollups(sql::Connection& db)
{
    rebuildRollups(db);
}

// Version 1 of the rules, published by Winnow itself. In a store made now it applies from the
// first interaction; a store upgraded with interactions in it says so (rules_scanned_version is
// set only where every interaction was scanned: `winnow rules run` does it).
void publishFirstRuleVersion(sql::Connection& db)
{
    const RulePack pack = defaultRulePack();
    sql::Statement insert(db,
                          "INSERT INTO rule_versions(number, state, author, created_ms, comment, pack_json, "
                          "published_ms) VALUES(1, 'published', ?1, ?2, ?3, ?4, ?2)");
    const std::int64_t now = nowMs();
    insert.bind(1, std::string_view(pack.author)).bind(2, now).bind(3, std::string_view(pack.comment));
    insert.bind(4, rulePackJson(pack)).run();
    sql::Statement event(
        db, "INSERT INTO rule_events(version, at_ms, actor, action) VALUES(1, ?1, ?2, 'published')");
    event.bind(1, now).bind(2, std::string_view(pack.author)).run();
    if (db.queryInt("SELECT NOT EXISTS (SELECT 1 FROM interactions)"))
        db.exec("INSERT OR REPLACE INTO store_state(key, value) VALUES('rules_scanned_version', 1)");
}

} // namespace

const std::vector<Migration>& migrations()
{
    static const std::vector<Migration> registry = {
        {1, "sources", sourcesV1},
        {1, "interactions", interactionsV1},
        {1, "store", storeStateV1},
        {1, "profiles", profilesV1},
        {2, "signals", signalsV2},
        {2, "settings", settingsV2},
        {3, "rollups", rollupsV3},
        {4, "rollups", rollupsV4, backfillRollups},
        {4, "interactions", interactionsV4},
        {4, "sources", sourcesV4},
        {4, "search", searchV4},
        // The rollups count the interactions with a cost and those estimated: rebuilt once.
        {5, "prices", pricesV5, backfillRollups},
        {5, "receiver", receiverV5},
        {6, "otlp sources", otlpSourcesV6},
        {6, "texts", textsV6},
        {7, "review", reviewV7},
        {8, "rules", rulesV8, publishFirstRuleVersion},
        {9, "exports", exportsV9},
        {10, "monitors", monitorsV10, addDefaultMonitors},
        {11, "otlp sources", otlpWaitingV11},
        {12, "otlp sources", otlpWaitingV12},
    };
    return registry;
}

int latestSchemaVersion()
{
    return migrations().back().version;
}

void migrate(sql::Connection& db)
{
    const auto current = static_cast<int>(db.queryInt("PRAGMA user_version"));
    if (current >= latestSchemaVersion())
        return;
    // One transaction for the whole upgrade: every version's tables first, then each backfill
    // once, over the final schema (a backfill of version 4 reads columns version 5 adds). A crash
    // leaves the store as it was.
    sql::Transaction transaction(db);
    std::vector<void (*)(sql::Connection&)> backfills;
    for (int version = current + 1; version <= latestSchemaVersion(); ++version)
        for (const Migration& migration : migrations())
            if (migration.version == version) {
                db.exec(migration.sql);
                if (migration.backfill &&
                    std::find(backfills.begin(), backfills.end(), migration.backfill) == backfills.end())
                    backfills.push_back(migration.backfill);
            }
    for (const auto backfill : backfills)
        backfill(db);
    db.exec("PRAGMA user_version = " + std::to_string(latestSchemaVersion())); // sql-constant: PRAGMA binds nothing
    transaction.commit();
}

} // namespace winnow
