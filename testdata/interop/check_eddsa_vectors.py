#!/usr/bin/env python3
"""Checks testdata/eddsa_vectors.json against SPEC.md §3, §4, §5 and §10
(with §10.1.1's "jwtrot" member, read strictly),
written from the specification alone: HKDF-SHA256 and the info string from
check_vectors.py (the standard library), Ed25519 from the cryptography
package (Debian: python3-cryptography).

Usage: check_eddsa_vectors.py PATH. Prints "N passed, M failed"; exits 1 on a
failure."""

import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_vectors import hkdf_sha256 as hkdf, info  # noqa: E402  (SPEC §3)

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: E402
    Ed25519PrivateKey, Ed25519PublicKey)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def public(seed):
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def jwk(pub, kid):
    # SPEC §10: members in this order, no white space.
    return '{"kty":"OKP","crv":"Ed25519","x":"%s","kid":%s,"alg":"EdDSA","use":"sig"}' % (
        b64(pub), json.dumps(kid))


def header(kid):
    return '{"alg":"EdDSA","kid":%s,"typ":"JWT"}' % json.dumps(kid)


FLEET_MEMBERS = {  # SPEC §10.1.1: name -> a whole number (True) or a string
    "v": True, "alg": False, "purpose": False, "window": True, "skew": True,
    "max_age": True, "iss": False}


class Refused(Exception):
    pass


def read_fleet(text):
    """Reads a "jwtrot" member strictly (SPEC §10.1.1); raises Refused."""
    def pairs(items):
        names = [k for k, _ in items]
        if len(set(names)) != len(names):
            raise Refused("a member appears twice")
        return dict(items)
    try:
        m = json.loads(text, object_pairs_hook=pairs)
    except ValueError:
        raise Refused("not JSON")
    if not isinstance(m, dict):
        raise Refused("not a JSON object")
    v = m.get("v")
    if type(v) is not int:
        raise Refused("v is not a whole number")
    if v != 1:
        raise Refused("version %d: upgrade" % v)
    for name, value in m.items():
        if name not in FLEET_MEMBERS:
            raise Refused("a member version 1 does not define")
        if FLEET_MEMBERS[name]:
            # bool is an int in Python; 600.0 and 6e2 are floats: all refused.
            if type(value) is not int or value < 0:
                raise Refused("%s is not a whole number of seconds" % name)
        elif not isinstance(value, str):
            raise Refused("%s is not a string" % name)
    for name in ("alg", "purpose", "window", "skew"):
        if name not in m:
            raise Refused("no " + name)
    if m["alg"] != "EdDSA":
        raise Refused("alg is not EdDSA")
    window, skew = m["window"], m["skew"]
    if not 1 <= window <= 366 * 86400:  # rotation.MaxWindow: a leap year
        raise Refused("window out of range")
    if skew * 4 > window:
        raise Refused("skew over a quarter of the window")
    p = m["purpose"]
    if not 1 <= len(p) <= 64 or any(not 0x21 <= ord(c) <= 0x7e for c in p):
        raise Refused("purpose is not 1 to 64 printable ASCII characters")
    if m.get("max_age") == 0:
        raise Refused("max_age 0: leave it out")
    if m.get("iss") == "" or len(m.get("iss", "").encode()) > 256:
        raise Refused("iss empty or over 256 bytes")
    return m


def fleet_member(purpose, window, skew, max_age, iss):
    """Writes the member as SPEC §10.1.1 does: this order, no white space."""
    out = '{"v":1,"alg":"EdDSA","purpose":%s,"window":%d,"skew":%d' % (
        json.dumps(purpose, ensure_ascii=False), window, skew)
    if max_age:
        out += ',"max_age":%d' % max_age
    if iss:
        out += ',"iss":%s' % json.dumps(iss, ensure_ascii=False)
    return out + "}"


