#!/usr/bin/env python3
"""An OAuth 2.0 client credentials client (RFC 6749 §4.4) written with
requests and PyJWT only, against httpauth.NewClientCredentialsHandler.

    oauth_client.py TOKEN_URL JWKS_URL API_URL

The client's id and secret come from the environment, OAUTH_CLIENT_ID and
OAUTH_CLIENT_SECRET. It gets a token with HTTP Basic (id and secret each
form-urlencoded first, RFC 6749 §2.3.1: requests' auth=(id, secret) alone
does not do that), verifies it with PyJWKClient from JWKS_URL (EdDSA, aud
"api"), calls API_URL with it, gets one more with the client_id and
client_secret form parameters, and checks that a wrong secret gets 401
invalid_client with a Basic challenge. It prints one line per step; errors
go to stderr, never with a token or the secret, exit 1.
"""
import os
import sys
from urllib.parse import quote_plus

import jwt  # PyJWT
import requests


def fail(msg):
    raise SystemExit("failed: " + msg)


def token_response(resp, scope):
    if resp.status_code != 200:
        fail("token endpoint answered %d" % resp.status_code)
    if resp.headers.get("Cache-Control") != "no-store" or resp.headers.get("Pragma") != "no-cache":
        fail("the token response may be cached")
    body = resp.json()
    if body.get("token_type") != "Bearer" or not isinstance(body.get("expires_in"), int) or body.get("scope") != scope:
        fail("the token response is not RFC 6749 §5.1's: %s" % sorted(body))
    return body["access_token"]


def main(token_url, jwks_url, api_url):
    cid, secret = os.environ["OAUTH_CLIENT_ID"], os.environ["OAUTH_CLIENT_SECRET"]
    data = {"grant_type": "client_credentials", "scope": "read"}

    resp = requests.post(token_url, data=data, auth=(quote_plus(cid), quote_plus(secret)), timeout=10)
    token = token_response(resp, "read")
    key = jwt.PyJWKClient(jwks_url, cache_keys=False).get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"], audience="api",
                        options={"require": ["exp", "iat", "sub", "jti"]})
    if claims["sub"] != cid or claims["client_id"] != cid or claims["scope"] != "read":
        fail("the token's claims are not the grant's")
    print("basic: token verified by PyJWT, expires_in %d" % resp.json()["expires_in"])

    api = requests.get(api_url, headers={"Authorization": "Bearer " + token}, timeout=10)
    if api.status_code != 200 or api.text != cid:
        fail("the API answered %d" % api.status_code)
    print("api: 200")

    resp = requests.post(token_url, data=dict(data, client_id=cid, client_secret=secret), timeout=10)
    token = token_response(resp, "read")
    print("form: token")

    resp = requests.post(token_url, data=data, auth=(quote_plus(cid), quote_plus(secret + "x")), timeout=10)
    challenge = resp.headers.get("WWW-Authenticate", "")
    if resp.status_code != 401 or resp.json().get("error") != "invalid_client" or not challenge.startswith("Basic "):
        fail("a wrong secret got %d" % resp.status_code)
    print("wrong secret: 401 invalid_client")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        main(*sys.argv[1:])
    except SystemExit:
        raise
    except Exception as e:  # the message never holds the token
        print("refused: %s" % type(e).__name__, file=sys.stderr)
        sys.exit(1)
