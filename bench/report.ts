/** Shared output of the benchmarks: one aligned table per benchmark. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function format(figure: Figure): string {
  if (figure.unit === 'bool') return figure.value ? 'yes' : 'NO';
  const digits = figure.value >= 100 ? 0 : figure.value >= 10 ? 1 : 2;
  return `${figure.value.toLocaleString('en-US', { maximumFractionDigits: digits })} ${figure.unit}`;
}

export function report(title: string, figures: readonly Figure[]): void {
  const width = Math.max(...figures.map((f) => f.name.length));
  process.stdout.write(`\n${title}\n`);
  for (const figure of figures)
    process.stdout.write(`  ${figure.name.padEnd(width)}  ${format(figure)}\n`);
}
