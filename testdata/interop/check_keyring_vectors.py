#!/usr/bin/env python3
"""Checks testdata/keyring_vectors.json against SPEC.md §11, written again
from the specification with Python's standard library: a strict reader of
the keyring document, the issuing and verifying rules, the earliest
retirement and the next change. Usage: check_keyring_vectors.py FILE."""

import datetime
import json
import re
import sys

TOP = {"jwtrot_keyring", "alg", "window", "skew", "max_age", "iss", "purposes", "reload", "serial", "roots"}
ROOT = {"id", "secret", "ref", "issues", "retires", "revoked", "emergency"}
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")


class Refused(Exception):
    pass


def no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise Refused("a member is named twice: " + k)
        d[k] = v
    return d


def integer(v, name):
    if type(v) is not int:  # bool is an int in Python: refused too
        raise Refused(name + " must be a whole number")
    return v


def string(v, name):
    if type(v) is not str:
        raise Refused(name + " must be a string")
    return v


def instant(v, name):
    string(v, name)
    if not INSTANT.match(v):
        raise Refused(name + ": not an RFC 3339 instant in whole seconds")
    return int(datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp())


def root_text_ok(s):
    """SPEC §1, enough for the vectors: hex of at least 32 bytes, or
    base64 of at least 32 bytes, not all bytes equal."""
    import base64
    import binascii
    s = s.strip(" \t\r\n")
    try:
        if re.fullmatch(r"[0-9a-fA-F]+", s):
            if len(s) % 2:
                return False
            b = bytes.fromhex(s)
        else:
            b = None
            for dec in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    b = dec(s + "=" * (-len(s) % 4))
                    break
                except (binascii.Error, ValueError):
                    pass
            if b is None:
                return False
    except ValueError:
        return False
    return 32 <= len(b) <= 1024 and len(set(b)) > 1


