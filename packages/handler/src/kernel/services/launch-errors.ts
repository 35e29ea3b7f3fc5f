import { ServerConnection } from "@jupyterlab/services";
import { JupyterNotInstalledError } from "../../jupyter/server-process.js";
import { KernelLaunchError } from "../transport.js";
import { errorMessage } from "../wait.js";
import { stripCredentials } from "./settings.js";

/**
 * Launch failures worded for whoever configured the server: what went wrong and what to change.
 * Messages name the server by URL without credentials and never carry the token.
 */

/** `server.ensureRunning()` failed: our server would not start, or an external one did not answer. */
export function serverUnavailableError(err: unknown, external: boolean): KernelLaunchError {
  if (err instanceof KernelLaunchError) return err;
  // It already says how to install Jupyter or where to point instead.
  if (err instanceof JupyterNotInstalledError) return new KernelLaunchError(err.message);
  const text = stripCredentials(errorMessage(err));
  const refused = /HTTP (40[13])\b/.exec(text);
  if (refused) {
    // ExternalJupyterServer reports it as "did not become ready (HTTP 403)": say what it means.
    const at = /https?:\/\/[^\s)]+/.exec(text)?.[0];
    return new KernelLaunchError(
      `The Jupyter server${at ? ` at ${at}` : ""} refused our token (HTTP ${refused[1]}): check JUPYTER_TOKEN.`,
    );
  }
  const hint = external ? " Check JUPYTER_URL, and that the server is running and reachable from here." : "";
  return new KernelLaunchError(`The Jupyter server is not available: ${text}${hint}`);
}

/** A REST request to a server that was answering a moment ago failed. */
export function serverRequestError(err: unknown, serverUrl: string, doing: string): KernelLaunchError {
  if (err instanceof KernelLaunchError) return err;
  if (err instanceof ServerConnection.ResponseError) {
    const status = err.response.status;
    if (status === 401 || status === 403) {
      return new KernelLaunchError(
        `The Jupyter server at ${serverUrl} refused our token (HTTP ${status}) while ${doing}: check JUPYTER_TOKEN.`,
      );
    }
    return new KernelLaunchError(
      `The Jupyter server at ${serverUrl} answered HTTP ${status} while ${doing}: ${firstLine(err.message)}`,
    );
  }
  if (err instanceof TypeError) {
    // NetworkError (a TypeError) with the cause our bounded fetch put into its message.
    return new KernelLaunchError(
      `Could not reach the Jupyter server at ${serverUrl} while ${doing}: ${stripCredentials(err.message)}.`,
    );
  }
  return new KernelLaunchError(
    `Failed while ${doing} on ${serverUrl}: ${stripCredentials(errorMessage(err))}`,
  );
}

export function unknownKernelError(
  name: string,
  serverUrl: string,
  available: readonly string[],
): KernelLaunchError {
  const has = available.length > 0 ? `it has ${available.join(", ")}` : "it has no kernelspecs at all";
  return new KernelLaunchError(
    `JUPYTER_KERNEL_NAME "${name}" is not a kernel on the Jupyter server at ${serverUrl}; ${has}.`,
  );
}

function firstLine(text: string): string {
  return stripCredentials(text.split("\n", 1)[0] ?? "").slice(0, 300);
}
