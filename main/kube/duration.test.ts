import { describe, expect, it } from 'vitest';
import { parseGoDuration } from './duration';

describe('parseGoDuration', () => {
  it('reads the forms Go accepts', () => {
    expect(parseGoDuration('40s')).toEqual({ ms: 40_000 });
    expect(parseGoDuration('1h30m')).toEqual({ ms: 5_400_000 });
    expect(parseGoDuration('1.5h')).toEqual({ ms: 5_400_000 });
    expect(parseGoDuration('300ms')).toEqual({ ms: 300 });
    expect(parseGoDuration('.5s')).toEqual({ ms: 500 });
    expect(parseGoDuration('0')).toEqual({ ms: 0 });
    expect(parseGoDuration('-2m')).toEqual({ ms: -120_000 });
  });

  it('words errors as Go does', () => {
    expect(parseGoDuration('5')).toEqual({ error: 'time: missing unit in duration "5"' });
    expect(parseGoDuration('5d')).toEqual({ error: 'time: unknown unit "d" in duration "5d"' });
    expect(parseGoDuration('')).toEqual({ error: 'time: invalid duration ""' });
    expect(parseGoDuration('m')).toEqual({ error: 'time: invalid duration "m"' });
  });
});
