/**
 * A small benchmark harness: runs a function repeatedly after a warm-up and keeps the best and
 * median wall times. These machines are shared and noisy, so every figure is reported beside a
 * baseline measured in the same run, as a ratio.
 */
import { performance } from 'node:perf_hooks';

export interface Timing {
  readonly bestMs: number;
  readonly medianMs: number;
  readonly runs: number;
}

export async function time(fn: () => unknown, options: { warmup?: number; runs?: number } = {}): Promise<Timing> {
  const warmup = options.warmup ?? 3;
  const runs = options.runs ?? 15;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return summarise(samples);
}

/**
 * Times a subject and its baseline in alternation (A, B, A, B …), so that a burst of load from
 * a neighbour on this shared machine hits both alike and their ratio stays meaningful.
 */
export async function timeAgainst(subject: () => unknown, baseline: () => unknown, options: { warmup?: number; runs?: number } = {}): Promise<{ subject: Timing; baseline: Timing }> {
  const warmup = options.warmup ?? 3;
  const runs = options.runs ?? 21;
  for (let i = 0; i < warmup; i++) {
    await subject();
    await baseline();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    let start = performance.now();
    await subject();
    a.push(performance.now() - start);
    start = performance.now();
    await baseline();
    b.push(performance.now() - start);
  }
  return { subject: summarise(a), baseline: summarise(b) };
}

function summarise(samples: number[]): Timing {
  const sorted = [...samples].sort((x, y) => x - y);
  return { bestMs: sorted[0]!, medianMs: sorted[Math.floor(sorted.length / 2)]!, runs: sorted.length };
}

/** One line of bench/results/latest.json. `ratio` is value ÷ baseline (higher is better for rates). */
export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: number | null;
  readonly ratio: number | null;
}

export function result(name: string, value: number, unit: string, baseline?: number): BenchResult {
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return { name, value: round(value), unit, baseline: baseline === undefined ? null : round(baseline), ratio: baseline ? round(value / baseline) : null };
}

export type Suite = () => Promise<BenchResult[]>;
