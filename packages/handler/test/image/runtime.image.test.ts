// The image's runtime: Node 24 (the pinned npm `node-linux-<cpu>` binary, scripts/ensure-node.sh)
// and aws-lambda-ric 4, which is what gives a handler `awslambda.streamifyResponse`. A probe
// handler mounted as the task root runs under the real runtime client against the local Runtime
// API: once buffered (what the runtime offers a handler), once streamified (the response is posted
// in streaming mode). Needs the built image (`pnpm image:build`); fails, never skips, without it.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RuntimeApi } from "../../image/runtime-api.mjs";
import { lambdaEnv, spawnImage, stopImage, type ImageInfo } from "../../image/sandbox.mjs";
import { builtImage } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const ensureNode = readFileSync(resolve(here, "../../../../scripts/ensure-node.sh"), "utf8");
const PINNED_NODE = /^NODE_PIN_VERSION=(\S+)$/m.exec(ensureNode)?.[1];

// Two handlers in one module: `info` reports what the runtime set up; `stream` is streamified.
const PROBE_HANDLER = `
export const info = async () => ({
  node: process.version,
  streamifyResponse: typeof globalThis.awslambda?.streamifyResponse,
  httpResponseStreamFrom: typeof globalThis.awslambda?.HttpResponseStream?.from,
});
export const stream = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType("text/plain");
  responseStream.write("chunk-1;");
  await new Promise((r) => setTimeout(r, 50));
  responseStream.write("chunk-2;");
  responseStream.end();
});
`;
const TASK = "/tmp/probe-task";

let info: ImageInfo;
let rootfs: string;
let fixture: string;

beforeAll(async () => {
  ({ info, rootfs } = await builtImage());
  fixture = mkdtempSync(join(tmpdir(), "jupyter-mcp-probe-task-"));
  writeFileSync(join(fixture, "probe.mjs"), PROBE_HANDLER);
}, 180_000);

afterAll(() => {
  if (fixture) rmSync(fixture, { recursive: true, force: true });
});

/** Start the image in Lambda mode with `handler` from the probe module; invoke it once. */
async function invokeProbe(handler: string) {
  const api = await RuntimeApi.start();
  const child = spawnImage({
    info,
    rootfs,
    command: [handler],
    binds: [[fixture, TASK]],
    env: { ...lambdaEnv({ runtimeApi: api.address, handler }), LAMBDA_TASK_ROOT: TASK },
  });
  try {
    const exited = child.exited.then(({ code, signal }) => {
      throw new Error(`the sandbox exited (${code ?? signal}) before GET /next:\n${child.output}`);
    });
    await Promise.race([api.ready({ timeoutMs: 60_000 }), exited]);
    if (api.initError) throw new Error(`init error: ${api.initError.body}\n${child.output}`);
    const result = await api.invoke({ probe: true }, { timeoutMs: 30_000 });
    if (!result.ok) throw new Error(`invocation failed: ${result.raw}\n${child.output}`);
    return result;
  } finally {
    await stopImage(child);
    await api.close();
  }
}

describe("image runtime: Node 24 and aws-lambda-ric 4", () => {
  test("`node --version` in the image is v24, the version scripts/ensure-node.sh pins", async () => {
    expect(PINNED_NODE).toMatch(/^24\.\d+\.\d+$/);
    const child = spawnImage({ info, rootfs, command: ["node", "--version"] });
    const { code } = await child.exited;
    expect(code).toBe(0);
    expect(child.output.trim()).toMatch(/^v24\.\d+\.\d+$/);
    expect(child.output.trim()).toBe(`v${PINNED_NODE}`);
  });

  test("that node is the only one: no Debian nodejs, no npm", () => {
    expect(readFileSync(`${rootfs}/usr/local/bin/node`).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    for (const absent of ["usr/bin/node", "usr/bin/nodejs", "usr/bin/npm", "usr/share/nodejs"]) {
      expect([absent, existsSync(`${rootfs}/${absent}`)]).toEqual([absent, false]);
    }
    const triplet = info.architecture === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
    expect(readdirSync(`${rootfs}/usr/lib/${triplet}`).filter((f) => f.startsWith("libnode"))).toEqual([]);
  });

  test("aws-lambda-ric is 4.x (node >= 22) with its native client", () => {
    const ric = `${rootfs}/var/runtime/node_modules/aws-lambda-ric`;
    const pkg = JSON.parse(readFileSync(`${ric}/package.json`, "utf8")) as {
      version: string;
      engines?: { node?: string };
    };
    expect(pkg.version).toMatch(/^4\./);
    expect(pkg.engines?.node).toBe(">=22");
    expect(readFileSync(`${ric}/rapid-client.node`).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
  });

  test("a handler under the runtime sees Node 24 and awslambda.streamifyResponse", async () => {
    const result = await invokeProbe("probe.info");
    expect(result.payload).toEqual({
      node: `v${PINNED_NODE}`,
      streamifyResponse: "function",
      httpResponseStreamFrom: "function",
    });
    expect(result.responseMode).toBeUndefined();
  }, 120_000);

  test("a streamified handler's response is posted in streaming mode", async () => {
    const result = await invokeProbe("probe.stream");
    expect(result.responseMode).toBe("streaming");
    expect(result.raw).toBe("chunk-1;chunk-2;");
  }, 120_000);
});
