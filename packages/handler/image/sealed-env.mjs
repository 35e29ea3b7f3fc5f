// Restores the variables the entrypoint kept out of Node's exec environment, then runs the real entry.
//
// Why: the kernel runs as the same user as Node and can read /proc/<node pid>/environ, which always
// shows the environment Node was exec'd with, whatever process.env says later. The entrypoint moves
// credentials (AWS keys, the container credentials URI, our bearer token) to fd 3 instead, so they
// live only in this process's memory.
import { closeSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

let sealed = "";
try {
  sealed = readFileSync(3, "utf8");
  closeSync(3);
} catch {
  // No fd 3: started without the entrypoint; nothing was sealed.
}
for (const line of sealed.split("\n")) {
  const eq = line.indexOf("=");
  if (eq > 0) process.env[line.slice(0, eq)] = line.slice(eq + 1);
}

const [node, , entry, ...args] = process.argv;
if (!entry) {
  process.stderr.write("usage: node sealed-env.mjs <entry> [args...]\n");
  process.exit(64);
}
process.argv = [node ?? "node", entry, ...args];
await import(pathToFileURL(entry).href);
