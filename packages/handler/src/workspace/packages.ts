import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";

/**
 * `install_package`: pip into a directory under the state root that is on the kernel's PYTHONPATH.
 * The spec is checked against a strict subset of PEP 508 (a name, optional extras, optional version
 * clauses; no URLs, markers, options or whitespace) and passed to pip as one argument after `--`,
 * through execFile (no shell).
 */
const NAME = "[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?";
const VERSION_CLAUSE = "(?:===|==|!=|<=|>=|~=|<|>)[A-Za-z0-9.*+!_-]{1,64}";
export const PACKAGE_SPEC = new RegExp(
  `^(${NAME})(?:\\[(${NAME}(?:,${NAME}){0,15})\\])?(${VERSION_CLAUSE}(?:,${VERSION_CLAUSE}){0,7})?$`,
);

export class PackageSpecError extends Error {
  override name = "PackageSpecError";
}

export class PackageInstallError extends Error {
  override name = "PackageInstallError";
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

export function checkPackageSpec(spec: string): string {
  if (typeof spec !== "string" || !PACKAGE_SPEC.test(spec)) {
    throw new PackageSpecError(
      `${JSON.stringify(String(spec).slice(0, 200))} is not a package spec this tool accepts. Give a name, ` +
        "optional [extras] and optional version clauses with no spaces, e.g. requests, pandas==2.2.3, " +
        "httpx[http2]>=0.27,<1. URLs, file paths, environment markers and pip options are refused.",
    );
  }
  return spec;
}

export interface InstallOptions {
  python: string;
  target: string;
  /** The kernel's environment (scrubbed): pip sees what the kernel sees, nothing of ours. */
  env: Record<string, string>;
  timeoutMs?: number;
}

export interface InstallResult {
  spec: string;
  target: string;
  output: string;
}

const NO_INDEX =
  /NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|Network is unreachable|ConnectTimeout|Connection refused|Max retries exceeded|timed out|No matching distribution found/;

export async function installPackage(spec: string, options: InstallOptions): Promise<InstallResult> {
  checkPackageSpec(spec);
  const pip = await run(options.python, ["-m", "pip", "--version"], options.env, 30_000);
  if (pip.code !== 0) {
    throw new PackageInstallError(
      `pip is not available to ${options.python}. Install it in the image or host with ` +
        "`apt-get install -y python3-pip` (Debian) and try again.",
      hidePaths(pip.output, options),
    );
  }
  await mkdir(options.target, { recursive: true, mode: 0o700 });
  const args = [
    "-m",
    "pip",
    "install",
    "--target",
    options.target,
    "--upgrade",
    "--no-input",
    "--disable-pip-version-check",
    "--no-warn-script-location",
    "--timeout",
    "10",
    "--retries",
    "0",
    "--",
    spec,
  ];
  const result = await run(options.python, args, options.env, options.timeoutMs ?? 300_000);
  const tail = hidePaths(result.output, options).trim().split("\n").slice(-15).join("\n");
  if (result.code === 0) return { spec, target: options.target, output: tail };
  if (result.timedOut) {
    throw new PackageInstallError(`pip did not finish installing ${spec} in time and was stopped.`, tail);
  }
  if (NO_INDEX.test(result.output)) {
    throw new PackageInstallError(
      `Could not install ${spec}: no package index is reachable from this server (or it has no such ` +
        "package). PyPI may be blocked by the network; point pip at a mirror you can reach (for example " +
        "AWS CodeArtifact) with PIP_INDEX_URL in KERNEL_ENV_PASSTHROUGH, or bake the package into the image.",
      tail,
    );
  }
  throw new PackageInstallError(`pip could not install ${spec} (exit code ${result.code}).`, tail);
}

/** pip's output names the target and HOME, both under the state root: the caller sees them by name. */
function hidePaths(output: string, options: InstallOptions): string {
  let text = output.split(options.target).join("<site-packages>");
  const home = options.env.HOME;
  if (home && home.length > 1) text = text.split(home).join("~");
  return text;
}

function run(
  file: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 8 * 1024 * 1024, shell: false },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (!err) return resolve({ code: 0, output, timedOut: false });
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        const code = typeof e.code === "number" ? e.code : 127;
        resolve({
          code,
          output: typeof e.code === "string" ? `${output}${e.message}` : output,
          timedOut: e.killed === true,
        });
      },
    );
  });
}

/**
 * An IPython startup file that puts `sitePackages` first on the kernel's sys.path. Only the kernel
 * sees it (PYTHONPATH would also reach the Jupyter server, which a user's upgrade of one of its
 * dependencies could then break).
 */
export function kernelPathHook(sitePackages: string): string {
  return (
    "# Written by jupyter-mcp: packages from install_package are importable, newest first.\n" +
    "import sys as _sys\n" +
    `_p = ${JSON.stringify(sitePackages)}\n` +
    "if _p not in _sys.path:\n" +
    "    _sys.path.insert(0, _p)\n" +
    "del _sys, _p\n"
  );
}
