/**
 * Go's `time.ParseDuration` (a sequence of decimal numbers with units, e.g. "300ms", "1.5h",
 * "2h45m"; units ns, us, µs, ms, s, m, h), the syntax Kubernetes and kubectl use for durations.
 * Returns milliseconds, or an error message worded as Go's.
 */
const UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

export function parseGoDuration(text: string): { ms: number } | { error: string } {
  const invalid = { error: `time: invalid duration ${JSON.stringify(text)}` };
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return { ms: 0 };
  if (rest === '') return invalid;
  let total = 0;
  const part = /^(\d*)(?:\.(\d*))?([a-zµμ]*)/;
  while (rest !== '') {
    const match = part.exec(rest);
    if (!match || (match[1] === '' && (match[2] ?? '') === '')) return invalid;
    const unitName = match[3] ?? '';
    if (unitName === '') return { error: `time: missing unit in duration ${JSON.stringify(text)}` };
    const unit = UNITS[unitName];
    if (unit === undefined) {
      return {
        error: `time: unknown unit ${JSON.stringify(unitName)} in duration ${JSON.stringify(text)}`,
      };
    }
    total += Number(`${match[1] || '0'}.${match[2] ?? ''}0`) * unit;
    rest = rest.slice(match[0].length);
  }
  return { ms: sign * total };
}
