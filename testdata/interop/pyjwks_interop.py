#!/usr/bin/env python3
"""jwtrot's Ed25519 window keys with PyJWT and its JWKS client, written from
SPEC.md §3 and §10 (HKDF from check_vectors.py, Ed25519 from cryptography).

    pyjwks_interop.py verify URL < token
        fetch the key named by the token's kid from the JWKS at URL with
        PyJWKClient, verify the token (EdDSA only, exp and iat required) and
        print its sub
    pyjwks_interop.py mint ROOT_ID ROOT_HEX PURPOSE WINDOW SUB [OFFSET]
        print a token for SUB under the current window's kid, signed with the
        key of the window OFFSET windows away (default 0: its own)

WINDOW is in seconds. Errors go to stderr, never with the token, exit 1.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_vectors import hkdf_sha256, info, window_index  # noqa: E402

import jwt  # PyJWT  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402


def verify(url):
    token = sys.stdin.read().strip()
    key = jwt.PyJWKClient(url, cache_keys=False).get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"], options={"require": ["exp", "iat"]})
    print(claims["sub"])


def mint(root_id, root_hex, purpose, window, sub, offset=0):
    now = int(time.time())
    index = window_index(now, window)
    seed = hkdf_sha256(bytes.fromhex(root_hex), info("EdDSA", purpose, window, index + offset), 32)
    key = Ed25519PrivateKey.from_private_bytes(seed)
    claims = {"sub": sub, "iat": now, "exp": now + 600, "lang": "python"}
    print(jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "%s:%d" % (root_id, index), "typ": "JWT"}))


def main(args):
    try:
        if args[:1] == ["verify"] and len(args) == 2:
            verify(args[1])
        elif args[:1] == ["mint"] and len(args) in (6, 7):
            mint(args[1], args[2], args[3], int(args[4]), args[5], int(args[6]) if len(args) == 7 else 0)
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Exception as e:  # the message never holds the token
        print("refused: %s" % type(e).__name__, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
