// Session benchmarks, part of `pnpm bench` (run.js calls sessionBench and prints sessionReport;
// `node bench/sessions.js` runs them alone). Side by side, in one run:
//   1. checkpoint time and size, restore time into a fresh kernel, and the time to re-run the
//      cells instead, for namespaces of about 1 MB, 100 MB and 1 GB of numpy arrays, pandas
//      DataFrames and small Python objects (the agent on real kernels, a local directory); for
//      100 MB also the upload to and download from s3rver through the handler's CheckpointStore;
//   2. the incremental checkpoint after `x = 1` in a 500 MB namespace (target <= 100 ms);
//   3. the restore of 100 MB (target <= 1 s);
//   4. what a warm `1+1` pays with sessions on, over the HTTP server and the Lambda handler.
//
//   BENCH_SESSION_SIZES (1,100,1000)   namespace sizes in MB; 1 run each
//   BENCH_SESSION_KINDS (numpy,pandas,objects)
//   BENCH_INCREMENTAL_MB (500)
//   BENCH_SESSION_ITERATIONS (BENCH_ITERATIONS or 200)   warm calls per path
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_LIMIT,
  KINDS,
  MB,
  openAgentBench,
  RECORD_MEMORY_BYTES,
  SERVER_AGENT_BUDGET_MS,
} from "./lib/checkpoints.js";
import { startLocalAws } from "./lib/local-aws.js";
import { sessionWarm } from "./lib/session-warm.js";
import { num, reason } from "./lib/stats.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const list = (value, fallback) =>
  (value ?? fallback)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export const S3_SIZE_MB = 100;
export const RESTORE_TARGET_MS = 1000;
export const INCREMENTAL_TARGET_MS = 100;

async function attempt(label, fn) {
  process.stderr.write(`bench: sessions: ${label}...\n`);
  try {
    return await fn();
  } catch (err) {
    process.stderr.write(`bench: sessions: ${label} failed: ${err.stack ?? err}\n`);
    return { error: reason(err) };
  }
}

export async function sessionBench({
  sizes = list(process.env.BENCH_SESSION_SIZES, "1,100,1000").map(Number),
  kinds = list(process.env.BENCH_SESSION_KINDS, "numpy,pandas,objects"),
  incrementalMb = Number(process.env.BENCH_INCREMENTAL_MB ?? 500),
  iterations = Number(process.env.BENCH_SESSION_ITERATIONS ?? process.env.BENCH_ITERATIONS ?? 200),
} = {}) {
  const unknown = kinds.filter((k) => !KINDS[k]);
  if (unknown.length)
    throw new Error(`unknown kind(s) ${unknown.join(", ")}: use ${Object.keys(KINDS).join(", ")}`);
  const result = { sizes, kinds, incrementalMb, iterations, namespaces: [] };
  const aws = await startLocalAws();
  try {
    // The warm calls first, while the machine is quiet; the big namespaces after.
    result.warm = await attempt(`warm 1+1 with and without sessions (${iterations} calls a path)`, () =>
      sessionWarm(aws, iterations),
    );
    const agent = await openAgentBench({ aws });
    try {
      result.steps = await attempt("per-call session work, step by step", () => agent.steps(50));
      for (const mb of sizes) {
        for (const kind of kinds) {
          const r = await attempt(`${kind}, ${mb} MB: build, checkpoint, restore`, () =>
            agent.namespace(kind, mb * MB, { s3: mb === S3_SIZE_MB }),
          );
          result.namespaces.push({ kind, mb, ...r });
        }
      }
      result.incremental = await attempt(`incremental checkpoint in ${incrementalMb} MB`, () =>
        agent.incremental(incrementalMb * MB),
      );
    } finally {
      await agent.close();
    }
  } finally {
    await aws.stop();
  }
  return result;
}

const ms = (x, width = 8) => num(x, 0, width);
const size = (bytes) =>
  !Number.isFinite(bytes)
    ? "n/a"
    : bytes >= 1e9
      ? `${(bytes / 1e9).toFixed(2)} GB`
      : bytes >= 1e6
        ? `${(bytes / 1e6).toFixed(1)} MB`
        : `${(bytes / 1e3).toFixed(0)} kB`;
