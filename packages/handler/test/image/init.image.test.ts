// Init processes and /proc/<pid>/environ (issue 12, item 7). A process's environ shows the
// environment it was exec'd with, to any process of the same user: kernel code included. The
// entrypoint takes the credentials out of the environment before it execs tini and Node, so the
// processes it starts hold none. An init the platform puts in front of the entrypoint (ECS
// `initProcessEnabled`, `docker run --init`: tini as PID 1, exec'd with the task's whole
// environment) is beyond its reach.
//
// Here the image runs as ECS runs a Fargate task: the first program is PID 1 of its PID namespace
// (bwrap --as-pid-1), uid 10001, with MCP_AUTH_TOKEN and AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
// (what ECS sets for the task role) in the environment:
//   - without an init (the task definition without initProcessEnabled): kernel code, run through
//     the server's execute_code, reads every /proc/*/environ it can and finds neither value;
//   - with ECS's init (tini as PID 1 with that environment): the server refuses to start, naming
//     the variables (not their values); a control shows that code under that init does read them
//     from /proc/1/environ, so the first probe would have seen such a leak;
//   - Lambda mode under such an init only warns (the platform's processes are not ours to change).
// Needs the built image (`pnpm image:build`); fails, never skips, without it.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { RuntimeApi } from "../../image/runtime-api.mjs";
import {
  freePort,
  lambdaEnv,
  spawnImage,
  stopImage,
  type ImageInfo,
  type SandboxChild,
} from "../../image/sandbox.mjs";
import { builtImage, lastJsonLine, texts, waitForHealth, type ToolContent } from "./helpers.js";

const TOKEN = "init-test-token-5f1e0c9a7b3d2468";
const CREDENTIALS_URI = "/v2/credentials/0b7e5c1d-init-test-4a6f-9d2e-000000000007";
// What ECS's agent puts in a Fargate container's environment (the credentials URI is the secret
// one: with it, code in the task fetches the task role's credentials from 169.254.170.2).
const ECS_ENV = {
  MCP_AUTH_TOKEN: TOKEN,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: CREDENTIALS_URI,
  ECS_CONTAINER_METADATA_URI_V4: "http://169.254.170.2/v4/0123456789abcdef-init-test",
  AWS_EXECUTION_ENV: "AWS_ECS_FARGATE",
  AWS_REGION: "us-east-1",
  AWS_DEFAULT_REGION: "us-east-1",
};
// ECS's init is Docker's docker-init, which is tini; the image's own tini is the same program.
const ECS_INIT = ["/usr/bin/tini", "--"];

/**
 * Kernel-side probe: every /proc/<pid>/environ this user can read, and which of them hold one of
 * the secret values (under any name). The values travel in the code, so they are in the kernel's
 * memory, never in an environ.
 */
function environProbe(secrets: Record<string, string>): string {
  return [
    "import os, json",
    `secrets = {k: v.encode() for k, v in ${JSON.stringify(secrets)}.items()}`,
    "readable, holding = [], {}",
    "for pid in sorted(filter(str.isdigit, os.listdir('/proc')), key=int):",
    "    try:",
    "        env = open(f'/proc/{pid}/environ', 'rb').read()",
    "    except OSError:",
    "        continue",
    "    readable.append(int(pid))",
    "    found = sorted(k for k, v in secrets.items() if v in env)",
    "    if found:",
    "        holding[pid] = found",
    "pid1 = open('/proc/1/cmdline', 'rb').read().split(b'\\0')[0].decode()",
    "print(json.dumps({'self': os.getpid(), 'uid': os.getuid(), 'pid1': pid1, 'readable': readable, 'holding': holding}))",
  ].join("\n");
}
const SECRETS = { MCP_AUTH_TOKEN: TOKEN, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: CREDENTIALS_URI };

interface ProbeResult {
  self: number;
  uid: number;
  pid1: string;
  readable: number[];
  holding: Record<string, string[]>;
}

let info: ImageInfo;
let rootfs: string;

beforeAll(async () => {
  ({ info, rootfs } = await builtImage());
}, 180_000);