def parse(text):
    try:
        doc = json.loads(text, object_pairs_hook=no_duplicates)
    except ValueError as e:
        if isinstance(e, json.JSONDecodeError):
            raise Refused("not JSON")
        raise
    if type(doc) is not dict:
        raise Refused("not an object")
    for k, v in doc.items():
        if k not in TOP:
            raise Refused("unknown member " + k)
        if v is None:
            raise Refused(k + " is null")
    for k in ("jwtrot_keyring", "alg", "window", "purposes", "roots"):
        if k not in doc:
            raise Refused(k + " is missing")
    if integer(doc["jwtrot_keyring"], "jwtrot_keyring") != 1:
        raise Refused("version")
    if string(doc["alg"], "alg") not in ("HS256", "HS384", "HS512", "EdDSA"):
        raise Refused("alg")
    L = integer(doc["window"], "window")
    if not 1 <= L <= 31536000:
        raise Refused("window")
    k = integer(doc.get("skew", min(30, L // 4)), "skew")
    if not 0 <= k <= L // 4:
        raise Refused("skew")
    max_age = integer(doc.get("max_age", 0), "max_age")
    if "max_age" in doc and max_age <= 0:
        raise Refused("max_age")
    iss = string(doc.get("iss", ""), "iss")
    purposes = doc["purposes"]
    if type(purposes) is not list or not purposes or len(set(map(str, purposes))) != len(purposes):
        raise Refused("purposes")
    for p in purposes:
        if type(p) is not str or not re.fullmatch(r"[\x21-\x7e]{1,64}", p):
            raise Refused("purpose")
    R = integer(doc.get("reload", 30), "reload")
    if R <= 0:
        raise Refused("reload")
    serial = integer(doc.get("serial", 0), "serial")
    if serial < 0:
        raise Refused("serial")
    roots = doc["roots"]
    if type(roots) is not list or len(roots) > 256:
        raise Refused("roots")
    out, seen = [], set()
    for r in roots:
        if type(r) is not dict:
            raise Refused("root is not an object")
        for key, v in r.items():
            if key not in ROOT:
                raise Refused("unknown root member " + key)
            if v is None:
                raise Refused(key + " is null")
        rid = string(r.get("id"), "id") if "id" in r else None
        if rid is None or not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", rid):
            raise Refused("id")
        if rid in seen:
            raise Refused("id twice")
        seen.add(rid)
        revoked = r.get("revoked", False)
        emergency = r.get("emergency", False)
        if type(revoked) is not bool or type(emergency) is not bool:
            raise Refused("revoked/emergency")
        issues = instant(r["issues"], "issues") if "issues" in r else None
        retires = instant(r["retires"], "retires") if "retires" in r else None
        has_secret, has_ref = "secret" in r, "ref" in r
        if has_secret:
            string(r["secret"], "secret")
        if has_ref and not 1 <= len(string(r["ref"], "ref").encode()) <= 1024:
            raise Refused("ref")
        if has_secret and has_ref:
            raise Refused("both secret and ref")
        if not revoked:
            if not has_secret and not has_ref:
                raise Refused("neither secret nor ref")
            if issues is None:
                raise Refused("issues is missing")
            if has_secret and not root_text_ok(r["secret"]):
                raise Refused("secret")
        out.append({"id": rid, "issues": issues, "retires": retires, "revoked": revoked})
    ring = {"L": L, "k": k, "max_age": max_age, "R": R, "roots": out,
            "fleet": {"alg": doc["alg"], "window": L, "skew": k, "max_age": max_age, "iss": iss,
                      "purposes": purposes, "reload": R, "serial": serial}}
    live = [r for r in out if not r["revoked"]]
    if not live:
        raise Refused("no root that is not revoked")
    for r in live:
        if r["retires"] is None:
            continue
        if r["retires"] <= r["issues"]:
            raise Refused("retires not after issues")
        if not max_age:
            raise Refused("retires without max_age")
        e = earliest(ring, r["id"])
        if e is None:
            raise Refused("no successor")
        if r["retires"] < e:
            raise Refused("retires before the earliest retirement")
    return ring


def verifies(ring, r, t):
    return not r["revoked"] and t >= r["issues"] - 2 * ring["L"] and (r["retires"] is None or t < r["retires"])


def issuer(ring, t):
    best = None
    for r in ring["roots"]:
        if r["revoked"] or t < r["issues"] or (r["retires"] is not None and t >= r["retires"]):
            continue
        if best is None or r["issues"] > best["issues"] or (r["issues"] == best["issues"] and r["id"] < best["id"]):
            best = r
    return best["id"] if best else None


def verifying(ring, t):
    first = issuer(ring, t)
    ids = [first] if first else []
    return ids + [r["id"] for r in ring["roots"] if r["id"] != first and verifies(ring, r, t)]


def earliest(ring, rid):
    r = next(x for x in ring["roots"] if x["id"] == rid)
    if r["revoked"] or not ring["max_age"]:
        return None
    later = [s["issues"] for s in ring["roots"] if not s["revoked"] and
             (s["issues"] > r["issues"] or (s["issues"] == r["issues"] and s["id"] < r["id"]))]
    if not later:
        return None
    return min(later) + ring["R"] + ring["k"] + ring["max_age"]


def next_change(ring, t):
    c = []
    for r in ring["roots"]:
        if r["revoked"]:
            continue
        c += [r["issues"] - 2 * ring["L"], r["issues"]] + ([r["retires"]] if r["retires"] is not None else [])
    c = [x for x in c if x > t]
    return min(c) if c else None


def ts(s):
    return None if s is None else int(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())


def main(path):
    vec = json.load(open(path))
    passed = failed = 0

    def check(name, ok):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL:", name)

    for d in vec["documents"]:
        try:
            ring = parse(d["keyring"])
        except Refused as e:
            check(d["name"] + ": accepted (" + str(e) + ")", False)
            continue
        check(d["name"] + ": fleet", ring["fleet"] == d["fleet"])
        for c in d["checks"]:
            t = ts(c["at"])
            check(d["name"] + " at " + c["at"] + ": issuer", issuer(ring, t) == c["issuer"])
            check(d["name"] + " at " + c["at"] + ": verifying", verifying(ring, t) == c["verifying"])
        for rid, want in d["earliest_retirement"].items():
            check(d["name"] + ": earliest retirement of " + rid, earliest(ring, rid) == ts(want))
        for c in d["next_change"]:
            check(d["name"] + ": next change after " + c["after"], next_change(ring, ts(c["after"])) == ts(c["next"]))
    for r in vec["refused"]:
        try:
            parse(r["keyring"])
            check("refused: " + r["name"], False)
        except Refused:
            check("refused: " + r["name"], True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
