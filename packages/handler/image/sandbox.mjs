// Run the jupyter-mcp image without a container engine: export its root file system once (cached
// by image id) and start it under bubblewrap the way Lambda runs a function: read-only root,
// a tmpfs /tmp as the only writable place, no HOME, a clean environment made of the image's ENV
// plus Lambda's reserved variables, its own PID namespace, the host's network (so the Runtime API
// emulator on host loopback is reachable), and a non-root uid (10001, via a user namespace).
//
//   import { imageInfo, exportRootfs, lambdaEnv, spawnImage } from "./sandbox.mjs";
//
// Needs: podman (to read the image), bwrap. Runs as root or as a user allowed to make user
// namespaces.
import { spawn, execFile } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout, clearTimeout } from "node:timers";

const run = promisify(execFile);

export const DEFAULT_IMAGE = process.env.JUPYTER_MCP_IMAGE || "localhost/jupyter-mcp:latest";
export const ROOTFS_CACHE = process.env.JUPYTER_MCP_ROOTFS_CACHE || "/var/tmp/jupyter-mcp-rootfs";
export const SANDBOX_UID = 10001;

export class ImageMissingError extends Error {}

/** The image's id, size and run configuration, or an ImageMissingError saying how to build it. */
export async function imageInfo(image = DEFAULT_IMAGE) {
  let out;
  try {
    ({ stdout: out } = await run("podman", ["image", "inspect", image], { maxBuffer: 64 << 20 }));
  } catch (e) {
    throw new ImageMissingError(
      `image ${image} is not built (podman image inspect: ${String(e.stderr || e.message).trim()}). ` +
        "Run `pnpm image:build` first (packages/handler/image/build.sh).",
    );
  }
  const [info] = JSON.parse(out);
  const cfg = info.Config ?? {};
  const env = Object.fromEntries(
    (cfg.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
  return {
    image,
    id: info.Id,
    size: info.Size,
    created: info.Created,
    architecture: info.Architecture ?? "",
    env,
    entrypoint: cfg.Entrypoint ?? [],
    cmd: cfg.Cmd ?? [],
    user: cfg.User ?? "",
    workingDir: cfg.WorkingDir || "/",
    labels: cfg.Labels ?? {},
    healthcheck: cfg.Healthcheck ?? info.Healthcheck ?? info.HealthCheck ?? null,
  };
}

/** Export the image's root file system to ROOTFS_CACHE/<id> once; returns the directory. */
export async function exportRootfs(info) {
  const dir = join(ROOTFS_CACHE, info.id.slice(0, 16));
  if (existsSync(join(dir, ".jupyter-mcp-complete"))) return dir;
  mkdirSync(ROOTFS_CACHE, { recursive: true });
  const tmp = `${dir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const { stdout: cid } = await run("podman", ["create", "--pull=never", info.id, "true"]);
  try {
    // `podman export` to a pipe fails ("/dev/stdout: no such device"): go through a file.
    const tarFile = `${tmp}.tar`;
    await run("podman", ["export", "-o", tarFile, cid.trim()]);
    try {
      await run("tar", ["-x", "-f", tarFile, "-C", tmp, "--no-same-owner"], { maxBuffer: 64 << 20 });
    } finally {
      rmSync(tarFile, { force: true });
    }
  } finally {
    await run("podman", ["rm", "-f", cid.trim()]).catch(() => {});
  }
  writeFileSync(join(tmp, ".jupyter-mcp-complete"), info.id + "\n");
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  pruneRootfsCache(dir);
  return dir;
}

/** Each export is the size of the image: keep the two most recent ones (an old and a new build). */
function pruneRootfsCache(keep) {
  const entries = readdirSync(ROOTFS_CACHE)
    .map((name) => join(ROOTFS_CACHE, name))
    .filter((p) => p !== keep && !p.includes(".partial-"))
    .map((p) => ({ p, t: statSync(p).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { p } of entries.slice(1)) rmSync(p, { recursive: true, force: true });
}

/** The variables Lambda sets for a function (fake credentials), on top of the image's ENV. */
export function lambdaEnv({
  runtimeApi,
  functionName = "jupyter-mcp-test",
  region = "us-east-1",
  memoryMb = 2048,
  handler = "lambda.handler",
}) {
  return {
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: "ASIAFAKEFAKEFAKEFAKE",
    AWS_SECRET_ACCESS_KEY: "fake/secret/access/key/for/tests/only/0000",
    AWS_SESSION_TOKEN: "FAKE-SESSION-TOKEN-the-kernel-must-never-see-this",
    AWS_XRAY_CONTEXT_MISSING: "LOG_ERROR",
    _HANDLER: handler,
    LAMBDA_TASK_ROOT: "/var/task",
    LAMBDA_RUNTIME_DIR: "/var/runtime",
    TZ: ":UTC",
    LANG: "en_US.UTF-8",
  };
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * bwrap arguments for the image at `rootfs`. `uid` 10001 runs it as the image's user through a
 * user namespace (as Lambda runs functions as an unprivileged user); `uid: 0` keeps root but
 * drops every capability. `asPid1` makes argv[0] PID 1 of the sandbox's PID namespace, as a
 * container's first process is on ECS/Docker (otherwise bwrap's own reaper is PID 1, with an
 * environment holding only PATH).
 */
export function bwrapArgs({
  rootfs,
  env,
  cwd = "/var/task",
  uid = SANDBOX_UID,
  argv,
  asPid1 = false,
  binds = [],
}) {
  const args = [
    "--die-with-parent",
    "--new-session",
    "--unshare-pid",
    ...(asPid1 ? ["--as-pid-1"] : []),
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    "--hostname",
    "sandbox",
    "--ro-bind",
    rootfs,
    "/",
    "--tmpfs",
    "/tmp",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    // Name resolution for "localhost" as in any Lambda environment.
    "--ro-bind-try",
    "/etc/hosts",
    "/etc/hosts",
    // Test fixtures, read-only; under /tmp (a tmpfs) so the exported root file system stays untouched.
    ...binds.flatMap(([from, to]) => ["--ro-bind", from, to]),
    "--clearenv",
  ];
  if (uid !== 0) args.push("--unshare-user", "--uid", String(uid), "--gid", String(uid));
  else args.push("--cap-drop", "ALL");
  for (const [k, v] of Object.entries(env)) if (v !== undefined) args.push("--setenv", k, String(v));
  args.push("--chdir", cwd, "--", ...argv);
  return args;
}

/**
 * Start the image under bwrap. `command` replaces the image's CMD (like `docker run IMAGE cmd`);
 * `env` is added to the image's ENV (Lambda does the same with the function's variables).
 * `init` is put in front of the entrypoint, started with the same environment, as a platform's
 * init process is (ECS `initProcessEnabled`, `docker run --init`: ["/usr/bin/tini", "--"]);
 * `asPid1` makes the first program PID 1 (see bwrapArgs). `binds` are [host path, sandbox path]
 * pairs mounted read-only; the sandbox paths must lie under /tmp.
 * Returns the child; its output is collected in child.output (and echoed when `echo` is set).
 */
export function spawnImage({
  info,
  rootfs,
  command,
  env = {},
  uid = SANDBOX_UID,
  init = [],
  asPid1 = false,
  binds = [],
  echo = !!process.env.JUPYTER_MCP_SANDBOX_ECHO,
}) {
  const argv = [...init, ...info.entrypoint, ...(command ?? info.cmd)];
  const fullEnv = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ...info.env,
    ...env,
  };
  delete fullEnv.HOME; // Lambda gives no HOME
  const child = spawn(
    "bwrap",
    bwrapArgs({ rootfs, env: fullEnv, cwd: info.workingDir, uid, argv, asPid1, binds }),
    {
      // bwrap is pid 1 of the sandbox, and user code can read its environ too: give it nothing of ours.
      env: { PATH: process.env.PATH },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.output = "";
  const collect = (stream, to) =>
    stream.on("data", (d) => {
      const s = d.toString();
      child.output = (child.output + s).slice(-200_000);
      if (echo) to.write(s);
    });
  collect(child.stdout, process.stdout);
  collect(child.stderr, process.stderr);
  child.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return child;
}

/** Stop a sandbox: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopImage(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await child.exited;
  clearTimeout(t);
}
