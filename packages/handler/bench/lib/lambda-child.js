// The Lambda handler (dist/lambda.js) in a process of its own, fed HTTP API v2 events, so several
// configurations (sessions on or off) can be measured side by side: the module reads its
// configuration once, at import. Started by session-warm.js with the environment to test; prints
// {"ready": true}, then answers each stdin line "k" with {"samples": [ms, ...]} for k `1+1` calls.
import path from "node:path";
import { createInterface } from "node:readline";
import { ACCEPT, expectTwo, parseRpc, toolCall } from "./client.js";
import { dist } from "./servers.js";

const token = process.env.BENCH_LAMBDA_TOKEN;
const { httpApiV2Event, lambdaContext } = await import("@jupyter-mcp/event-adapter/testing");
const { handler, shutdown } = await import(path.join(dist, "lambda.js"));
const context = lambdaContext({ getRemainingTimeInMillis: () => 60_000 });
const headers = { "content-type": "application/json", accept: ACCEPT, authorization: `Bearer ${token}` };
let id = 0;

async function call() {
  const event = httpApiV2Event({ method: "POST", path: "/mcp", headers, body: toolCall(++id, "1+1") });
  const result = await handler(event, context);
  if (result.statusCode !== 200) throw new Error(`Lambda answered ${result.statusCode}: ${result.body}`);
  expectTwo(parseRpc(result.body));
}

const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
try {
  await call(); // the first call starts nothing new (init warmed the kernel) but binds the caller
  reply({ ready: true });
} catch (err) {
  reply({ error: String(err?.message ?? err) });
  process.exit(1);
}
for await (const line of createInterface({ input: process.stdin })) {
  const k = Number(line);
  const samples = [];
  try {
    for (let i = 0; i < k; i++) {
      const t = performance.now();
      await call();
      samples.push(performance.now() - t);
    }
    reply({ samples });
  } catch (err) {
    reply({ error: String(err?.message ?? err) });
  }
}
await shutdown();
process.exit(0);
