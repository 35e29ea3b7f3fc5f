import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { jsonResult } from "../content.js";
import { installPackage } from "../../workspace/packages.js";
import { requireWorkspace, toolError } from "../../workspace/tool-support.js";
import type { ToolContext } from "./context.js";

export function registerInstallPackage(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    "install_package",
    {
      title: "Install a Python package",
      description:
        "pip-install one package for the kernel (into a directory on its sys.path; importable right away, " +
        "no restart). `package` is a name with optional [extras] and version clauses, e.g. `requests`, " +
        "`pandas==2.2.3`, `httpx[http2]>=0.27,<1`; URLs, paths and pip options are refused. Packages do not " +
        "survive a cold start: install again when an import fails.",
      inputSchema: {
        package: z.string().min(1).max(300).describe("Package spec, e.g. requests or pandas==2.2.3."),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    async ({ package: spec }) => {
      try {
        const workspace = requireWorkspace(ctx.workspace);
        let timeoutMs = (workspace.pipTimeoutSeconds ?? 300) * 1000;
        if (ctx.budgetMs !== undefined) timeoutMs = Math.min(timeoutMs, ctx.budgetMs);
        const result = await installPackage(spec, {
          python: workspace.python,
          target: workspace.sitePackages,
          env: workspace.kernelEnv,
          timeoutMs,
        });
        return jsonResult({
          installed: true,
          package: result.spec,
          target: result.target,
          message: `Installed ${result.spec}; import it in execute_code.`,
          output: result.output,
        });
      } catch (err) {
        return toolError(err);
      }
    },
  );
}