def main(path):
    with open(path) as f:
        doc = json.load(f)
    passed = failed = 0

    def check(name, ok):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL:", name)

    keys = {}
    for v in doc["vectors"]:
        root = bytes.fromhex(v["root_hex"])
        inf = info("EdDSA", v["purpose"], v["window_seconds"], v["window_index"])
        seed = hkdf(root, inf, 32)
        pub = public(seed)
        kid = "%s:%d" % (v["root_id"], v["window_index"])
        keys[v["name"]] = (seed, pub, kid)
        check(v["name"] + ": kid", kid == v["kid"])
        check(v["name"] + ": info", inf.hex() == v["info_hex"])
        check(v["name"] + ": seed", seed.hex() == v["seed_hex"])
        check(v["name"] + ": public key", pub.hex() == v["public_key_hex"])
        check(v["name"] + ": jwk", jwk(pub, kid) == v["jwk"])
        if not v["token"]:
            continue
        signing_input = b64(header(kid).encode()) + "." + b64(v["payload"].encode())
        sig = Ed25519PrivateKey.from_private_bytes(seed).sign(signing_input.encode())
        check(v["name"] + ": token", signing_input + "." + b64(sig) == v["token"])

    j = doc["jwks"]
    at, L = j["at_unix"], j["window_seconds"]
    first = at // L - 1
    last = max((at + j["ahead_seconds"]) // L, first + 2)
    members = []
    for rid in j["root_ids"]:
        root = next(bytes.fromhex(v["root_hex"]) for v in doc["vectors"] if v["root_id"] == rid)
        for i in range(first, last + 1):
            seed = hkdf(root, info("EdDSA", j["purpose"], L, i), 32)
            members.append(jwk(public(seed), "%s:%d" % (rid, i)))
    # The "jwtrot" member (SPEC §10.1): the fleet the verifiers share; the
    # vector's Deriver has the default skew, min(30 s, a quarter window).
    skew = j.get("skew_seconds", min(30, L // 4))
    member = '"jwtrot":{"v":1,"alg":"EdDSA","purpose":%s,"window":%d,"skew":%d}' % (json.dumps(j["purpose"]), L, skew)
    check("jwks document", '{"keys":[' + ",".join(members) + "]," + member + "}" == j["document"])

    # The document with the "jwtrot" member (SPEC §10.1.1), if the file has it.
    fl = doc.get("jwks_fleet")
    if fl:
        member = fleet_member(fl["purpose"], fl["window_seconds"], fl["skew_seconds"], fl["max_age_seconds"], fl["iss"])
        check("jwks document with the fleet member",
              '{"keys":[' + ",".join(members) + '],"jwtrot":' + member + "}" == fl["document"])
        try:
            got = read_fleet(json.dumps(json.loads(fl["document"])["jwtrot"]))
            check("fleet member reads back", got["window"] == fl["window_seconds"] and got["skew"] == fl["skew_seconds"]
                  and got.get("max_age", 0) == fl["max_age_seconds"] and got.get("iss", "") == fl["iss"]
                  and got["purpose"] == fl["purpose"])
        except Refused as e:
            check("fleet member reads back (%s)" % e, False)
        for r in fl["refused_members"]:
            try:
                read_fleet(r["member"])
                check("refused member: " + r["name"], False)
            except Refused:
                check("refused member: " + r["name"], True)

    for r in doc["refused"]:
        seed, pub, kid = keys[r["vector"]]
        parts = r["token"].split(".")
        hdr = json.loads(b64d(parts[0]))
        accepted = False
        if hdr.get("alg") == "EdDSA" and hdr.get("kid") == kid and len(parts) == 3 and parts[2]:
            try:
                sig = b64d(parts[2])
                # RFC 8032 §5.1.7: S must be below the group order.
                L_ORDER = 2**252 + 27742317777372353535851937790883648493
                if len(sig) == 64 and int.from_bytes(sig[32:], "little") < L_ORDER:
                    Ed25519PublicKey.from_public_bytes(pub).verify(sig, (parts[0] + "." + parts[1]).encode())
                    accepted = True
            except (InvalidSignature, ValueError):
                pass
        check("refused: " + r["name"], accepted == (r["code"] == ""))

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
