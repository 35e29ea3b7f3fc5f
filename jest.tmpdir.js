/**
 * jest globalSetup/globalTeardown for suites whose libraries leave temporary directories behind
 * (cdktf's `Testing.app()` makes a `cdktf.outdir.*` for every app and never removes it: hundreds per
 * run). TMPDIR points at a directory of the run's own while it lasts; the workers inherit it, and
 * it is removed, with whatever was left in it, when the run ends.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const KEY = Symbol.for("jupyter-mcp.jest.tmpdir");

export async function setup() {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), "jupyter-mcp-jest-"));
  process.env.TMPDIR = dir;
  globalThis[KEY] = { dir, previous };
}

export async function teardown() {
  const state = globalThis[KEY];
  if (!state) return;
  if (state.previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = state.previous;
  rmSync(state.dir, { recursive: true, force: true });
}
