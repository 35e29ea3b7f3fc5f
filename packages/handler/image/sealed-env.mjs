// Restores the variables the entrypoint kept out of Node's exec environment, then runs the real entry.
//
// Why: the kernel runs as the same user as Node and can read /proc/<node pid>/environ, which always
// shows the environment Node was exec'd with, whatever process.env says later. The entrypoint moves
// credentials (AWS keys, the container credentials URI, our bearer token) to fd 3 instead, so they
// live only in this process's memory.
//
// That protects nothing if another process of the same user was started with them: an init the
// platform puts in front of the entrypoint (ECS `initProcessEnabled`, `docker run --init`: tini as
// PID 1, exec'd with the task's whole environment), or a Lambda extension (started with the
// function's variables). Kernel code reads those environs as easily as Node's, and nothing inside
// the container can take them back. So before the entry starts, every /proc/<pid>/environ this
// user can read is searched for the sealed values:
//   --on-leak=refuse  (server mode: the operator can turn the init off) exit 78, naming the
//                     processes and variables, never the values;
//   --on-leak=warn    (Lambda mode: the platform's processes are not ours to change) say so on
//                     stderr (the function's log) and go on.
//
//   node sealed-env.mjs [--on-leak=refuse|warn] <entry> [args...]   (fd 3: NAME=value lines)
import { closeSync, readFileSync, readdirSync } from "node:fs";
import { pathToFileURL } from "node:url";

let sealed = "";
try {
  sealed = readFileSync(3, "utf8");
  closeSync(3);
} catch {
  // No fd 3: started without the entrypoint; nothing was sealed.
}
const entries = [];
for (const line of sealed.split("\n")) {
  const eq = line.indexOf("=");
  if (eq > 0) entries.push([line.slice(0, eq), line.slice(eq + 1)]);
}

let [node, , ...rest] = process.argv;
let onLeak = "refuse";
if (rest[0]?.startsWith("--on-leak=")) {
  onLeak = rest[0].slice("--on-leak=".length);
  rest = rest.slice(1);
}
const [entry, ...args] = rest;
if (!entry || !["refuse", "warn"].includes(onLeak)) {
  process.stderr.write("usage: node sealed-env.mjs [--on-leak=refuse|warn] <entry> [args...]\n");
  process.exit(64);
}

/**
 * Processes other than this one whose exec environment, as this user can read it, holds one of the
 * sealed values (under any name). Short values (under 8 characters) are too likely to match by
 * chance to mean anything, and no credential is that short.
 */
function environsHolding(secrets) {
  const wanted = new Map(); // value -> sealed name
  for (const [name, value] of secrets) if (value.length >= 8) wanted.set(value, name);
  if (!wanted.size) return [];
  const found = [];
  let pids = [];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid);
  } catch {
    return []; // no /proc: nothing to read there either
  }
  for (const pid of pids) {
    let environ;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    } catch {
      continue; // another user's, or gone: unreadable by kernel code as well
    }
    const names = new Set();
    for (const kv of environ.split("\0")) {
      const eq = kv.indexOf("=");
      if (eq > 0 && wanted.has(kv.slice(eq + 1))) names.add(wanted.get(kv.slice(eq + 1)));
    }
    if (names.size) {
      let comm = "?";
      try {
        comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      } catch {
        // gone meanwhile
      }
      found.push({ pid: Number(pid), comm, names: [...names].sort() });
    }
  }
  return found;
}

const leaks = environsHolding(entries);
if (leaks.length) {
  const where = leaks.map((l) => `process ${l.pid} (${l.comm}) holds ${l.names.join(", ")}`).join("; ");
  const why =
    `${where}: its /proc/<pid>/environ is readable by kernel code (same user), so the sealing of ` +
    "credentials is void. An init process started by the platform does this (ECS task definition " +
    '"initProcessEnabled": true, `docker run --init`): turn it off; the image runs tini itself, after ' +
    "taking the credentials out of the environment.";
  if (onLeak === "refuse") {
    process.stderr.write(`jupyter-mcp: refusing to start: ${why}\n`);
    process.exit(78); // EX_CONFIG
  }
  process.stderr.write(`jupyter-mcp: WARNING: ${why}\n`);
}

for (const [name, value] of entries) process.env[name] = value;
process.argv = [node ?? "node", entry, ...args];
await import(pathToFileURL(entry).href);
