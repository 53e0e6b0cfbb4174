/**
 * Randomness comes in through constructors, like time (DESIGN.md rule 5): a seeded source makes a
 * cluster run reproducible (`--seed N`) — generated names, uids, scheduling ties.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
}

/** sfc32, seeded from one integer through splitmix32: small, fast and well distributed. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const splitmix = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return {
    next() {
      const t = (((a + b) >>> 0) + d) >>> 0;
      d = (d + 1) >>> 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) >>> 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) >>> 0;
      return t / 4294967296;
    },
  };
}

/** The host's randomness, for production runs without `--seed`. */
export const mathRandom: Random = { next: () => Math.random() };

/** An integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random.next() * n);
}

/**
 * The strings made here are kept for as long as the objects they name: they are joined from an
 * array, not grown with `+=`, which in V8 leaves a chain of one rope node per character past the
 * thirteenth (about 700 bytes for a UUID, on every stored uid) until something flattens it.
 */

/** `length` characters drawn from `alphabet`. */
export function randomString(random: Random, alphabet: string, length: number): string {
  const out: string[] = [];
  for (let i = 0; i < length; i++) out.push(alphabet[randomInt(random, alphabet.length)]!);
  return out.join('');
}

/** An RFC 4122 version-4 UUID from the given source. */
export function randomUuid(random: Random): string {
  const hex = '0123456789abcdef';
  const out: string[] = [];
  for (let i = 0; i < 32; i++) {
    let digit = randomInt(random, 16);
    if (i === 12) digit = 4;
    if (i === 16) digit = (digit & 0x3) | 0x8;
    out.push(hex[digit]!);
    if (i === 7 || i === 11 || i === 15 || i === 19) out.push('-');
  }
  return out.join('');
}

/**
 * A new, independent stream seeded from `random`: parts that draw at different rates (the
 * registry naming objects, the scheduler breaking ties) each get their own, so one drawing more
 * does not change what the other draws — a seeded cluster names its pods the same way however
 * many events it records.
 */
export function forkRandom(random: Random): Random {
  return seededRandom(Math.floor(random.next() * 4294967296));
}
