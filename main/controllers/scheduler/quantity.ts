/**
 * Resource quantities as the scheduler reads them (k8s.io/apimachinery/pkg/api/resource:
 * `ParseQuantity`, `Quantity.Value`, `Quantity.MilliValue`): a decimal number with a binary
 * (Ki … Ei), decimal (n, u, m, k, M … E) or exponent (e3) suffix. `Value` and `MilliValue` round
 * up, as upstream's `ScaledValue` does. Exact arithmetic on BigInt so `0.1` CPU is 100m, not 99.
 *
 * Kept in the scheduler's folder for now; it is pure and could move to `main/kube` for others.
 */

const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

const BINARY: Readonly<Record<string, number>> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};

const DECIMAL: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

function parse(text: string): Rational | undefined {
  const match = QUANTITY.exec(text.trim());
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = '', suffix = ''] = match;
  if (whole === '' && fraction === '') return undefined;
  let num = BigInt(`${whole}${fraction}` || '0');
  let den = 10n ** BigInt(fraction.length);
  if (sign === '-') num = -num;
  if (suffix in BINARY) {
    num *= 2n ** BigInt(BINARY[suffix]!);
  } else {
    const exponent = suffix in DECIMAL ? DECIMAL[suffix]! : Number(suffix.slice(1));
    if (exponent >= 0) num *= 10n ** BigInt(exponent);
    else den *= 10n ** BigInt(-exponent);
  }
  return { num, den };
}

/** Ceiling division for a positive denominator. */
function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den > 0n ? q + 1n : q;
}

/** `Quantity.Value()`: the quantity rounded up to an integer (0 when it does not parse). */
export function quantityValue(value: unknown): number {
  if (typeof value === 'number') return Math.ceil(value);
  if (typeof value !== 'string') return 0;
  const q = parse(value);
  return q ? Number(ceilDiv(q.num, q.den)) : 0;
}

/** `Quantity.MilliValue()`: thousandths, rounded up (CPU is counted in millicores). */
export function quantityMilliValue(value: unknown): number {
  if (typeof value === 'number') return Math.ceil(value * 1000);
  if (typeof value !== 'string') return 0;
  const q = parse(value);
  return q ? Number(ceilDiv(q.num * 1000n, q.den)) : 0;
}
