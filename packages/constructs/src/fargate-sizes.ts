/**
 * The CPU and memory pairs Fargate accepts for a Linux task
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size).
 * Validating CPU and memory apart lets pairs like 256/4096 through to RegisterTaskDefinition, which
 * refuses them at apply; validating the pair stops them at plan.
 */

/** Per CPU size: the smallest memory, the largest, and the step between them (MiB). */
const RANGES: Record<number, [number, number, number] | number[]> = {
  256: [512, 1024, 2048],
  512: [1024, 4096, 1024],
  1024: [2048, 8192, 1024],
  2048: [4096, 16384, 1024],
  4096: [8192, 30720, 1024],
  8192: [16384, 61440, 4096],
  16384: [32768, 122880, 8192],
};

export const FARGATE_CPU = Object.keys(RANGES).map(Number);

function range(cpu: number): number[] {
  const r = RANGES[cpu]!;
  if (cpu === 256) return r;
  const [from, to, step] = r as [number, number, number];
  const out: number[] = [];
  for (let m = from; m <= to; m += step) out.push(m);
  return out;
}

/** The memory sizes Fargate accepts with `cpu` (none for an unknown size). */
export function fargateMemoryFor(cpu: number): number[] {
  return RANGES[cpu] ? range(cpu) : [];
}

/** HCL: `memory` suits `cpu` (both bare expressions, e.g. var.cpu, var.memory). */
export function fargatePairCondition(cpu: string, memory: string): string {
  const entries = FARGATE_CPU.map((c) => {
    if (c === 256) return `"256" = [512, 1024, 2048]`;
    const [from, to, step] = RANGES[c] as [number, number, number];
    return `"${c}" = range(${from}, ${to + 1}, ${step})`;
  });
  return `contains(lookup({ ${entries.join(", ")} }, tostring(${cpu}), []), ${memory})`;
}

/** The table, for error messages and descriptions. */
export const FARGATE_PAIRS_DOC =
  "256 CPU: 512, 1024 or 2048 MiB; 512: 1024-4096 in steps of 1024; 1024: 2048-8192 in steps of 1024; 2048: 4096-16384 in steps of 1024; 4096: 8192-30720 in steps of 1024; 8192: 16384-61440 in steps of 4096; 16384: 32768-122880 in steps of 8192";
