// `pnpm bench` for the handler. In ONE run, side by side: the ZMQ floor (jupyter_client straight
// to ipykernel), the original's design (bench/original.py), and ours (HTTP, in-process Fetch
// handler, Lambda handler; the HTTP server in both protocol eras, and "today's": the server built
// from an earlier revision, BENCH_BASELINE_REV), warm and cold; then 8 callers at once on named tokens, and the
// memory of each server's whole process tree; then sessions (sessions.js: checkpoint, restore and
// re-run of 1 MB to 1 GB namespaces, the incremental checkpoint, what a warm call pays with
// sessions on). Targets are printed as PASS/MISS; a miss never fails the run (machines are noisy).
// Writes .bench/run.json.
//
//   BENCH_ITERATIONS (200)  warm calls per path, after 20 warm-up calls
//   BENCH_COLD_RUNS (3)     cold starts per server
//   BENCH_CALLERS (8), BENCH_CALLS (50)
//   BENCH_SESSIONS (1)      0 skips the session figures; their own knobs are in sessions.js
//   BENCH_BASELINE_REV (4c6fdaf)  "today's" server (built once into .bench/baseline-<rev>/); "" skips it
//   BENCH_BUILD_ITERATIONS (2000) timed McpServer builds (and in-process exchanges) each
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { manyCallers } from "./lib/callers.js";
import { baseline, DEFAULT_BASELINE_REV } from "./lib/baseline.js";
import { MODERN, keepAliveClient } from "./lib/client.js";
import { fetchHandler, lambdaHandler, lambdaInit } from "./lib/in-process.js";
import { mcpBuildCost } from "./lib/mcp-build.js";
import { coldStart, dist, original, originalNoDelay, ours } from "./lib/servers.js";
import { sessionBench, sessionReport } from "./sessions.js";
import { median, mib, num, ratio, reason, times } from "./lib/stats.js";
import { coldFloor, httpBlock, interleave, startFloor } from "./lib/warm.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_ITERATIONS ?? 200);
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 3);
const CALLERS = Number(process.env.BENCH_CALLERS ?? 8);
const CALLS = Number(process.env.BENCH_CALLS ?? 50);
const BASELINE_REV = process.env.BENCH_BASELINE_REV ?? DEFAULT_BASELINE_REV;
const BUILDS = Number(process.env.BENCH_BUILD_ITERATIONS ?? 2000);
const python = process.env.JUPYTER_PYTHON ?? "/usr/bin/python3";
const hasFlask = (() => {
  try {
    execFileSync(python, ["-c", "import flask"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
// bench/original.py serves with Flask itself when Debian's python3-flask is installed.
const ORIGINAL_LABEL = hasFlask
  ? "original's design: Flask (werkzeug threaded server) + jupyter_client"
  : "original's design: stdlib http.server + jupyter_client; Flask not installed (apt-get install python3-flask)";

/** Runs one measurement; a failure becomes `{ error }` so the other figures still print. */
async function attempt(label, fn) {
  process.stderr.write(`bench: ${label}...\n`);
  try {
    return await fn();
  } catch (err) {
    process.stderr.write(`bench: ${label} failed: ${err.message}\n`);
    return { error: reason(err) };
  }
}

// "today's" server, built (or found in .bench/) before anything is timed: the build loads the machine.
const today = BASELINE_REV
  ? await attempt(`baseline ${BASELINE_REV}`, () =>
      baseline(BASELINE_REV, (line) => process.stderr.write(`bench: ${line}\n`)),
    )
  : { error: "skipped (BENCH_BASELINE_REV is empty)" };
const todayName = today.error
  ? `today's (${BASELINE_REV || "none"}): HTTP server`
  : `today's (${today.sdk}, ${today.short}): HTTP server`;

// Cold starts alternate between the two servers; the last of each stays up for the warm figures.
const cold = await attempt("cold starts", async () => {
  const runs = { original: [], ours: [], floor: [], floorKernel: [] };
  const kept = {};
  for (let i = 0; i < RUNS; i++) {
    const f = await coldFloor();
    runs.floor.push(f.ms);
    runs.floorKernel.push(f.kernelMs);
    for (const [name, server, token] of [
      ["original", original, undefined],
      ["ours", ours, "bench-token"],
    ]) {
      const r = await coldStart(server, { token });
      runs[name].push(r.ms);
      if (kept[name]) await kept[name].stop();
      kept[name] = r;
    }
  }
  return { runs, kept };
});
// Started like ours, same token; a failure only takes its own row.
let todayUp;
const todayStart = today.error
  ? today
  : await attempt(`${todayName} start`, async () => {
      todayUp = await coldStart(today.server, { token: "bench-token" });
      return { ms: todayUp.ms };
    });
const warm = await attempt("warm 1+1, interleaved", async () => {
  const floorProc = await startFloor();
  const noDelay = await coldStart(originalNoDelay);
  // The 2026-07-28 calls go to the same server process (and so the same kernel) as the 2025-era ones.
  const modern = cold.kept && keepAliveClient(cold.kept.ours.url, { token: "bench-token", era: MODERN });
  try {
    const { kept } = cold;
    if (!kept) throw new Error(`no servers up: ${cold.error}`);
    return await interleave(
      {
        floor: floorProc.block,
        original: httpBlock(kept.original.client),
        originalNoDelay: httpBlock(noDelay.client),
        ours: httpBlock(kept.ours.client),
        oursModern: httpBlock(modern),
        ...(todayUp ? { today: httpBlock(todayUp.client) } : {}),
      },
      N,
    );
  } finally {
    modern?.close();
    await Promise.all([
      floorProc.stop(),
      noDelay.stop(),
      cold.kept?.original.stop(),
      cold.kept?.ours.stop(),
      todayUp?.stop(),
    ]);
  }
});
const floor = warm.floor ?? warm;
const orig = { colds: cold.runs?.original, memory: cold.kept?.original.memory, warm: warm.original ?? warm };
const origNoDelay = warm.originalNoDelay ?? warm;
const mine = { colds: cold.runs?.ours, memory: cold.kept?.ours.memory, warm: warm.ours ?? warm };
const mineModern = warm.oursModern ?? warm;
const todayWarm = todayStart.error ? todayStart : (warm.today ?? warm);
// What a server pool would save per request: createMcpServer alone, ours and today's build.
const builds = await attempt("McpServer build", async () => ({
  ours: await mcpBuildCost(dist, BUILDS),
  today: today.error
    ? { error: today.error }
    : await mcpBuildCost(today.dist, BUILDS).catch((e) => ({ error: reason(e) })),
}));
const callers = await attempt(`${CALLERS} callers`, () => manyCallers({ callers: CALLERS, calls: CALLS }));
const inits = await attempt("Lambda init", async () => {
  const xs = [];
  for (let i = 0; i < RUNS; i++) xs.push(await lambdaInit());
  return xs;
});
const inProcess = await attempt("Fetch handler in-process", () => fetchHandler(N));
const lambda = await attempt("Lambda handler in-process", () => lambdaHandler(N));
const sessions =
  process.env.BENCH_SESSIONS === "0"
    ? { error: "skipped (BENCH_SESSIONS=0)" }
    : await attempt("sessions", () => sessionBench());

// ---------------------------------------------------------------------------------------------
const out = [];
const say = (line = "") => out.push(line);
const verdict = (ok) => (ok === undefined ? "n/a " : ok ? "PASS" : "MISS");
const err = (r) => (r?.error ? `  (not measured: ${r.error})` : "");

say(`jupyter-mcp bench: node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}`);
say(`  original = ${ORIGINAL_LABEL} (bench/original.py)`);
say(`  floor    = jupyter_client execute_request -> iopub idle of that request (bench/floor.py)`);
say();
say(`warm execute_code of 1+1 (ms): ${N} calls per path after 20 warm-up calls; the first six`);
say("interleaved in blocks of 20, rotating, so load on the machine hits them alike; both eras of ours");
say("go to one server process (one kernel), keep-alive client each");
say(`${"path".padEnd(44)}     p50      p90      p99   /floor  /original   /today`);
const warmRows = [
  ["floor: jupyter_client over ZMQ", floor],
  ["original: HTTP, same client (server closes)", orig.warm ?? orig],
  ["  the same with TCP_NODELAY (context only)", origNoDelay.warm ?? origNoDelay],
  [todayName, todayWarm],
  ["ours: HTTP server, 2025-era request", mine.warm ?? mine],
  [`ours: HTTP server, ${MODERN} request`, mineModern],
  ["ours: Fetch handler in-process", inProcess],
  ["ours: Lambda handler, HTTP API v2 event", lambda],
];
const origWarm = orig.warm?.p50;
for (const [name, s] of warmRows) {
  if (s?.error || !s) {
    say(`${name.padEnd(44)}${err(s)}`);
    continue;
  }
  say(
    `${name.padEnd(44)}${num(s.p50)} ${num(s.p90)} ${num(s.p99)} ${times(ratio(s.p50, floor.p50)).padStart(8)} ${times(ratio(s.p50, origWarm)).padStart(10)} ${times(ratio(s.p50, todayWarm?.p50)).padStart(8)}`,
  );
}

say("  The original's design answers every call with `Connection: close` (werkzeug >= 2.1) and writes");
say("  headers and body apart with Nagle on, so the body can wait for a delayed ACK; targets use that");
say("  figure, the TCP_NODELAY row shows the design without the stall.");

say();
say(
  `McpServer per request (lib/mcp-build.js: a fresh node, a stub kernel, ${BUILDS} of each after 200 warm-up):`,
);
say("what a server pool would save, as a share of the warm p50 of the same server and era");
const us = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} µs` : "n/a");
const pct = (part, whole) =>
  Number.isFinite(ratio(part, whole)) ? `${(ratio(part, whole) * 100).toFixed(1)}%` : "n/a";
const buildLine = (b, warmP50, whose) =>
  `${us(b.p50)} (p50), ${pct(b.p50 / 1000, warmP50)} of ${whose} warm p50 (p90 ${us(b.p90)}, mean ${us(b.mean)})`;
/** fresh - reused: a difference of p50s, not a p50 of differences. */
const savingLine = (x, warmP50, whose) => {
  if (x.error) return `not measured: ${x.error}`;
  const saved = x.fresh.p50 - x.reused.p50;
  const means = x.fresh.mean - x.reused.mean;
  return `${us(saved)} = ${us(x.fresh.p50)} - ${us(x.reused.p50)} (p50s), ${pct(saved / 1000, warmP50)} of ${whose} warm p50 (means: ${us(means)})`;
};
if (builds.error) say(`  (not measured: ${builds.error})`);
else {
  const o = builds.ours;
  say(`  McpServer build per request: ${buildLine(o.build.legacy, mine.warm?.p50, "ours'")}  [2025-era]`);
  say(`  McpServer build per request: ${buildLine(o.build.modern, mineModern?.p50, "ours'")}  [${MODERN}]`);
  say(
    `  execute_code on a fresh server vs one kept: ${savingLine(o.exchange, mine.warm?.p50, "ours'")}  [2025-era]`,
  );
  const t = builds.today;
  if (t.error) say(`  today's: not measured: ${t.error}`);
  else {
    say(`  today's (${today.sdk}) McpServer build: ${buildLine(t.build.legacy, todayWarm?.p50, "today's")}`);
    say(`  today's pool, emptied vs kept: ${savingLine(t.exchange, todayWarm?.p50, "today's")}`);
  }
}

say();
say(`cold start, spawn -> first 1+1 result over HTTP (ms), ${RUNS} runs each, alternating`);
const coldLine = (name, colds) =>
  colds
    ? `${name.padEnd(44)}median ${num(median(colds), 0, 6)}   [${colds.map((c) => c.toFixed(0)).join(", ")}]`
    : `${name.padEnd(44)}${err(cold)}`;
say(coldLine("floor: python3 floor.py --cold (no HTTP)", cold.runs?.floor));
say(coldLine("  of which start_new_kernel -> first idle", cold.runs?.floorKernel));
say(coldLine("original: python3 bench/original.py", orig.colds));
say(coldLine("ours: node dist/server.js", mine.colds));
say(
  inits.error
    ? `${"ours: Lambda init (import dist/lambda.js)".padEnd(44)}${err(inits)}`
    : `${"ours: Lambda init (import dist/lambda.js)".padEnd(44)}median ${num(median(inits), 0, 6)}   [${inits.map((c) => c.toFixed(0)).join(", ")}]`,
);
const coldRatio = ratio(median(mine.colds ?? []), median(orig.colds ?? []));
say(`${"ours / original".padEnd(44)}${times(coldRatio)}`);
say(`${"ours / floor".padEnd(44)}${times(ratio(median(mine.colds ?? []), median(cold.runs?.floor ?? [])))}`);

say();
say(`${CALLERS} callers x ${CALLS} execute_code calls at once, each its own named token (MCP_AUTH_TOKENS)`);
let worst;
if (callers.error) say(err(callers).trim());
else {
  const f = callers.firstCalls;
  say(
    `  first call per caller (starts its kernel, all at once, untimed below): median ${f.p50.toFixed(0)} ms, max ${f.max.toFixed(0)} ms`,
  );
  say(`  ${"caller".padEnd(10)}     p50      p90      p99  p99/p50   (p99 of ${CALLS} = max)`);
  for (const c of callers.perCaller) {
    say(
      `  ${c.name.padEnd(10)}${num(c.p50)} ${num(c.p90)} ${num(c.p99)} ${times(ratio(c.p99, c.p50)).padStart(8)}`,
    );
  }
  worst = Math.max(...callers.perCaller.map((c) => ratio(c.p99, c.p50)));
  const total = CALLERS * CALLS;
  say(
    `  wall ${callers.wallMs.toFixed(0)} ms, ${((total / callers.wallMs) * 1000).toFixed(0)} calls/s; max p99/p50 ${times(worst)}`,
  );
  say(
    `  responses with exactly their own marker: ${total - callers.mixed.length - callers.errors.length}/${total}; mixed ${callers.mixed.length}; failed ${callers.errors.length}`,
  );
  for (const m of [...callers.mixed, ...callers.errors].slice(0, 5)) say(`    ${m}`);
  say(
    `  separate kernels (own variable read back): ${callers.separateKernels}/${CALLERS}; token required: ${callers.authenticated ? "yes" : "NO (MCP_AUTH_TOKENS ignored by this build)"}`,
  );
}

say();
say("memory of the whole process tree (server + all descendants; VmRSS summed, Pss summed)");
const memLine = (name, m) =>
  m
    ? `  ${name.padEnd(44)}${mib(m.rssKiB).padStart(9)} RSS  ${mib(m.pssKiB).padStart(9)} PSS  ${m.procs} processes`
    : `  ${name.padEnd(44)}n/a`;
say(memLine("original, after the first call", orig.memory));
say(memLine("ours, after the first call", mine.memory));
say(memLine(`ours, ${CALLERS} named callers after their first call`, callers.memoryFirst));
say(memLine(`ours, ${CALLERS} named callers after the run`, callers.memoryAfter));

say();
const sessionSection = sessionReport(sessions);
for (const line of sessionSection.lines) say(line);

say();
say("targets");
const targets = [
  ["cold start ours <= 0.5x original", coldRatio, 0.5],
  ["warm HTTP p50 ours <= 0.6x original", ratio(mine.warm?.p50, origWarm), 0.6],
  ["warm HTTP p50 ours <= 1.5x floor", ratio(mine.warm?.p50, floor.p50), 1.5],
  [`${CALLERS}-caller max p99/p50 <= 3x`, worst, 3],
];
for (const [name, value, limit] of targets) {
  const ok = Number.isFinite(value) ? value <= limit : undefined;
  say(`  ${verdict(ok)}  ${name.padEnd(40)} ${times(value)}`);
}
for (const [name, value, limit] of sessionSection.targets) {
  const ok = Number.isFinite(value) ? value <= limit : undefined;
  say(`  ${verdict(ok)}  ${name.padEnd(40)} ${Number.isFinite(value) ? `${value.toFixed(0)} ms` : "n/a"}`);
}
if (!callers.error) {
  say(
    `  ${verdict(callers.mixed.length === 0 && callers.errors.length === 0)}  ${"every response carries only its own marker".padEnd(40)}`,
  );
  say(
    `  ${verdict(callers.separateKernels === CALLERS)}  ${"one kernel per caller".padEnd(40)} ${callers.separateKernels}/${CALLERS}`,
  );
}

// Not console.log: the handler, once imported in-process, routes console output into its logger.
process.stdout.write(`\n${out.join("\n")}\n`);
const benchDir = path.resolve(here, "..", ".bench");
mkdirSync(benchDir, { recursive: true });
writeFileSync(
  path.join(benchDir, "run.json"),
  JSON.stringify(
    {
      at: new Date().toISOString(),
      N,
      RUNS,
      floor,
      coldFloor: { ms: cold.runs?.floor, kernelMs: cold.runs?.floorKernel },
      original: orig,
      originalNoDelay: origNoDelay,
      ours: mine,
      oursModern: mineModern,
      today: { rev: BASELINE_REV, sha: today.sha, sdk: today.sdk, start: todayStart, warm: todayWarm },
      mcpBuild: builds,
      callers,
      inits,
      inProcess,
      lambda,
      sessions,
    },
    null,
    2,
  ) + "\n",
);
// Misses are printed, not fatal; stray handles (kernel sockets) must not keep the run alive.
process.exit(0);
