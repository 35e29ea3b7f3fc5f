/**
 * `cdktf synth` / `cdktf deploy` run this with no flag (the stack goes to cdktf.out);
 * `pnpm synth` runs it with --write (modules/lambda-rest-api), the drift check with --check.
 */
import { moduleDirOf, readmeTemplateOf, runModuleApp } from "@jupyter-mcp/constructs/module-writer";
import { buildApp, MODULE_NAME } from "./src/stack.js";

process.exitCode = await runModuleApp(
  () => buildApp(),
  { name: MODULE_NAME, readmeTemplate: await readmeTemplateOf(import.meta.url) },
  moduleDirOf(import.meta.url, MODULE_NAME),
);
