/**
 * The one SHA-256 of the helper's own names: cache entry ids, identity fingerprints, plan
 * hashes, role session names. Hex of the UTF-8 text (FIPS 180-4).
 *
 * Why not `node:crypto`: loading it costs a cache hit about 50 M instructions (7–9 ms here), as
 * much again as the rest of the hit. Why not a library's pure-JS SHA-256 (@noble/hashes, before):
 * a hit runs this code once or twice on a few short strings, in V8's interpreter, where each call
 * of a small helper (a rotation, a choice) costs more than the arithmetic; written flat, as here,
 * a block takes half the instructions (callgrind). It names files and identities, it does not
 * authenticate anything; test/hash/sha256.test.ts holds it to node:crypto on generated input.
 */

/** The first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** The first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const INITIAL = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

export function sha256Hex(text: string): string {
  const message = Buffer.from(text, 'utf8');
  const length = message.length;
  // The message, a 1 bit, zeros, and its length in bits as 64 bits: a whole number of 64-byte blocks.
  const blocks = ((length + 8) >>> 6) + 1;
  const padded = new Uint8Array(blocks * 64);
  padded.set(message);
  padded[length] = 0x80;
  const end = blocks * 64;
  const highBits = Math.floor(length / 0x20000000);
  const lowBits = (length << 3) >>> 0;
  for (let i = 0; i < 4; i++) {
    padded[end - 8 + i] = (highBits >>> (24 - 8 * i)) & 0xff;
    padded[end - 4 + i] = (lowBits >>> (24 - 8 * i)) & 0xff;
  }
  const w = new Int32Array(64);
  const state = Int32Array.from(INITIAL);
  for (let base = 0; base < end; base += 64) {
    for (let i = 0; i < 16; i++) {
      const at = base + i * 4;
      w[i] = ((padded[at]) << 24) | ((padded[at + 1]) << 16) | ((padded[at + 2]) << 8) | (padded[at + 3]);
    }
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15];
      const y = w[i - 2];
      const sigma0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const sigma1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (sigma0 + (w[i - 7]) + sigma1 + (w[i - 16])) | 0;
    }
    let a = state[0];
    let b = state[1];
    let c = state[2];
    let d = state[3];
    let e = state[4];
    let f = state[5];
    let g = state[6];
    let h = state[7];
    for (let i = 0; i < 64; i++) {
      const sum1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + sum1 + ((e & f) ^ (~e & g)) + (K[i]) + (w[i])) | 0;
      const sum0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (sum0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    state[0] = (state[0]) + a;
    state[1] = (state[1]) + b;
    state[2] = (state[2]) + c;
    state[3] = (state[3]) + d;
    state[4] = (state[4]) + e;
    state[5] = (state[5]) + f;
    state[6] = (state[6]) + g;
    state[7] = (state[7]) + h;
  }
  let hex = '';
  for (const word of state) hex += (word >>> 0).toString(16).padStart(8, '0');
  return hex;
}
