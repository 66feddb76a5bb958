#!/usr/bin/env python3
"""jwtrot interop with PyJWT, the key derived from SPEC.md by check_vectors.py.

    pyjwt_interop.py verify ROOT_ID ROOT_HEX PURPOSE ALG WINDOW ISS AUD < token
        verify a jwtrot token; print its claims as JSON
    pyjwt_interop.py mint ROOT_ID ROOT_HEX PURPOSE ALG WINDOW ISS AUD SUB
        print a token for SUB, signed with the current window's key

WINDOW is in seconds. Errors go to stderr, never with the token, exit 1.
"""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_vectors import KEY_SIZE, hkdf_sha256, info, window_index  # noqa: E402

import jwt  # PyJWT  # noqa: E402

KID = re.compile(r"^([A-Za-z0-9_-]{1,16}):(0|-?[1-9][0-9]{0,18})$")


def derive(root_hex, purpose, alg, window, index):
    return hkdf_sha256(bytes.fromhex(root_hex), info(alg, purpose, window, index), KEY_SIZE[alg])


def verify(root_id, root_hex, purpose, alg, window, iss, aud):
    token = sys.stdin.read().strip()
    kid = jwt.get_unverified_header(token).get("kid", "")
    m = KID.match(kid)
    if not m or m.group(1) != root_id:
        raise ValueError("unknown kid")
    index, current = int(m.group(2)), window_index(int(time.time()), window)
    if index not in (current - 1, current, current + 1):
        raise ValueError("kid outside the acceptable windows")
    key = derive(root_hex, purpose, alg, window, index)
    claims = jwt.decode(token, key, algorithms=[alg], issuer=iss, audience=aud,
                        options={"require": ["exp", "iat"]})
    print(json.dumps(claims, sort_keys=True))


def mint(root_id, root_hex, purpose, alg, window, iss, aud, sub):
    now = int(time.time())
    index = window_index(now, window)
    key = derive(root_hex, purpose, alg, window, index)
    claims = {"sub": sub, "iss": iss, "aud": aud, "iat": now, "exp": now + 600, "lang": "python"}
    print(jwt.encode(claims, key, algorithm=alg, headers={"kid": "%s:%d" % (root_id, index)}))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    args[4] = int(args[4])
    try:
        {"verify": verify, "mint": mint}[cmd](*args)
    except Exception as e:  # report the kind, never the token
        print("%s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
