// Micro-benchmark of the direct kernel transport (src/kernel/direct), from dist/:
//   cd packages/handler && npx tsc -p tsconfig.build.json && node bench/direct-kernel.mjs
// Prints spawn-to-first-result (launch + the first `1+1`, fresh kernel each run) and warm `1+1`
// round trips. With BENCH_FLOOR=1 it also times the same loop with Debian's jupyter_client, the
// floor. Knobs: BENCH_ITERATIONS (500), BENCH_COLD_RUNS (5), JUPYTER_PYTHON (/usr/bin/python3).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_ITERATIONS ?? 500);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const python = process.env.JUPYTER_PYTHON ?? "/usr/bin/python3";

let DirectKernelLauncher;
let kernelEnvironment;
let stateDirs;
try {
  ({ DirectKernelLauncher } = await import(path.join(here, "../dist/kernel/direct/launcher.js")));
  ({ kernelEnvironment, stateDirs } = await import(path.join(here, "../dist/jupyter/environment.js")));
} catch (err) {
  console.error(`Build first: cd packages/handler && npx tsc -p tsconfig.build.json (${err.message})`);
  process.exit(1);
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), n: s.length };
}
const ms = (x) => `${x.toFixed(2)} ms`;
const line = (label, s) =>
  console.log(`${label.padEnd(28)} p50 ${ms(s.p50)}  p90 ${ms(s.p90)}  p99 ${ms(s.p99)}  (n=${s.n})`);

function newLauncher() {
  const stateRoot = mkdtempSync(path.join(tmpdir(), "jmcp-bench-direct-"));
  const dirs = stateDirs(stateRoot);
  mkdirSync(dirs.work, { recursive: true });
  const launcher = new DirectKernelLauncher({
    python,
    stateRoot,
    baseEnv: kernelEnvironment(process.env, dirs),
  });
  return { launcher, workDir: dirs.work };
}

async function onePlusOne(kernel) {
  let result;
  await kernel.execute({ code: "1+1" }, (m) => {
    if (m.header.msg_type === "execute_result") result = m.content.data["text/plain"];
  });
  if (result !== "2") throw new Error(`unexpected 1+1 result: ${result}`);
}

const { launcher, workDir } = newLauncher();
await launcher.prepare();
try {
  const cold = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const t = performance.now();
    const kernel = await launcher.launch({ workDir, label: `cold${i}` });
    const ready = performance.now() - t;
    await onePlusOne(kernel);
    cold.push(performance.now() - t);
    console.log(`cold run ${i + 1}: launch ${ms(ready)}, spawn to first 1+1 result ${ms(cold.at(-1))}`);
    await kernel.shutdown();
  }
  const c = [...cold].sort((a, b) => a - b);
  console.log(
    `spawn to first result        median ${ms(c[(c.length - 1) >> 1])} over ${c.length} fresh kernels`,
  );

  const kernel = await launcher.launch({ workDir, label: "warm" });
  for (let i = 0; i < 50; i++) await onePlusOne(kernel);
  const samples = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await onePlusOne(kernel);
    samples.push(performance.now() - t);
  }
  line("warm 1+1 (direct, ours)", stats(samples));
} finally {
  await launcher.close();
}

if (process.env.BENCH_FLOOR === "1") {
  // The same loop with jupyter_client: send execute_request, stop at the reply and the idle.
  const floor = `
import json, sys, time, jupyter_client
km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3")
try:
    run = lambda: kc.execute_interactive("1+1", output_hook=lambda m: None, timeout=10)
    for _ in range(50): run()
    out = []
    for _ in range(int(sys.argv[1])):
        t = time.perf_counter(); run(); out.append((time.perf_counter() - t) * 1000)
    print(json.dumps(out))
finally:
    kc.stop_channels(); km.shutdown_kernel(now=True)`;
  const home = mkdtempSync(path.join(tmpdir(), "jmcp-bench-floor-"));
  const out = execFileSync(python, ["-c", floor, String(N)], {
    env: { PATH: process.env.PATH, HOME: home, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
    stdio: ["ignore", "pipe", "ignore"],
    encoding: "utf8",
  });
  line("warm 1+1 (jupyter_client)", stats(JSON.parse(out)));
}
