// The image's configuration and entrypoint contract (no AWS, no network): non-root user, the
// default command for Lambda, HEALTHCHECK, OCI labels, and the entrypoint's refusal to run Lambda
// mode outside a Lambda sandbox. Needs the built image (`pnpm image:build`).
import { existsSync } from "node:fs";
import { spawnImage, type ImageInfo } from "../../image/sandbox.mjs";
import { builtImage } from "./helpers.js";

let info: ImageInfo;
let rootfs: string;

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

  test("carries the bundles and the runtime client, no node_modules of the handler", () => {
    for (const f of [
      "var/task/lambda.mjs",
      "var/task/server.mjs",
      "var/runtime/node_modules/aws-lambda-ric/bin/index.mjs",
    ]) {
      expect(existsSync(`${rootfs}/${f}`)).toBe(true);
    }
    expect(existsSync(`${rootfs}/var/task/node_modules`)).toBe(false);
  });

  test("Lambda mode outside Lambda exits 64 and says to use `server`", async () => {
    const child = spawnImage({ info, rootfs, command: ["lambda"] });
    const { code } = await child.exited;
    expect(code).toBe(64);
    expect(child.output).toContain("AWS_LAMBDA_RUNTIME_API is not set");
    expect(child.output).toContain("server");
  });
});
