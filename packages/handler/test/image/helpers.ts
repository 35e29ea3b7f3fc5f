// Shared by the image tests: find the built image (or fail saying how to build it), export its
// root file system once, and read MCP results.
import { RuntimeApi } from "../../image/runtime-api.mjs";
import {
  ImageMissingError,
  exportRootfs,
  imageInfo,
  lambdaEnv,
  spawnImage,
  type ImageInfo,
  type SandboxChild,
} from "../../image/sandbox.mjs";

export const PNG_MAGIC = "iVBORw0KGgo"; // base64 of \x89PNG\r\n\x1a\n

/** The image and its exported root file system. Throws (never skips) when the image is absent. */
export async function builtImage(): Promise<{ info: ImageInfo; rootfs: string }> {
  let info: ImageInfo;
  try {
    info = await imageInfo();
  } catch (err) {
    if (err instanceof ImageMissingError) {
      throw new Error(
        `${err.message}\nThe image tests need the image: run \`pnpm image:build\`, then \`pnpm image:test\`.`,
      );
    }
    throw err;
  }
  return { info, rootfs: await exportRootfs(info) };
}

/**
 * The built image in Lambda mode (its ENTRYPOINT/CMD under bwrap) against a local Runtime API of its
 * own, with Lambda's variables plus `env`; resolves once the runtime asks for its first event, and
 * fails with the sandbox's output when it exits first or posts an init error.
 */
export async function startLambdaImage(
  env: Record<string, string>,
): Promise<{ api: RuntimeApi; child: SandboxChild }> {
  const { info, rootfs } = await builtImage();
  const api = await RuntimeApi.start();
  const child = spawnImage({ info, rootfs, env: { ...lambdaEnv({ runtimeApi: api.address }), ...env } });
  const exited = child.exited.then(({ code, signal }) => {
    throw new Error(`the sandbox exited (${code ?? signal}) before GET /next:\n${child.output}`);
  });
  await Promise.race([api.ready({ timeoutMs: 90_000 }), exited]);
  if (api.initError) throw new Error(`init error: ${api.initError.body}\n${child.output}`);
  return { api, child };
}

export interface ToolContent {
  type: string;
  text?: string;
  data?: string;
  mimeType?: string;
}

export function texts(content: ToolContent[] | undefined): string {
  return (content ?? [])
    .filter((c) => c.type === "text")
    .map((c) => c.text ?? "")
    .join("\n");
}

export const NUMPY_PANDAS = [
  "import numpy as np, pandas as pd",
  "df = pd.DataFrame({'x': np.arange(1, 11), 'y': np.arange(1, 11) ** 2})",
  "print('sum_y', int(df['y'].sum()))",
  "print('mean_x', float(df['x'].mean()))",
  "print('numpy', np.__version__, 'pandas', pd.__version__)",
].join("\n");

export const PLOT = [
  "import matplotlib.pyplot as plt",
  "fig, ax = plt.subplots(figsize=(3, 2))",
  "ax.plot([1, 2, 3], [1, 4, 9])",
  "plt.show()",
].join("\n");

/** Code that reports what the sandbox lets user code see and do. */
export const PROBE = [
  "import os, json",
  "def can_write(p):",
  "    try:",
  "        open(p, 'w').write('x'); os.remove(p); return True",
  "    except OSError:",
  "        return False",
  "def proc_leaks():",
  "    found = []",
  "    for pid in filter(str.isdigit, os.listdir('/proc')):",
  "        try:",
  "            env = open(f'/proc/{pid}/environ', 'rb').read()",
  "        except OSError:",
  "            continue",
  "        names = [kv.split(b'=', 1)[0].decode() for kv in env.split(b'\\0') if b'=' in kv]",
  "        found += [f'{pid}:{n}' for n in names if n in ('AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID', 'MCP_AUTH_TOKEN', 'MCP_AUTH_TOKENS', 'MCP_CHECKPOINT_KEY') or n.startswith('AWS_CONTAINER_')]",
  "    return found",
  "print(json.dumps({",
  "  'uid': os.getuid(),",
  "  'secret_env': sorted(k for k in os.environ if k.startswith('AWS_') or k.startswith('MCP_AUTH') or k == '_HANDLER'),",
  "  'write_task_root': can_write('/var/task/probe'),",
  "  'write_etc': can_write('/etc/probe'),",
  "  'write_tmp': can_write('/tmp/probe'),",
  "  'proc_env_leaks': proc_leaks(),",
  "}))",
].join("\n");

/**
 * Code that lists the processes whose exec environment holds any of `values` (whatever the
 * variable's name). The values travel in the code, which lives in the kernel's memory only.
 */
export function environValueProbe(values: string[]): string {
  return [
    "import os, json",
    `needles = [v.encode() for v in ${JSON.stringify(values)}]`,
    "pids = []",
    "for pid in filter(str.isdigit, os.listdir('/proc')):",
    "    try:",
    "        env = open(f'/proc/{pid}/environ', 'rb').read()",
    "    except OSError:",
    "        continue",
    "    if any(n in env for n in needles):",
    "        pids.append(int(pid))",
    "print(json.dumps({'pids': pids}))",
  ].join("\n");
}

export function lastJsonLine(text: string): Record<string, unknown> {
  const line = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("{"))
    .pop();
  if (!line) throw new Error(`no JSON line in: ${text}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** Poll `url` until it answers 2xx; fails early, with the sandbox's output, if `proc` exits. */
export async function waitForHealth(
  url: string,
  proc: { exitCode: number | null; output: string },
  timeoutMs: number,
): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}):\n${proc.output}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return res;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no healthy ${url} within ${timeoutMs} ms:\n${proc.output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
