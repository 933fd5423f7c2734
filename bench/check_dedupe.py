#!/usr/bin/env python3
"""How near the near-duplicates an export removed really were: the exact Jaccard similarity of the
word 3-shingles (texts redacted as the baseline redacts them) of each listed cluster's kept text and
its first removed ones.

    bench/check_dedupe.py BATCH_FOLDER LOGS.jsonl [THRESHOLD]
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import baseline_export  # noqa: E402

WORD = re.compile(r"[A-Za-z0-9\u0080-\U0010FFFF]+")


def shingles(text):
    words = [w.lower() for w in WORD.findall(baseline_export.redact(text, {}))]
    return {" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))}


def main():
    folder, logs = sys.argv[1], sys.argv[2]
    threshold = float(sys.argv[3]) if len(sys.argv) > 3 else 0.85
    manifest = json.load(open(os.path.join(folder, "manifest.json")))
    pairs = [(c["kept"], r) for c in manifest["duplicates"]["listed"][:300] for r in c["removed"][:5]]
    wanted = {key for pair in pairs for key in pair}
    texts = {}
    for line in open(logs, encoding="utf-8"):
        record = json.loads(line)
        if record.get("id") in wanted:
            texts[record["id"]] = "\n".join(m["content"] for m in record["messages"]
                                            if m["role"] in ("user", "assistant") and m.get("content"))
            if len(texts) == len(wanted):
                break
    similarities = sorted(len(shingles(texts[a]) & shingles(texts[b])) / len(shingles(texts[a]) | shingles(texts[b]))
                          for a, b in pairs)
    below = sum(1 for s in similarities if s < threshold)
    print(f"pairs {len(similarities)}, below {threshold}: {below} ({100 * below / len(similarities):.0f}%), "
          f"min {similarities[0]:.2f}, median {similarities[len(similarities) // 2]:.2f}")


if __name__ == "__main__":
    main()
