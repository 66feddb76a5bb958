#!/usr/bin/env python3
"""Check testdata/revocation_vectors.json against SPEC.md §12 alone, with the
standard library: the issue instant a verifier reads from iat and a
time-ordered jti (§12.1), the subject rule (§12.2) and the loss rule (§12.3).

An independent implementation: it shares no code with the Go package.
Usage: check_revocation_vectors.py VECTORS_JSON. Prints one line per vector;
exits 1 on any disagreement.
"""
import base64
import binascii
import json
import re
import sys

B64URL = re.compile(r"^[A-Za-z0-9_-]{22}$")
JTI_RAW = re.compile(r'"jti"\s*:\s*"((?:[^"\\]|\\.)*)"')


def issued_at_ns(payload: str) -> int:
    claims = json.loads(payload)
    iat = claims["iat"]
    whole = iat * 10**9
    m = JTI_RAW.search(payload)
    if m is None:
        return whole
    raw = m.group(1)
    if "\\" in raw or not B64URL.match(raw):  # an escape, or not 22 base64url characters
        return whole
    try:
        b = base64.urlsafe_b64decode(raw + "==")
    except binascii.Error:
        return whole
    if len(b) != 16 or base64.urlsafe_b64encode(b).rstrip(b"=").decode() != raw:
        return whole  # not canonical: unused bits set
    ns = int.from_bytes(b[:8], "big", signed=True)
    if ns < 0 or ns // 10**9 != iat:
        return whole
    return ns


def subject_revoked(issued_ns: int, not_before_ns: int) -> bool:
    return issued_ns < not_before_ns


def loss_refused(issued_ns: int, lost_ns: int, now_ns: int, max_age_s: int) -> bool:
    return issued_ns < lost_ns and now_ns < lost_ns + max_age_s * 10**9


def main() -> int:
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    failed = total = 0
    for v in doc["issued_at"]:
        got = issued_at_ns(v["payload"])
        ok = got == int(v["issued_at_ns"])
        print("%s issued_at: %s" % ("ok  " if ok else "FAIL", v["name"]))
        failed += not ok
        total += 1
    for v in doc["subject"]:
        ok = subject_revoked(int(v["issued_at_ns"]), int(v["not_before_ns"])) == v["revoked"]
        print("%s subject: %s" % ("ok  " if ok else "FAIL", v["name"]))
        failed += not ok
        total += 1
    for v in doc["loss"]:
        ok = loss_refused(int(v["issued_at_ns"]), int(v["lost_at_ns"]), int(v["now_ns"]), v["max_age_s"]) == v["refused"]
        print("%s loss: %s" % ("ok  " if ok else "FAIL", v["name"]))
        failed += not ok
        total += 1
    print("%d passed, %d failed" % (total - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
