// jwtrot's Ed25519 window keys with the jose package, written from SPEC.md
// §3 and §10 with node:crypto. An implementation independent of the Go one.
//
//   node jwks_interop.mjs verify URL < token
//     verify the token with createRemoteJWKSet(URL) (EdDSA only, exp and
//     iat required); print its sub
//   node jwks_interop.mjs mint ROOT_ID ROOT_HEX PURPOSE WINDOW SUB [OFFSET]
//     print a token for SUB under the current window's kid, signed with the
//     key of the window OFFSET windows away (default 0: its own)
//
// WINDOW is in seconds. Errors go to stderr, never with the token, exit 1.
import { createPrivateKey, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { info, windowIndex } from './spec.mjs';
import { SignJWT, createRemoteJWKSet, jwtVerify } from 'jose';


// The Ed25519 private key of a 32-byte seed: PKCS #8 (RFC 8410) around it.
function privateKey(seed) {
  const prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
  return createPrivateKey({ key: Buffer.concat([prefix, seed]), format: 'der', type: 'pkcs8' });
}

async function verify(url) {
  const token = readFileSync(0, 'utf8').trim();
  const jwks = createRemoteJWKSet(new URL(url));
  const { payload } = await jwtVerify(token, jwks, { algorithms: ['EdDSA'], requiredClaims: ['exp', 'iat'] });
  console.log(payload.sub);
}

async function mint(rootId, rootHex, purpose, windowSeconds, sub, offset) {
  const now = Math.floor(Date.now() / 1000);
  const index = windowIndex(now, windowSeconds);
  const seed = Buffer.from(hkdfSync('sha256', Buffer.from(rootHex, 'hex'), Buffer.alloc(0),
    info('EdDSA', purpose, windowSeconds, index + BigInt(offset)), 32));
  const token = await new SignJWT({ sub, lang: 'node' })
    .setProtectedHeader({ alg: 'EdDSA', kid: `${rootId}:${index}`, typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey(seed));
  console.log(token);
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'verify' && args.length === 1) await verify(args[0]);
  else if (cmd === 'mint' && (args.length === 5 || args.length === 6)) await mint(args[0], args[1], args[2], Number(args[3]), args[4], args[5] ?? '0');
  else { console.error('usage: see the comment at the top of jwks_interop.mjs'); process.exit(2); }
} catch (e) {
  console.error(`refused: ${e.code ?? e.name}`); // never the token
  process.exit(1);
}
