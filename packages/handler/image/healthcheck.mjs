// HEALTHCHECK of the jupyter-mcp image. In server mode: GET /health on the local server.
// In Lambda mode there is no HTTP server (and Lambda ignores HEALTHCHECK): report healthy.
if (process.env.AWS_LAMBDA_RUNTIME_API) process.exit(0);
const port = process.env.PORT || "8080";
try {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(4000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
