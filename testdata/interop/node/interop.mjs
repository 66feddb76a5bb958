// jwtrot interop with the jose package, the key derived from SPEC.md with
// crypto.hkdfSync. An implementation independent of the Go one.
//
//   node interop.mjs verify ROOT_ID ROOT_HEX PURPOSE ALG WINDOW ISS AUD < token
//   node interop.mjs mint ROOT_ID ROOT_HEX PURPOSE ALG WINDOW ISS AUD SUB
//   node interop.mjs vectors VECTORS_JSON
//
// WINDOW is in seconds. Errors go to stderr, never with the token, exit 1.
import { hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { info, windowIndex } from './spec.mjs';
import { SignJWT, jwtVerify, decodeProtectedHeader } from 'jose';

const KEY_SIZE = { HS256: 32, HS384: 48, HS512: 64 };
const KID = /^([A-Za-z0-9_-]{1,16}):(0|-?[1-9][0-9]{0,18})$/;

function derive(rootHex, purpose, alg, windowSeconds, index) {
  const i = info(alg, purpose, windowSeconds, index);
  return new Uint8Array(hkdfSync('sha256', Buffer.from(rootHex, 'hex'), Buffer.alloc(0), i, KEY_SIZE[alg]));
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function verify(rootId, rootHex, purpose, alg, windowSeconds, iss, aud) {
  const token = readFileSync(0, 'utf8').trim();
  const m = KID.exec(decodeProtectedHeader(token).kid ?? '');
  if (!m || m[1] !== rootId) throw new Error('unknown kid');
  const index = BigInt(m[2]), current = windowIndex(nowSeconds(), windowSeconds);
  if (index < current - 1n || index > current + 1n) throw new Error('kid outside the acceptable windows');
  const key = derive(rootHex, purpose, alg, windowSeconds, index);
  const { payload } = await jwtVerify(token, key, { algorithms: [alg], issuer: iss, audience: aud, requiredClaims: ['exp', 'iat'] });
  const sorted = Object.fromEntries(Object.entries(payload).sort(([a], [b]) => (a < b ? -1 : 1)));
  console.log(JSON.stringify(sorted));
}

async function mint(rootId, rootHex, purpose, alg, windowSeconds, iss, aud, sub) {
  const now = nowSeconds();
  const index = windowIndex(now, windowSeconds);
  const key = derive(rootHex, purpose, alg, windowSeconds, index);
  const token = await new SignJWT({ lang: 'node' })
    .setProtectedHeader({ alg, kid: `${rootId}:${index}`, typ: 'JWT' })
    .setSubject(sub).setIssuer(iss).setAudience(aud).setIssuedAt(now).setExpirationTime(now + 600)
    .sign(key);
  console.log(token);
}

function vectors(path) {
  const { vectors } = JSON.parse(readFileSync(path, 'utf8'));
  let failed = 0;
  for (const v of vectors) {
    const index = windowIndex(v.unix_seconds, v.window_seconds);
    const i = info(v.alg, v.purpose, v.window_seconds, index);
    const key = Buffer.from(derive(v.root_hex, v.purpose, v.alg, v.window_seconds, index)).toString('hex');
    const ok = index === BigInt(v.window_index) && `${v.root_id}:${index}` === v.kid &&
      i.toString('hex') === v.info_hex && key === v.key_hex;
    if (!ok) { failed++; console.log(`FAIL ${v.name}`); }
  }
  console.log(`${vectors.length - failed} passed, ${failed} failed`);
  if (failed) process.exitCode = 1;
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'vectors') vectors(args[0]);
  else await ({ verify, mint })[cmd](...args);
} catch (e) {
  console.error(`${e.name}: ${e.code ?? e.message}`);
  process.exitCode = 1;
}