describe("image under ECS's process model: init processes and /proc/*/environ", () => {
  describe("without an init (no initProcessEnabled): the entrypoint is PID 1", () => {
    let child: SandboxChild | undefined;
    let client: Client | undefined;

    beforeAll(async () => {
      const port = await freePort();
      child = spawnImage({
        info,
        rootfs,
        command: ["server"],
        asPid1: true,
        env: { ...ECS_ENV, PORT: String(port) },
      });
      const base = `http://127.0.0.1:${port}`;
      await waitForHealth(`${base}/health`, child, 90_000);
      client = new Client({ name: "jupyter-mcp-init-test", version: "0.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
          requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
        }),
      );
    }, 180_000);

    afterAll(async () => {
      await client?.close().catch(() => {});
      if (child) await stopImage(child);
    });

    test("kernel code reads every environ it can, PID 1's included, and finds neither the token nor the credentials URI", async () => {
      const result = await client!.callTool({
        name: "execute_code",
        arguments: { code: environProbe(SECRETS) },
      });
      const out = texts(result.content as ToolContent[]);
      expect(result.isError).toBeFalsy();
      const probe = lastJsonLine(out) as unknown as ProbeResult;
      // The scenario is the one meant: tini (exec'd by the entrypoint, as PID 1) and readable.
      expect(probe.uid).toBe(10001);
      expect(probe.pid1).toBe("/usr/bin/tini");
      expect(probe.readable).toContain(1);
      // Node and its kernels are readable too (same user): the probe looked where a leak would be.
      expect(probe.readable.length).toBeGreaterThanOrEqual(3);
      expect(probe.holding).toEqual({});
    });

    test("the kernel's own environment has neither variable", async () => {
      const code =
        "import os, json; print(json.dumps(sorted(k for k in os.environ if k.startswith(('AWS_CONTAINER', 'MCP_AUTH')))))";
      const result = await client!.callTool({ name: "execute_code", arguments: { code } });
      expect(texts(result.content as ToolContent[]).trim()).toBe("[]");
    });
  });

  describe("under ECS's init (initProcessEnabled: tini as PID 1 with the task's environment)", () => {
    test("server mode refuses to start and says why, naming the variables but not their values", async () => {
      const port = await freePort();
      const child = spawnImage({
        info,
        rootfs,
        command: ["server"],
        init: ECS_INIT,
        asPid1: true,
        env: { ...ECS_ENV, PORT: String(port) },
      });
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([
        child.exited,
        new Promise<"running">((r) => (timer = setTimeout(() => r("running"), 30_000))),
      ]);
      clearTimeout(timer);
      if (exit === "running") await stopImage(child);
      expect(exit).toEqual({ code: 78, signal: null });
      expect(child.output).toContain("refusing to start");
      expect(child.output).toMatch(
        /process 1 \(tini\) holds AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, MCP_AUTH_TOKEN/,
      );
      expect(child.output).toContain("initProcessEnabled");
      expect(child.output).not.toContain(TOKEN);
      expect(child.output).not.toContain(CREDENTIALS_URI);
    }, 60_000);

    test("control: code under that init does read both values from /proc/1/environ", async () => {
      // The entrypoint's debugging mode (`python3 ...`) runs the program as the kernel would run:
      // same user, below the init. This is the leak the refusal above prevents.
      const child = spawnImage({
        info,
        rootfs,
        command: ["python3", "-c", environProbe(SECRETS)],
        init: ECS_INIT,
        asPid1: true,
        env: ECS_ENV,
      });
      const { code } = await child.exited;
      expect(code).toBe(0);
      const probe = lastJsonLine(child.output) as unknown as ProbeResult;
      expect(probe.pid1).toBe("/usr/bin/tini");
      expect(probe.holding["1"]).toEqual(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "MCP_AUTH_TOKEN"]);
    }, 60_000);

    test("Lambda mode warns in the function's log and still serves", async () => {
      const api = await RuntimeApi.start();
      const child = spawnImage({
        info,
        rootfs,
        init: ECS_INIT,
        asPid1: true,
        env: { ...lambdaEnv({ runtimeApi: api.address }), MCP_AUTH_TOKEN: TOKEN },
      });
      try {
        const exited = child.exited.then(({ code, signal }) => {
          throw new Error(`the sandbox exited (${code ?? signal}) before GET /next:\n${child.output}`);
        });
        await Promise.race([api.ready({ timeoutMs: 90_000 }), exited]);
        expect(child.output).toContain("jupyter-mcp: WARNING: process 1 (tini) holds");
        expect(child.output).toContain("AWS_SECRET_ACCESS_KEY");
        expect(child.output).not.toContain(TOKEN);
        const ping = await api.invoke({ warmer: true }, { timeoutMs: 30_000 });
        expect(ping.ok).toBe(true);
      } finally {
        await stopImage(child);
        await api.close();
      }
    }, 180_000);
  });
});
