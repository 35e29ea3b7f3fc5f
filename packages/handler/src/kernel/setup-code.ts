/**
 * Python the session runs silently on a kernel before any of the caller's code. Values travel as
 * JSON string literals (always valid Python string literals), never spliced into code.
 */
const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Imports KERNEL_PRELOAD; runs once per kernel, before it is given to a caller (spare kernels too). */
export function preloadCode(modules: readonly string[]): string {
  return modules
    .filter((m) => MODULE_NAME.test(m))
    .map((m) => `try:\n    import ${m}\nexcept Exception as _e:\n    print('preload of ${m} failed:', _e)`)
    .join("\n");
}

export interface CallerPlace {
  workDir: string;
  home: string;
  sitePackages: string;
}

/**
 * Makes a kernel the caller's: its working directory, HOME, and install_package's directory first
 * on sys.path (not PYTHONPATH, which an upgraded package could use to break other tools). Done in
 * the kernel rather than at launch, so a kernel launched before anyone called (a spare) can be
 * handed to whichever caller comes first. With JUPYTER_URL the directories may not exist on that
 * server's machine; then the kernel keeps the server's.
 */
export function callerSetupCode(place: CallerPlace): string {
  const py = JSON.stringify;
  return [
    "import os as _os, sys as _sys",
    `if _os.path.isdir(${py(place.workDir)}):`,
    `    _os.chdir(${py(place.workDir)})`,
    `if _os.path.isdir(${py(place.home)}):`,
    `    _os.environ["HOME"] = ${py(place.home)}`,
    `if _os.path.isdir(${py(place.sitePackages)}) and ${py(place.sitePackages)} not in _sys.path:`,
    `    _sys.path.insert(0, ${py(place.sitePackages)})`,
    "del _os, _sys",
  ].join("\n");
}
