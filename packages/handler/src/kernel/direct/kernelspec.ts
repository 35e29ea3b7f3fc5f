/**
 * Kernelspecs the way jupyter_client reads them: `<dir>/<name>/kernel.json` in the Jupyter data
 * directories, first match wins; argv[0] `python`/`python3` means "the configured Python";
 * `{connection_file}` and `{resource_dir}` are substituted in argv; the spec's env is laid over the
 * launch environment with `${VAR}` substituted from it.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

export interface KernelSpec {
  /** Where it came from (the kernel.json), or undefined for the built-in ipykernel fallback. */
  file: string | undefined;
  argv: string[];
  env: Record<string, string>;
  interruptMode: "signal" | "message";
}

/** The launch command and environment of one kernel. */
export interface KernelCommand {
  argv: string[];
  env: Record<string, string>;
}

export const NATIVE_KERNEL_NAME = "python3";

/** ipykernel's own spec, used when no kernel.json names python3 (what jupyter_client does too). */
export function nativeKernelSpec(): KernelSpec {
  return {
    file: undefined,
    argv: ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
    env: {},
    interruptMode: "signal",
  };
}

/**
 * The `kernels` directories searched, in jupyter_client's order: JUPYTER_PATH, the user data dir
 * (JUPYTER_DATA_DIR, else the state root's), the Python's prefix (a venv's own specs), the system.
 */
export function kernelSpecDirs(python: string, stateRoot: string, env: Record<string, string>): string[] {
  const dataDirs: string[] = [];
  for (const entry of (env.JUPYTER_PATH ?? "").split(path.delimiter)) if (entry) dataDirs.push(entry);
  dataDirs.push(env.JUPYTER_DATA_DIR || path.join(stateRoot, "data"));
  if (path.isAbsolute(python))
    dataDirs.push(path.join(path.dirname(path.dirname(python)), "share", "jupyter"));
  dataDirs.push("/usr/local/share/jupyter", "/usr/share/jupyter");
  return [...new Set(dataDirs.map((dir) => path.join(dir, "kernels")))];
}

export class KernelSpecError extends Error {
  override name = "KernelSpecError";
}

/** Finds `name` in `dirs`; python3 falls back to ipykernel's spec, any other name must exist. */
export async function resolveKernelSpec(name: string, dirs: readonly string[]): Promise<KernelSpec> {
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new KernelSpecError(`invalid kernel name ${JSON.stringify(name)}`);
  for (const dir of dirs) {
    const file = path.join(dir, name, "kernel.json");
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch {
      continue;
    }
    return parseKernelSpec(file, text);
  }
  if (name === NATIVE_KERNEL_NAME) return nativeKernelSpec();
  throw new KernelSpecError(`no kernelspec named "${name}" in ${dirs.join(", ") || "(no directories)"}`);
}

export function parseKernelSpec(file: string, text: string): KernelSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new KernelSpecError(`${file} is not JSON: ${(err as Error).message}`);
  }
  const spec = raw as { argv?: unknown; env?: unknown; interrupt_mode?: unknown };
  if (!Array.isArray(spec.argv) || spec.argv.length === 0 || !spec.argv.every((a) => typeof a === "string")) {
    throw new KernelSpecError(`${file}: "argv" must be a non-empty list of strings`);
  }
  const env: Record<string, string> = {};
  if (spec.env !== undefined) {
    if (typeof spec.env !== "object" || spec.env === null || Array.isArray(spec.env)) {
      throw new KernelSpecError(`${file}: "env" must be an object`);
    }
    for (const [key, value] of Object.entries(spec.env)) {
      if (typeof value !== "string") throw new KernelSpecError(`${file}: env.${key} must be a string`);
      env[key] = value;
    }
  }
  const mode = spec.interrupt_mode ?? "signal";
  if (mode !== "signal" && mode !== "message") {
    throw new KernelSpecError(`${file}: "interrupt_mode" must be "signal" or "message"`);
  }
  return { file, argv: spec.argv as string[], env, interruptMode: mode };
}

/** jupyter_client's rule: a bare python, python3 or python3.N means the configured interpreter. */
const BARE_PYTHON = /^python(3(\.\d+)?)?$/;
/** Any Python path, e.g. Debian's own python3 spec names /usr/bin/python3. */
const ANY_PYTHON = /(^|\/)python(3(\.\d+)?)?$/;

/**
 * What `python -m ipykernel_launcher` does, as `python -c`, without ipykernel's debugger. ipykernel
 * imports debugpy at start whenever it is installed (Debian's python3-ipykernel depends on it), for
 * the DAP debugger of the control channel, which no MCP tool speaks; that import is about a quarter
 * of ipykernel's own start (90-180 ms of 300-500 here). `None` in sys.modules makes `import debugpy`
 * fail while ipykernel's modules load, so it starts with the debugger off, as it does where debugpy
 * is absent; the entry is removed before the kernel runs, so user code can still import debugpy.
 * `python -m` puts the launch directory first on sys.path and `-c` puts "": the first line makes
 * them the same, so imports resolve as they would under `-m` (ipykernel_launcher drops only "").
 */
export const IPYKERNEL_BOOT = [
  "import os, sys",
  'if sys.path and sys.path[0] == "": sys.path[0] = os.getcwd()',
  'sys.modules["debugpy"] = None',
  "from ipykernel import kernelapp",
  'del sys.modules["debugpy"]',
  "kernelapp.launch_new_instance()",
].join("\n");

/**
 * The command and environment to start `spec`. The environment is `baseEnv` (already scrubbed),
 * then the caller's `extraEnv`, then the spec's env, which wins as in jupyter_client.
 */
export function kernelCommand(
  spec: KernelSpec,
  python: string,
  connectionFile: string,
  baseEnv: Record<string, string>,
  extraEnv: Record<string, string> = {},
): KernelCommand {
  const resourceDir = spec.file ? path.dirname(spec.file) : "";
  const argv = spec.argv.map((arg) =>
    arg.replaceAll("{connection_file}", connectionFile).replaceAll("{resource_dir}", resourceDir),
  );
  // Also an ipykernel spec with any Python path: JUPYTER_PYTHON is the kernel's interpreter, as
  // documented, even where the installed spec names the system's (Debian's names /usr/bin/python3).
  const ipykernelSpec = argv[1] === "-m" && argv[2] === "ipykernel_launcher" && ANY_PYTHON.test(argv[0]!);
  if (BARE_PYTHON.test(argv[0]!) || ipykernelSpec) argv[0] = python;
  // sys.argv in the kernel is then ["-c", ...the spec's arguments], as ipykernel parses them.
  if (ipykernelSpec) argv.splice(1, 2, "-c", IPYKERNEL_BOOT);
  const launchEnv = { ...baseEnv, ...extraEnv };
  const env = { ...launchEnv };
  // Substituted from the launch environment only, not from other spec entries (as
  // string.Template.safe_substitute over os.environ does in jupyter_client); unknown names stay.
  for (const [key, value] of Object.entries(spec.env)) {
    env[key] = value.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
      (whole, name: string) => launchEnv[name] ?? whole,
    );
  }
  return { argv, env };
}
