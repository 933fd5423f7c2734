#!/usr/bin/env python3
"""Writes tests/data/pii_corpus.jsonl: sentences with their personal data and secrets marked.

Each line: {"text": "...", "spans": [{"entity": "card", "start": 10, "end": 29}]}, offsets in code
points. Values come from public test sets (the card networks' test numbers, the IBAN registry's
examples, RFC 5737 and RFC 3849 documentation addresses, the 555-01xx fictional phone range, AWS's
documentation key) or are made valid by their checksum; the hard negatives are the look-alikes real
logs are full of: order and ticket numbers, dates and times, version strings, hashes, ids that
pass no checksum, phone-shaped ids glued to a prefix, and one digit off a valid number.

Also written in: formats the detectors do not take on purpose (an SSN without delimiters, a phone
without a country code outside North America), as positives: they count against recall, and
bench/RESULTS.md names them.

The same seed writes the same file: python3 tools/make-pii-corpus.py > tests/data/pii_corpus.jsonl
"""
import json
import random

random.seed(20261130)

CARDS = ["4111111111111111", "4012888888881881", "5555555555554444", "5105105105105100", "2223003122003222",
         "378282246310005", "371449635398431", "6011111111111117", "6011000990139424", "3530111333300000",
         "3566002020360505", "30569309025904", "38520000023237", "6200000000000005", "4000056655665556",
         "5200828282828210", "4242424242424242"]
IBANS = ["DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606", "NL91ABNA0417164300",
         "BE68539007547034", "CH9300762011623852957", "ES9121000418450200051332", "IT60X0542811101000000123456",
         "NO9386011117947", "PL61109010140000071219812874", "SE4550000000058398257466", "AT611904300234573201",
         "DK5000400440116243", "FI2112345600000785", "IE29AIBK93115212345678", "PT50000201231234567890154",
         "SA0380000000608010167519", "BR1800360305000010009795493C1", "UA213223130000026007233566001",
         "RU0204452560040702810412345678901", "MT84MALT011000012345MTLCAST001S", "LC55HEMM000100010012001200023015"]
EMAILS = ["jane.doe@example.com", "j.smith+billing@mail.example.org", "support@example.co.uk", "josé@exämple.de",
          "o.brien@example.ie", "user_42@sub.example.net", "first.last@example.travel", "ana@例子.广告",
          "a.b-c@example-domain.com", "ceo@startup.io"]
PHONES = ["+1 415-555-0132", "+1 (415) 555-0177", "(212) 555-0145", "415.555.0199", "+44 20 7946 0958",
          "+49 30 901820", "+33 1 42 68 53 00", "+61 2 9374 4000", "+1-646-555-0110", "646-555-0123"]
IPS = ["203.0.113.7", "198.51.100.23", "192.0.2.146", "10.0.0.1", "2001:db8::1", "2001:db8:85a3::8a2e:370:7334",
       "fe80::1ff:fe23:4567:890a", "::1"]
URLS = ["https://example.com/account?id=42", "http://intranet.example.org/wiki/Refunds",
        "https://docs.example.com/api/v2/orders", "www.example.net/help", "https://example.com/a_(b)"]
