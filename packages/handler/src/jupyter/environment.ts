import path from "node:path";
import { isSecretName } from "../config.js";

/** Variables the Jupyter server and its kernels may inherit. Everything else is dropped. */
const INHERITED = ["PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TERM", "PYTHONUNBUFFERED"];

export interface StateDirs {
  root: string;
  home: string;
  runtime: string;
  data: string;
  config: string;
  ipython: string;
  matplotlib: string;
  cache: string;
  work: string;
  /** install_package's pip --target; an IPython startup file puts it first on the kernel's sys.path. */
  sitePackages: string;
}

export function stateDirs(root: string): StateDirs {
  const at = (name: string) => path.join(root, name);
  return {
    root,
    home: at("home"),
    runtime: at("runtime"),
    data: at("data"),
    config: at("config"),
    ipython: at("ipython"),
    matplotlib: at("matplotlib"),
    cache: at("cache"),
    work: at("work"),
    sitePackages: at("site-packages"),
  };
}

/**
 * The environment of the Jupyter server, and so of every kernel: an allowlist, never a copy of ours.
 * HOME and every tool's state directory point under the state root so nothing writes outside it.
 */
export function kernelEnvironment(
  parent: Record<string, string | undefined>,
  dirs: StateDirs,
  passthrough: readonly string[] = [],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...INHERITED, ...passthrough]) {
    const value = parent[name];
    if (value !== undefined && !isSecretName(name)) env[name] = value;
  }
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  Object.assign(env, {
    HOME: dirs.home,
    JUPYTER_RUNTIME_DIR: dirs.runtime,
    JUPYTER_DATA_DIR: dirs.data,
    JUPYTER_CONFIG_DIR: dirs.config,
    IPYTHONDIR: dirs.ipython,
    MPLCONFIGDIR: dirs.matplotlib,
    XDG_CACHE_HOME: dirs.cache,
    XDG_CONFIG_HOME: path.join(dirs.home, ".config"),
    PYTHONUNBUFFERED: "1",
    // Figures render inline as PNG from the first `import matplotlib`, with no import at kernel start:
    // the inline backend hooks itself into IPython when matplotlib loads it.
    MPLBACKEND: "module://matplotlib_inline.backend_inline",
    // jupyter_core 5 warns at every start without it; every directory is explicit anyway.
    JUPYTER_PLATFORM_DIRS: "1",
    // debugpy prints four "frozen modules" lines at every kernel start otherwise.
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  });
  return env;
}

/**
 * Read by every kernel at start, whoever launches it: figures as PNG, colours off (we strip ANSI
 * anyway), and input history in memory. The history file would be one SQLite database shared by
 * every caller's kernel, so each could read what the others ran.
 */
export const IPYTHON_KERNEL_CONFIG = `c = get_config()  # noqa: F821
c.InlineBackend.figure_formats = {"png"}
c.InteractiveShell.colors = "NoColor"
c.HistoryManager.hist_file = ":memory:"
`;
