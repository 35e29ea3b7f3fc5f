// The image's configuration and entrypoint contract (no AWS, no network): non-root user, the
// default command for Lambda, HEALTHCHECK, OCI labels, and the entrypoint's refusal to run Lambda
// mode outside a Lambda sandbox. Needs the built image (`pnpm image:build`).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnImage, type ImageInfo } from "../../image/sandbox.mjs";
import { builtImage } from "./helpers.js";

let info: ImageInfo;
let rootfs: string;

/** Every file under `dir`, as paths relative to it. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p, base) : [relative(base, p)];
  });
}

beforeAll(async () => {
  ({ info, rootfs } = await builtImage());
}, 180_000);

describe("image configuration", () => {
  test("runs as a non-root user, Lambda mode by default", () => {
    expect(info.user).toBe("10001:10001");
    expect(info.entrypoint).toEqual(["/usr/local/bin/jupyter-mcp-entrypoint"]);
    expect(info.cmd).toEqual(["lambda.handler"]);
    expect(info.workingDir).toBe("/var/task");
    expect(info.env).toMatchObject({ LAMBDA_TASK_ROOT: "/var/task", JUPYTER_STATE_ROOT: "/tmp/jupyter-mcp" });
  });

  test("has a HEALTHCHECK and OCI labels", () => {
    expect(info.healthcheck?.Test).toEqual(["CMD", "node", "/usr/local/bin/jupyter-mcp-healthcheck.mjs"]);
    expect(info.labels["org.opencontainers.image.title"]).toBe("jupyter-mcp");
    expect(info.labels["org.opencontainers.image.version"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.labels["org.opencontainers.image.licenses"]).toBe("Apache-2.0");
  });

  test("carries the bundles and the runtime client; of the handler's node_modules only zeromq", () => {
    for (const f of [
      "var/task/lambda.mjs",
      "var/task/server.mjs",
      "var/task/node_modules/zeromq/package.json",
      "var/task/node_modules/cmake-ts/build/loader.js",
      "var/runtime/node_modules/aws-lambda-ric/index.mjs",
      "var/runtime/node_modules/aws-lambda-ric/rapid-client.node",
    ]) {
      expect(existsSync(`${rootfs}/${f}`)).toBe(true);
    }
    // The native addon stays external to the bundle; its package ships with its one runtime dependency.
    expect(readdirSync(`${rootfs}/var/task/node_modules`).sort()).toEqual(["cmake-ts", "zeromq"]);
  });

  test("zeromq ships one prebuilt addon, the image's own, and no build-time files", () => {
    const build = `${rootfs}/var/task/node_modules/zeromq/build`;
    const addons = walk(build).filter((f) => f.endsWith(".node"));
    const arch = info.architecture === "arm64" ? "arm64" : "x64";
    expect(addons).toEqual([
      expect.stringMatching(new RegExp(`^linux/${arch}/node/glibc-[^/]+/addon\\.node$`)),
    ]);
    const manifest = JSON.parse(readFileSync(`${build}/manifest.json`, "utf8")) as Record<string, string>;
    expect(Object.values(manifest)).toEqual(addons);
    const files = walk(`${rootfs}/var/task/node_modules/zeromq`);
    expect(files.filter((f) => /\.(d\.ts|map|cc|h)$|^src\/|CMakeLists/.test(f))).toEqual([]);
  });

  test("no Jupyter server: the kernel is ipykernel, launched by the handler itself", () => {
    expect(existsSync(`${rootfs}/usr/bin/jupyter-server`)).toBe(false);
    expect(existsSync(`${rootfs}/usr/lib/python3/dist-packages/jupyter_server`)).toBe(false);
    expect(existsSync(`${rootfs}/usr/lib/python3/dist-packages/ipykernel_launcher.py`)).toBe(true);
    expect(existsSync(`${rootfs}/usr/share/jupyter/kernels/python3/kernel.json`)).toBe(true);
  });

  test("dill is there: sessions pickle the kernel's variables with it", () => {
    expect(existsSync(`${rootfs}/usr/lib/python3/dist-packages/dill/__init__.py`)).toBe(true);
  });

  test("Lambda mode outside Lambda exits 64 and says to use `server`", async () => {
    const child = spawnImage({ info, rootfs, command: ["lambda"] });
    const { code } = await child.exited;
    expect(code).toBe(64);
    expect(child.output).toContain("AWS_LAMBDA_RUNTIME_API is not set");
    expect(child.output).toContain("server");
  });
});
