#!/usr/bin/env python3
"""The Python baseline of the export benchmark (issue #12): what a team would write without Winnow.

Reads Winnow JSONL (the demo's logs), writes OpenAI chat fine-tuning JSONL of every interaction as
it is (what `winnow export --format openai-chat --include-unreviewed --redact --dedupe 0.85` does),
with the same redaction patterns run by `re` (validated the same way: Luhn for cards, mod-97 for
IBANs, the SSN ranges) and a plain MinHash (60 permutations of word 3-shingles, 10 bands of 6) for
near-duplicates, each text compared with at most 256 kept ones sharing a band, the most recent
first (as Winnow does). The standard library only: json, re, hashlib.

    bench/baseline_export.py demo.jsonl out.jsonl
"""
import hashlib
import json
import re
import sys

EMAIL = r"[A-Za-z0-9._%+\-\u0080-\U0010FFFF]+@(?:[A-Za-z0-9\-\u0080-\U0010FFFF]+\.)+[A-Za-z\u0080-\U0010FFFF]{2,63}"
PATTERNS = [
    ("<EMAIL>", re.compile(EMAIL), None),
    ("<PHONE>", re.compile(r"\+\d{1,3}(?:[ .\-]?\(?\d{1,4}\)?){2,6}|(?:\(\d{3}\) ?|\b\d{3}[ .\-])\d{3}[ .\-]\d{4}\b"), None),
    ("<CARD>", re.compile(r"\b\d(?:[ \-]?\d){12,18}\b"), "luhn"),
    ("<IBAN>", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}"), "iban"),
    ("<US_SSN>", re.compile(r"\b\d{3}[\- ]\d{2}[\- ]\d{4}\b"), "ssn"),
    ("<IP>", re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "ipv4"),
    ("<AWS_ACCESS_KEY>", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b"), None),
    ("<GITHUB_TOKEN>", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,255})"), None),
    ("<SLACK_TOKEN>", re.compile(r"\bxox[abposr]-[0-9A-Za-z][0-9A-Za-z\-]{8,}"), None),
    ("<JWT>", re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{10,}"), None),
    ("<PRIVATE_KEY>", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?s:.*?-----END [A-Z ]*PRIVATE KEY-----)?"), None),
]


def luhn(text):
    digits = [int(c) for c in text if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban(text):
    s = text.replace(" ", "")
    rearranged = s[4:] + s[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def ssn(text):
    d = re.sub(r"\D", "", text)
    area, group, serial = d[:3], d[3:5], d[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def ipv4(text):
    return all(0 <= int(p) <= 255 for p in text.split("."))


CHECKS = {"luhn": luhn, "iban": iban, "ssn": ssn, "ipv4": ipv4}


def redact(text, counts):
    if not text:
        return text
    for token, pattern, check in PATTERNS:
        def replace(match):
            if check and not CHECKS[check](match.group(0)):
                return match.group(0)
            counts[token] = counts.get(token, 0) + 1
            return token
        text = pattern.sub(replace, text)
    return text


# A plain MinHash: 60 hash functions (a * h + b) mod p over each shingle's 64-bit hash.
PRIME = (1 << 61) - 1
PERMUTATIONS = [((i * 0x9E3779B97F4A7C15 + 1) % PRIME, (i * 0xBF58476D1CE4E5B9 + 7) % PRIME) for i in range(60)]
WORD = re.compile(r"[A-Za-z0-9\u0080-\U0010FFFF]+")


def signature(text):
    words = [w.lower() for w in WORD.findall(text)]
    shingles = {" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))}
    hashes = [int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little") for s in shingles]
    return tuple(min((a * h + b) % PRIME for h in hashes) for a, b in PERMUTATIONS)


def main():
    source, target = sys.argv[1], sys.argv[2]
    buckets = {}
    kept = []
    counts = {}
    written = removed = 0
    with open(source, encoding="utf-8") as lines, open(target, "w", encoding="utf-8") as out:
        for line in lines:
            record = json.loads(line)
            calls = {}
            for call in record.get("tool_calls", []) or []:
                calls.setdefault(call.get("message_index"), []).append(call)
            messages = []
            text = []
            for i, m in enumerate(record.get("messages", [])):
                role = m.get("role")
                content = m.get("content")
                if isinstance(content, str):
                    content = redact(content, counts)
                turn = {"role": role, "content": content}
                if role in ("user", "assistant") and content:
                    text.append(content)
                if role == "assistant" and m.get("tool_calls"):
                    turn["tool_calls"] = [{"id": c.get("id"), "type": "function",
                                           "function": {"name": c["function"]["name"],
                                                        "arguments": redact(c["function"]["arguments"]
                                                                            if isinstance(c["function"]["arguments"], str)
                                                                            else json.dumps(c["function"]["arguments"]), counts)}}
                                          for c in m["tool_calls"]]
                if m.get("tool_call_id"):
                    turn["tool_call_id"] = m["tool_call_id"]
                if role in ("system", "user", "assistant", "tool"):
                    messages.append(turn)
            sig = signature("\n".join(text))
            keys = [(band, sig[band * 6:(band + 1) * 6]) for band in range(10)]
            duplicate = False
            seen = set()
            for key in keys:
                # The most recent kept first, at most 256 in all: what Winnow compares.
                for other in reversed(buckets.get(key, ())):
                    if other in seen:
                        continue
                    if len(seen) == 256:
                        break
                    seen.add(other)
                    if sum(x == y for x, y in zip(sig, kept[other])) >= 51:
                        duplicate = True
                        break
                if duplicate:
                    break
            if duplicate:
                removed += 1
                continue
            index = len(kept)
            kept.append(sig)
            for key in keys:
                buckets.setdefault(key, []).append(index)
            out.write(json.dumps({"messages": messages}, ensure_ascii=False) + "\n")
            written += 1
    print(json.dumps({"written": written, "removed": removed, "redactions": counts}))


if __name__ == "__main__":
    main()
