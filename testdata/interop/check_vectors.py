#!/usr/bin/env python3
"""Recompute testdata/vectors.json from SPEC.md alone, with the standard library.

An independent implementation of the jwtrot v1 derivation: it shares no code
with the Go package, so agreement shows that SPEC.md is enough to interoperate.
Usage: check_vectors.py VECTORS_JSON. Prints one line per vector; exits 1 on
any disagreement.
"""
import hashlib
import hmac
import json
import struct
import sys

LABEL = b"jwtrot/v1 window key"
KEY_SIZE = {"HS256": 32, "HS384": 48, "HS512": 64}


def hkdf_sha256(ikm: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(b"\x00" * 32, ikm, hashlib.sha256).digest()  # empty salt
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def field(b: bytes) -> bytes:
    return struct.pack(">H", len(b)) + b


def info(alg: str, purpose: str, window_seconds: int, index: int) -> bytes:
    return (field(LABEL) + field(alg.encode()) + field(purpose.encode())
            + struct.pack(">Q", window_seconds) + struct.pack(">q", index))


def window_index(unix_seconds: int, window_seconds: int) -> int:
    return unix_seconds // window_seconds  # Python's // is floor division


def main() -> int:
    with open(sys.argv[1]) as f:
        vectors = json.load(f)["vectors"]
    failed = 0
    for v in vectors:
        idx = window_index(v["unix_seconds"], v["window_seconds"])
        i = info(v["alg"], v["purpose"], v["window_seconds"], idx)
        key = hkdf_sha256(bytes.fromhex(v["root_hex"]), i, KEY_SIZE[v["alg"]])
        kid = "%s:%d" % (v["root_id"], idx)
        ok = (idx == v["window_index"] and idx * v["window_seconds"] == v["window_start_unix"]
              and kid == v["kid"] and i.hex() == v["info_hex"] and key.hex() == v["key_hex"])
        print("%s %s" % ("ok  " if ok else "FAIL", v["name"]))
        failed += not ok
    print("%d passed, %d failed" % (len(vectors) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
