// DuckDB's side of bench/run_ingest.sh: read_json of the demo logs into the same three tables
// Winnow's store has at its core (interactions, messages, tool_calls), in a DuckDB database file.
// It does none of the rest of Winnow's work (signals, rollups, search index, resume, quarantine).
//   node bench/duckdb/ingest.js INPUT.jsonl OUT.duckdb
'use strict';

const {DuckDBInstance} = require('@duckdb/node-api');

async function main() {
    const [input, database] = process.argv.slice(2);
    const instance = await DuckDBInstance.create(database);
    const db = await instance.connect();
    const quoted = `'${input.replaceAll("'", "''")}'`;
    await db.run(`CREATE TEMP TABLE raw AS
        SELECT row_number() OVER () AS interaction_id, * FROM read_json(${quoted}, format = 'newline_delimited')`);
    await db.run(`CREATE TABLE interactions AS
        SELECT interaction_id AS id, id AS key, session, "user", agent, agent_version, model, channel, intent,
               start_time, end_time, latency_ms, input_tokens, output_tokens, cost_usd, outcome
        FROM raw`);
    await db.run(`CREATE TABLE messages AS
        SELECT interaction_id, seq - 1 AS seq, m.role AS role, m.content AS content, m.tool_call_id AS tool_call_id
        FROM (SELECT interaction_id, unnest(messages) AS m, generate_subscripts(messages, 1) AS seq FROM raw)`);
    await db.run(`CREATE TABLE tool_calls AS
        SELECT interaction_id, t.id AS call_id, t.name AS name, t.status AS status, t.latency_ms AS latency_ms
        FROM (SELECT interaction_id, unnest(tool_calls) AS t FROM raw)`);
    const counts = await db.runAndReadAll(
        'SELECT (SELECT count(*) FROM interactions), (SELECT count(*) FROM messages), (SELECT count(*) FROM tool_calls)');
    console.log(JSON.stringify(counts.getRows()[0].map(Number)));
    db.closeSync();
}

main().catch(error => {
    console.error(error);
    process.exit(1);
});
