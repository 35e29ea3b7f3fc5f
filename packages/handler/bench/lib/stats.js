// Percentiles, timing loops and the few formatting helpers the bench tables share.

/** p50/p90/p99 by nearest rank (for 50 samples p99 is the maximum). */
export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s.at(-1), n: s.length };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}

/** Runs `fn(i)` `warmup` times untimed, then `n` times timed; returns stats in ms. */
export async function timeLoop(fn, n, warmup = 20) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(warmup + i);
    samples.push(performance.now() - t);
  }
  return stats(samples);
}

/** A number right-aligned in `width`, or "n/a". */
export const num = (x, digits = 2, width = 8) =>
  (Number.isFinite(x) ? x.toFixed(digits) : "n/a").padStart(width);

export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);

export const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : "n/a");

export const mib = (kib) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(0)} MiB` : "n/a");

/** Why something could not be measured, short enough for one table cell. */
export const reason = (err) =>
  String(err instanceof Error ? err.message : err)
    .split("\n")[0]
    .slice(0, 160);
