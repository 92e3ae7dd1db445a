// Seeded PRNGs for everything in ml/ that draws random numbers (simulation, GBDT sampling, K-fold
// splits): Math.random cannot be seeded, and the same seed must give the same draws on every runtime.
// Two generators are kept because recorded outputs depend on each: xoshiro128** for the simulators,
// mulberry32 for GBDT row/feature sampling and fold assignment. Runtime-neutral.

const TWO_POW_32 = 4294967296;

/** xoshiro128** seeded through splitmix32: long period, 53-bit uniforms (used by the simulators). */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    // splitmix32 spreads any integer seed (including 0) over the 128-bit state.
    let z = seed >>> 0;
    const next = (): number => {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
      t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
      return (t ^ (t >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // Math.floor(seed / 2^32) also enters, so seeds beyond 32 bits still differ.
    this.s3 = (this.s3 ^ Math.floor(Math.abs(seed) / TWO_POW_32)) >>> 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = rotl(n3, 11);
    return result;
  }

  /** Uniform on the open interval (0, 1) with 53 random bits, so log(u) is always finite. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo + 0.5) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** mulberry32: a function yielding uniform numbers in [0, 1) from a 32-bit seed (small and fast). */
export function createSeededRandom(seed: number): () => number {
  // The state kept as an int32 (the same 32 bits as the usual uint32): one above 2^31 would be
  // held as a double and converted at every step; draws were ~1.5-2x slower (5.4M per CDNOW train).
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32;
  };
}

/** Fisher-Yates shuffle of 0..n-1 driven by the given PRNG. */
export function seededPermutation(n: number, random: () => number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
