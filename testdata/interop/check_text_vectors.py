#!/usr/bin/env python3
"""Check testdata/text_vectors.json against SPEC.md §1 and §5.3, read anew.

An independent implementation of how jwtrot reads a root's text (§1) and a
token's claims (§5.3), with Python's standard library only: it shares no code
with the Go packages. Usage: check_text_vectors.py TEXT_VECTORS_JSON. Prints
one line per vector; exits 1 on any disagreement.
"""
import base64
import binascii
import json
import re
import sys

HEX = re.compile(r"[0-9a-fA-F]+")
B64CHARS = re.compile(r"[A-Za-z0-9+/\-_=]+")


def read_root(text: str):
    """Returns (root bytes, None) or (None, the §1 rule that refuses)."""
    s = text.strip(" \t\r\n")
    if s == "":
        return None, "empty"
    if s.startswith("\ufeff"):
        return None, "bom"
    if len(s) >= 2 and s[0] in "\"'" and s[-1] == s[0]:
        return None, "quoted"
    if "\r" in s or "\n" in s:
        return None, "line_break"
    if s[:2] in ("0x", "0X") and HEX.fullmatch(s[2:]):
        return None, "0x_prefix"
    if HEX.fullmatch(s):
        if len(s) % 2:
            return None, "odd_hex"
        return check_size(bytes.fromhex(s))
    if not B64CHARS.fullmatch(s):
        return None, "not_an_encoding"
    for alphabet in ("+/", "-_"):
        other = "-_" if alphabet == "+/" else "+/"
        if any(c in s for c in other):
            continue
        body = s.rstrip("=")
        if "=" in body or (len(s) != len(body) and len(s) % 4) or len(body) % 4 == 1:
            continue
        padded = body + "=" * (-len(body) % 4)
        try:
            raw = base64.b64decode(padded, altchars=alphabet.encode(), validate=True)
        except binascii.Error:
            continue
        if base64.b64encode(raw, altchars=alphabet.encode()).decode().rstrip("=") != body:
            continue  # unused bits not zero: not canonical
        if len(raw) < 32:
            return None, "too_short"
        return check_size(raw)
    return None, "bad_base64"


def check_size(b: bytes):
    if len(b) < 32:
        return None, "too_short"
    if len(set(b)) == 1:
        return None, "degenerate"
    return b, None


class Refused(Exception):
    pass


REGISTERED = ("exp", "nbf", "iat", "iss", "sub", "aud", "jti")


def fold(name: str) -> str:
    """Simple case folding, character by character: each character is mapped
    to the smallest of itself and its one-character upper and lower cases,
    repeated until it settles (k, K and the Kelvin sign all give K)."""
    out = []
    for c in name:
        seen = {c}
        frontier = [c]
        while frontier:
            x = frontier.pop()
            for y in (x.upper(), x.lower()):
                if len(y) == 1 and y not in seen:
                    seen.add(y)
                    frontier.append(y)
        out.append(min(seen))
    return "".join(out)


def check_string(s: str):
    for c in s:
        o = ord(c)
        if 0xD800 <= o <= 0xDFFF:
            raise Refused("lone surrogate")
        if 0xFDD0 <= o <= 0xFDEF or o & 0xFFFE == 0xFFFE:
            raise Refused("noncharacter")


def pairs_hook(pairs):
    folded = set()
    for name, _ in pairs:
        check_string(name)
        f = fold(name)
        if f in folded:
            raise Refused("duplicate name")
        folded.add(f)
    return dict(pairs)


def depth(v) -> int:
    if isinstance(v, dict):
        return 1 + max([depth(x) for x in v.values()] + [0])
    if isinstance(v, list):
        return 1 + max([depth(x) for x in v] + [0])
    if isinstance(v, str):
        check_string(v)
    return 0


class Int(int):
    pass


def read_claims(raw: bytes) -> bool:
    try:
        text = raw.decode("utf-8", "strict")
        v = json.loads(text, object_pairs_hook=pairs_hook, parse_int=lambda s: Int(s),
                       parse_float=lambda s: float(s), parse_constant=lambda s: (_ for _ in ()).throw(Refused(s)))
    except (Refused, ValueError, UnicodeDecodeError, RecursionError):
        return False
    try:
        if not isinstance(v, dict) or len(v) > 64 or depth(v) > 32:
            return False
    except Refused:
        return False
    for name in v:
        if fold(name) in [fold(r) for r in REGISTERED] and name not in REGISTERED:
            return False
    for date in ("exp", "nbf", "iat"):
        if date in v:
            x = v[date]
            if not isinstance(x, Int) or isinstance(x, bool) or not 0 <= x <= 253402300799:
                return False
    for s in ("iss", "sub", "jti"):
        if s in v and not isinstance(v[s], str):
            return False
    if "aud" in v:
        a = v["aud"]
        if not (isinstance(a, str) or isinstance(a, list) and len(a) <= 32 and all(isinstance(x, str) for x in a)):
            return False
    return True


def main() -> int:
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    failed = total = 0
    for v in doc["roots"]:
        got, rule = read_root(v["text"])
        ok = (got is not None and got.hex() == v.get("root_hex")) or (got is None and rule == v.get("refused"))
        print("%s root: %s%s" % ("ok  " if ok else "FAIL", v["name"], "" if ok else " (rule %s)" % rule))
        failed += not ok
        total += 1
    for v in doc["payloads"]:
        got = read_claims(base64.b64decode(v["payload_b64"]))
        ok = got == v["accept"]
        print("%s payload: %s" % ("ok  " if ok else "FAIL", v["name"]))
        failed += not ok
        total += 1
    print("%d passed, %d failed" % (total - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