const mbLabel = (mb) => (mb >= 1000 ? `${mb / 1000} GB` : `${mb} MB`);
const diff = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? a - b : NaN);
const signed = (x) => (Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${x.toFixed(2)}` : "n/a").padStart(8);

/** The printed section: { lines, targets: [[name, value, limit, shown]] }. */
export function sessionReport(r) {
  const lines = [];
  const say = (line = "") => lines.push(line);
  const targets = [];
  if (r.error) {
    say(`sessions: not measured (${r.error})`);
    return { lines, targets };
  }

  say(
    "sessions: checkpoint and restore on real kernels (dist/sessions/agent.js, local directory, one run each)",
  );
  say(
    `  each variable <= 100 MB, under MCP_CHECKPOINT_MAX_VARIABLE_BYTES (${DEFAULT_LIMIT} bytes); restore = install agent + restore`,
  );
  say("  into a fresh, started kernel; re-run = the cell that built the namespace, on a fresh kernel");
  say(
    `  ${"kind".padEnd(8)}${"size".padStart(7)}  ${"made of".padEnd(22)}${"checkpoint".padStart(11)}${"written".padStart(11)}${"restore".padStart(9)}${"re-run".padStart(9)}  restore/re-run`,
  );
  for (const n of r.namespaces) {
    const head = `  ${n.kind.padEnd(8)}${mbLabel(n.mb).padStart(7)}  `;
    if (n.error) {
      say(`${head}not measured: ${n.error}`);
      continue;
    }
    const flags = [];
    if (!n.same) flags.push("RESTORED VALUES DIFFER");
    if (n.left?.length) flags.push(`left out: ${n.left.join("; ").slice(0, 120)}`);
    if (n.failed?.length) flags.push(`not restored: ${n.failed.join("; ").slice(0, 120)}`);
    if (n.checkpointMs > SERVER_AGENT_BUDGET_MS || n.restoreAgentMs > SERVER_AGENT_BUDGET_MS) {
      flags.push("over the server's 96 s agent budget");
    }
    const rel = n.restoreMs / n.rerunMs;
    say(
      `${head}${n.label.padEnd(22)}${ms(n.checkpointMs, 8)} ms${size(n.checkpointBytes).padStart(11)}${ms(n.restoreMs, 6)} ms${ms(n.rerunMs, 6)} ms  ${Number.isFinite(rel) ? `${rel.toFixed(2)}x` : "n/a"}${flags.length ? `  ${flags.join("; ")}` : ""}`,
    );
  }
  for (const n of r.namespaces.filter((x) => x.scaled && !x.error)) {
    const k = n.scaled.wanted / n.scaled.total;
    say(
      `  ${n.kind} at ${mbLabel(n.mb)}: capped at ${(n.scaled.total / 1e6).toFixed(0)}M objects (${size(n.checkpointBytes)} pickled); the full ` +
        `${(n.scaled.wanted / 1e6).toFixed(0)}M would hold ~${((n.scaled.wanted * RECORD_MEMORY_BYTES) / 2 ** 30).toFixed(0)} GiB`,
    );
    say(
      `    in each kernel and, linear in the count, take ~${((n.checkpointMs * k) / 1000).toFixed(0)} s to checkpoint, ` +
        `~${((n.restoreMs * k) / 1000).toFixed(0)} s to restore, ~${((n.rerunMs * k) / 1000).toFixed(0)} s to re-run`,
    );
  }

  const s3 = r.namespaces.filter((n) => n.mb === S3_SIZE_MB && Number.isFinite(n.uploadMs));
  if (s3.length) {
    say();
    say(
      `  ${S3_SIZE_MB} MB through S3 (s3rver in its own process; CheckpointStore.save, then manifest() + download())`,
    );
    say(
      `  ${"kind".padEnd(8)}${"upload".padStart(10)}${"download".padStart(11)}${"download+restore".padStart(19)}${"checkpoint+upload".padStart(19)}`,
    );
    for (const n of s3) {
      say(
        `  ${n.kind.padEnd(8)}${ms(n.uploadMs, 7)} ms${ms(n.downloadMs, 8)} ms${ms(n.downloadMs + n.restoreMs, 16)} ms${ms(n.checkpointMs + n.uploadMs, 16)} ms`,
      );
    }
  }
  for (const n of r.namespaces.filter((x) => x.mb === S3_SIZE_MB && !x.error)) {
    targets.push([
      `restore ${S3_SIZE_MB} MB of ${n.kind} <= ${RESTORE_TARGET_MS / 1000} s`,
      n.restoreMs,
      RESTORE_TARGET_MS,
      "ms",
    ]);
  }

  say();
  const inc = r.incremental;
  say(
    `  incremental checkpoint: x = i in a namespace holding one ${r.incrementalMb} MB numpy array (untouched)`,
  );
  if (!inc || inc.error) say(`    not measured: ${inc?.error ?? "skipped"}`);
  else {
    say(
      `    limit raised to ${size(inc.limit)} so the array is checkpointed; first, full: ${ms(inc.fullMs, 0)} ms for ${size(inc.fullBytes)}` +
        (Number.isFinite(inc.fullUploadMs) ? `, uploaded in ${ms(inc.fullUploadMs, 0)} ms` : ""),
    );
    say(
      `    then ${inc.rounds.length} rounds: agent checkpoint ${inc.rounds.map((x) => x.checkpointMs).join(", ")} ms` +
        ` (writes ${inc.rounds.map((x) => `${x.writtenBytes} B`).join(", ")}; array rewritten: ${inc.rounds.some((x) => x.rewroteBig) ? "YES" : "no"})`,
    );
    say(
      `    p50: agent checkpoint ${ms(inc.checkpointP50, 0)} ms; + agent ping, as the coordinator calls it ${ms(inc.agentP50, 0)} ms` +
        (Number.isFinite(inc.withSaveP50)
          ? `; + upload of the new pickle and signed manifest to s3rver ${ms(inc.withSaveP50, 0)} ms`
          : ""),
    );
    targets.push([
      `incremental checkpoint, ${r.incrementalMb} MB <= ${INCREMENTAL_TARGET_MS} ms`,
      inc.agentP50,
      INCREMENTAL_TARGET_MS,
      "ms",
    ]);
  }

  say();
  const w = r.warm;
  say(
    `  warm execute_code of 1+1 with sessions (ms): ${r.iterations} calls per path after 20 warm-up calls, all interleaved`,
  );
  say(
    "  no bucket / bucket (workspace file sync) / sessions (bucket + lease table + checkpoints), s3rver + dynalite",
  );
  if (!w || w.error) say(`    not measured: ${w?.error ?? "skipped"}`);
  else {
    const row = (name, s) =>
      say(`    ${name.padEnd(58)}${s ? `${num(s.p50)} ${num(s.p90)} ${num(s.p99)}` : "     n/a"}`);
    say(`    ${"path".padEnd(58)}     p50      p90      p99`);
    row("HTTP server, no bucket, back-to-back", w["http-plain"]);
    row("HTTP server, bucket, back-to-back", w["http-bucket"]);
    row("HTTP server, sessions, back-to-back (waits for last ckpt)", w["http-sessions"]);
    row("HTTP server, no bucket, paced", w["paced-plain"]);
    row("HTTP server, bucket, paced", w["paced-bucket"]);
    row("HTTP server, sessions, paced: the answer", w["paced-sessions"]);
    row("HTTP server, sessions, paced: request -> checkpoint logged", w.pacedTotal);
    row("  the server's own log: checkpoint (save) durationMs", w.serverCheckpoint);
    row("Lambda handler, no bucket", w["lambda-plain"]);
    row("Lambda handler, bucket", w["lambda-bucket"]);
    row("Lambda handler, sessions (checkpoints before answering)", w["lambda-sessions"]);
    const st = r.steps;
    if (st && !st.error) {
      say(
        `    step by step (p50 of 50, agent on a kernel + the same stand-ins): lease acquire ${st.acquire.toFixed(1)}, ` +
          `agent ping + checkpoint ${st.checkpoint.toFixed(1)},`,
      );
      say(
        `      manifest PUT ${st.upload.toFixed(1)}, commit ${st.commit.toFixed(1)}, release ${st.release.toFixed(1)}: ${st.total.toFixed(1)} ms in all` +
          " (before the answer: the acquire; the rest after it on the HTTP server, before it on Lambda)",
      );
    } else if (st?.error) say(`    step by step: not measured (${st.error})`);
    if (w.checkpoints?.failed)
      say(`    checkpoints failed: ${w.checkpoints.failed}: ${w.checkpoints.errors.join(" | ")}`);
    say("    what sessions add (difference of the percentiles above):");
    const delta = (name, a, b) =>
      say(
        `    ${name.padEnd(58)}${signed(diff(a?.p50, b?.p50))} ${signed(diff(a?.p90, b?.p90))} ${signed(diff(a?.p99, b?.p99))}`,
      );
    delta("HTTP, what a paced client sees: sessions - bucket", w["paced-sessions"], w["paced-bucket"]);
    delta("HTTP, what a paced client sees: sessions - no bucket", w["paced-sessions"], w["paced-plain"]);
    delta("HTTP, total per call (paced, to checkpoint) - bucket", w.pacedTotal, w["paced-bucket"]);
    delta("HTTP, back-to-back: sessions - bucket", w["http-sessions"], w["http-bucket"]);
    delta("Lambda: sessions - bucket", w["lambda-sessions"], w["lambda-bucket"]);
    delta("Lambda: sessions - no bucket", w["lambda-sessions"], w["lambda-plain"]);
  }
  return { lines, targets };
}

// `node bench/sessions.js`: this part alone.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await sessionBench();
  const { lines, targets } = sessionReport(result);
  const verdict = (v, limit) => (Number.isFinite(v) ? (v <= limit ? "PASS" : "MISS") : "n/a ");
  lines.push("", "targets");
  for (const [name, value, limit] of targets) {
    lines.push(`  ${verdict(value, limit)}  ${name.padEnd(40)} ${num(value, 0, 0)} ms`);
  }
  process.stdout.write(`\n${lines.join("\n")}\n`);
  const benchDir = path.resolve(here, "..", ".bench");
  mkdirSync(benchDir, { recursive: true });
  writeFileSync(path.join(benchDir, "sessions.json"), `${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}
