// SPEC.md §2 and §3 in JavaScript: the HKDF info string and the window
// index, shared by interop.mjs and jwks_interop.mjs.

export const LABEL = Buffer.from('jwtrot/v1 window key');

function field(b) {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

export function info(alg, purpose, windowSeconds, index) {
  const tail = Buffer.alloc(16);
  tail.writeBigUInt64BE(BigInt(windowSeconds), 0);
  tail.writeBigInt64BE(BigInt(index), 8);
  return Buffer.concat([field(LABEL), field(Buffer.from(alg)), field(Buffer.from(purpose)), tail]);
}

// Floor division on BigInts: JavaScript's / truncates toward zero.
export function windowIndex(unixSeconds, windowSeconds) {
  const s = BigInt(unixSeconds), w = BigInt(windowSeconds);
  const q = s / w;
  return (s % w !== 0n && s < 0n) ? q - 1n : q;
}