SECRETS = [("aws_access_key", "AKIAIOSFODNN7EXAMPLE"), ("aws_access_key", "ASIAY34FZKBOKMUTVV7A"),
           ("github_token", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
           ("github_token", "gho_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"),
           ("slack_token", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
           ("jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
                   "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")]


def ssn():
    while True:
        area = random.randint(1, 899)
        if area != 666:
            break
    return "%03d-%02d-%04d" % (area, random.randint(1, 99), random.randint(1, 9999))


def spaced_card(number):
    sep = random.choice([" ", "-", ""])
    if len(number) == 15:
        parts = [number[:4], number[4:10], number[10:]]
    else:
        parts = [number[i:i + 4] for i in range(0, len(number), 4)]
    return sep.join(parts)


def grouped_iban(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if random.random() < 0.5 else iban


POSITIVE_TEMPLATES = {
    "card": ["My card number is {}.", "Charge {} please", "card: {} exp 12/27", "I paid with {} yesterday"],
    "iban": ["Send it to {} today.", "IBAN: {}", "my account is {} at the bank", "Wire to {}, reference 12"],
    "email": ["You can reach me at {}.", "email: {}", "Contact <{}> for details", "cc {} on the ticket"],
    "phone": ["Call me on {}.", "my number is {}", "phone: {} (mobile)", "text {} after 6pm"],
    "us_ssn": ["SSN {}", "my social is {}.", "Social Security number: {}", "ssn={} on the form"],
    "ip": ["the server at {} is down", "login from {} blocked", "ping {}", "Client IP: {}."],
    "url": ["see {} for more", "Docs: {}", "open {} in a browser.", "link ({})"],
}
SECRET_TEMPLATES = ["export KEY={}", "token: {}", "use {} to authenticate", "Authorization: Bearer {}"]

NEGATIVES = [
    "Order ORD-4111111111111111 shipped on 2026-11-20.", "Your order number is 123456789012.",
    "Invoice INV-2026-000431 is due 2026-12-01.", "Ticket INC-415-555-0132 was escalated.",
    "Tracking 1Z999AA10123456784 arrives Friday.", "Version 1.2.3.4 fixes the crash.",
    "Upgrade to v10.0.0.1 before Monday.", "Build 2026.11.30.1402 is live.", "The meeting is at 12:30:45 UTC.",
    "It happened on 30/11/2026 at 14:02.", "Reference 000-12-3456 is not valid.", "Case 666-12-3456 was closed.",
    "Serial 900-12-3456 belongs to the router.", "Card 4111 1111 1111 1112 was declined.",
    "The IBAN DE89 3704 0044 0532 0130 01 looks wrong.", "Account GB82WEST12345698765431 does not exist.",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 reverted it", "request id 550e8400-e29b-41d4-a716-446655440000",
    "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "Price: $1,234.56 per year.",
    "Growth was 12.5% in Q3 2026.", "ZIP 94103 and 10001-1234.", "Call extension 4432.", "Room 101, floor 3.",
    "the @example handle on social media", "user at example dot com", "ghp_short is not a token",
    "AKIAIOSFODNN7EXAMPL is too short", "xoxb- is only a prefix", "-----BEGIN PUBLIC KEY-----",
    "eyJub3QiOiJhIHRva2VuIn0.eyJhIjoxfQ.notatokenatall", "http://localhost:8080 is local",
    "Pi is 3.14159265358979", "The ratio was 1:2:3 in the test.", "Score 98-100-97 across three runs.",
    "Flight BA 2490 departs 07:45.", "SKU 5105-1051-0510-5106 is out of stock.",
    "Model gpt-4.1-mini answered in 1,234 ms.", "Tokens: 4,096 in, 512 out.", "Agent 3.2.0 replaced 3.1.0.",
    "Use the 192.168 prefix for the lab.", "Error E-2026-11-30-0042 was logged.",
    "Policy 2026/11/30-7 applies.", "Step 1.1.1.1.1 of the runbook.", "Batch 555-01-2345-678 was processed.",
]

MISSED = [  # formats the detectors do not take on purpose (they count against recall)
    ("us_ssn", "SSN 536221234 on file"), ("phone", "UK office: 020 7946 0958"),
    ("phone", "Ruf mich an: 030 901820"), ("email", "mail \"john smith\"@example.com please"),
]


def sentence_with(entity, value, template):
    text = template.format(value)
    start = text.index(value)
    return {"text": text, "spans": [{"entity": entity, "start": start, "end": start + len(value)}]}


def main():
    lines = []
    for _ in range(20):
        for entity, values in [("card", [spaced_card(c) for c in CARDS]), ("iban", [grouped_iban(i) for i in IBANS]),
                               ("email", EMAILS), ("phone", PHONES), ("us_ssn", [ssn() for _ in range(10)]),
                               ("ip", IPS), ("url", URLS)]:
            value = random.choice(values)
            lines.append(sentence_with(entity, value, random.choice(POSITIVE_TEMPLATES[entity])))
    for entity, value in SECRETS:
        for template in SECRET_TEMPLATES:
            lines.append(sentence_with(entity, value, template))
    # Sentences with two entities.
    for _ in range(60):
        a, b = random.choice(EMAILS), random.choice(PHONES)
        text = "Reach me at {} or on {}.".format(a, b)
        lines.append({"text": text, "spans": [
            {"entity": "email", "start": text.index(a), "end": text.index(a) + len(a)},
            {"entity": "phone", "start": text.index(b), "end": text.index(b) + len(b)}]})
    # Every card, IBAN and phone once more, so that each value is tried.
    for c in CARDS:
        lines.append(sentence_with("card", spaced_card(c), "Card on file: {}."))
    for i in IBANS:
        lines.append(sentence_with("iban", grouped_iban(i), "Pay to {} please."))
    for p in PHONES:
        lines.append(sentence_with("phone", p, "Phone {} anytime."))
    for ip in IPS:
        lines.append(sentence_with("ip", ip, "Seen from {} twice."))
    key = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq0\n-----END RSA PRIVATE KEY-----")
    lines.append(sentence_with("private_key", key, "here is my key:\n{}\nthanks"))
    for text in NEGATIVES:
        lines.append({"text": text, "spans": []})
    for prefix in ["Note: ", "FYI ", "Agent said: ", "(internal) "]:
        for text in NEGATIVES:
            lines.append({"text": prefix + text, "spans": []})
    for entity, text in MISSED:
        value = {"us_ssn": "536221234", "phone": text.split(": ")[-1], "email": "\"john smith\"@example.com"}[entity]
        if entity == "phone" and "Ruf" in text:
            value = "030 901820"
        start = text.index(value)
        lines.append({"text": text, "spans": [{"entity": entity, "start": start, "end": start + len(value)}]})
    for line in lines:
        print(json.dumps(line, ensure_ascii=False))


main()
