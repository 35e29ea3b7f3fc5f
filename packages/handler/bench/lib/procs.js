// Spawning the servers under test, timing them from spawn, measuring their whole process tree's
// memory, and stopping every process they started (kernels run in their own sessions, so a
// process-group kill would miss them: we walk the tree by parent pid instead).
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const stateRoot = (label) => mkdtempSync(path.join(tmpdir(), `jmcp-bench-${label}-`));

/** Parent pid and start time (clock ticks since boot) of a process, or undefined once it is gone. */
function statOf(pid) {
  try {
    // The command name may hold spaces and parentheses: the fields after the last ")" are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), sid: Number(fields[3]), start: fields[19] };
  } catch {
    return undefined;
  }
}

/**
 * `pid`, all its descendants, and the members of sessions they lead (a kernel's watchdog is
 * double-forked into the kernel's session, so its parent is init, not the kernel). Each comes with
 * its start time, so a reused pid is never mistaken for it.
 */
export function processTree(pid) {
  const all = [];
  for (const name of readdirSync("/proc")) {
    const s = /^\d+$/.test(name) ? statOf(name) : undefined;
    if (s) all.push({ pid: Number(name), ...s });
  }
  const tree = all.filter((p) => p.pid === pid);
  const seen = new Set(tree.map((p) => p.pid));
  const add = (p) => !seen.has(p.pid) && seen.add(p.pid) && tree.push(p);
  for (let i = 0; i < tree.length; i++) {
    for (const p of all) if (p.ppid === tree[i].pid) add(p);
    if (i > 0 && tree[i].sid === tree[i].pid) for (const p of all) if (p.sid === tree[i].pid) add(p);
  }
  return tree;
}

const kib = (text, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);

/**
 * Memory of `pid` and its descendants: VmRSS summed (counts shared pages once per process, so an
 * upper bound) and Pss summed (shared pages split between their users: what the tree really costs).
 */
export function treeMemory(pid) {
  let rss = 0;
  let pss = 0;
  let procs = 0;
  for (const { pid: p } of processTree(pid)) {
    try {
      rss += kib(readFileSync(`/proc/${p}/status`, "utf8"), "VmRSS");
      procs++;
      pss += kib(readFileSync(`/proc/${p}/smaps_rollup`, "utf8"), "Pss");
    } catch {
      // exited meanwhile, or no smaps_rollup (old kernel): Pss stays a lower bound
    }
  }
  return { rssKiB: rss, pssKiB: pss, procs };
}

/**
 * Spawns a server that logs `"url":"http://…"` once it listens. Resolves with the child, its URL
 * and `startedAt` (performance.now() just before spawn), or rejects with its output if it exits.
 */
export function spawnServer(command, args, env, { timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let found = false;
    const timer = setTimeout(() => {
      stopTree(child);
      reject(new Error(`${command} did not listen within ${timeoutMs} ms: ${output.slice(-500)}`));
    }, timeoutMs);
    const onData = (chunk) => {
      // Keep reading (a full pipe would stall the server) but keep only the tail.
      output = (output + chunk).slice(-20_000);
      const m = !found && /"url":\s*"(http:\/\/[^"]+)"/.exec(output);
      if (m) {
        found = true;
        clearTimeout(timer);
        resolve({ child, url: m[1], startedAt, output: () => output });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (!found) reject(new Error(`${command} exited (${code ?? signal}): ${output.slice(-800)}`));
    });
  });
}

/** SIGTERM the server, give it `graceMs` to stop its kernels, then SIGKILL whatever is left of its tree. */
export async function stopTree(child, graceMs = 8000) {
  const tree = processTree(child.pid);
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
  }
  // Give orphaned kernels a moment after their parent's shutdown, then make sure.
  for (const p of tree.slice(1)) {
    if (statOf(p.pid)?.start !== p.start) continue;
    await new Promise((r) => setTimeout(r, 200));
    if (statOf(p.pid)?.start === p.start) process.kill(p.pid, "SIGKILL");
  }
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}
