#!/usr/bin/env python3
"""The baseline Winnow's ingest is measured against: what a team writes by hand today.

Reads Winnow JSONL with the json module and writes it with sqlite3, executemany in batched
transactions, into the same tables and indexes (DB must be a store that `winnow` created, so the
schema is identical), with the same pragmas (WAL, synchronous=NORMAL) and the same full-text rows:
Winnow keeps its FTS5 table in a file of its own, built on another thread; the baseline does what a
hand-written loader does, the same FTS5 table in the same file, filled in the same transactions.

usage: baseline_ingest.py FILE DB [--no-fts]
"""
import datetime
import json
import sqlite3
import sys
import time

BATCH = 2000


def epoch_ms(value):
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value * 1000) if value < 1e11 else int(value)
    return int(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def main():
    path, db = sys.argv[1], sys.argv[2]
    fts = "--no-fts" not in sys.argv
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA cache_size=-65536")
    if fts:
        con.execute("CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5(content, content='')")
    next_interaction = (con.execute("SELECT max(id) FROM interactions").fetchone()[0] or 0) + 1
    next_message = (con.execute("SELECT max(id) FROM messages").fetchone()[0] or 0) + 1
    started = time.monotonic()
    interactions, messages, fts_rows, tool_calls, scores, metadata = [], [], [], [], [], []
    count = 0
    bad = 0

    def flush():
        con.execute("BEGIN")
        con.executemany(
            "INSERT INTO interactions(id, key, start_ms, end_ms, latency_ms, session, user, agent, agent_version,"
            " model, channel, intent, input_tokens, output_tokens, cost_usd, outcome, thumb, rating,"
            " feedback_comment, message_count, tool_call_count) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            interactions)
        con.executemany("INSERT INTO interaction_metadata(interaction_id, json) VALUES(?,?)", metadata)
        con.executemany("INSERT INTO scores(interaction_id, name, value) VALUES(?,?,?)", scores)
        con.executemany(
            "INSERT INTO messages(id, interaction_id, seq, role, content, name, tool_call_id) VALUES(?,?,?,?,?,?,?)",
            messages)
        if fts:
            con.executemany("INSERT INTO message_fts(rowid, content) VALUES(?,?)", fts_rows)
        con.executemany(
            "INSERT INTO tool_calls(interaction_id, call_id, name, arguments, result, status, error, latency_ms,"
            " message_seq, result_message_seq) VALUES(?,?,?,?,?,?,?,?,?,?)", tool_calls)
        con.execute("COMMIT")
        for rows in (interactions, messages, fts_rows, tool_calls, scores, metadata):
            rows.clear()

    with open(path, "rb") as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                bad += 1
                continue
            iid = next_interaction
            next_interaction += 1
            fb = r.get("feedback") or {}
            thumb = {"up": 1, "down": -1}.get(fb.get("thumb"))
            msgs = r.get("messages") or []
            calls = {}
            for seq, m in enumerate(msgs):
                content = m.get("content")
                if isinstance(content, list):
                    content = "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
                mid = next_message
                next_message += 1
                messages.append((mid, iid, seq, m["role"], content, m.get("name"), m.get("tool_call_id")))
                if content and m["role"] != "system":
                    fts_rows.append((mid, content))
                for tc in m.get("tool_calls") or []:
                    fn = tc.get("function", {})
                    args = fn.get("arguments")
                    calls[tc.get("id")] = [iid, tc.get("id"), fn.get("name"),
                                           args if isinstance(args, str) else json.dumps(args),
                                           None, None, None, None, seq, None]
                if m["role"] == "tool" and m.get("tool_call_id") in calls:
                    c = calls[m["tool_call_id"]]
                    c[4], c[9] = content, seq
            for extra in r.get("tool_calls") or []:
                c = calls.get(extra.get("id"))
                if c:
                    c[5], c[6], c[7] = extra.get("status"), extra.get("error"), extra.get("latency_ms")
            tool_calls.extend(tuple(c) for c in calls.values())
            for name, value in (r.get("scores") or {}).items():
                scores.append((iid, name, value))
            if r.get("metadata"):
                metadata.append((iid, json.dumps(r["metadata"], separators=(",", ":"))))
            interactions.append((iid, r.get("id"), epoch_ms(r.get("start_time")), epoch_ms(r.get("end_time")),
                                 r.get("latency_ms"), r.get("session"), r.get("user"), r.get("agent"),
                                 r.get("agent_version"), r.get("model"), r.get("channel"), r.get("intent"),
                                 r.get("input_tokens"), r.get("output_tokens"), r.get("cost_usd"), r.get("outcome"),
                                 thumb, fb.get("rating"), fb.get("comment"), len(msgs), len(calls)))
            count += 1
            if len(interactions) >= BATCH:
                flush()
    flush()
    seconds = time.monotonic() - started
    print(json.dumps({"ingested": count, "quarantined": bad, "seconds": round(seconds, 3),
                      "interactions_per_second": round(count / seconds)}))


if __name__ == "__main__":
    main()
