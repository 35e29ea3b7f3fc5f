import { streamingPrelude } from "@jupyter-mcp/event-adapter";
import type { Context } from "aws-lambda";
import type { Writable } from "node:stream";
import type { Logger } from "./log.js";

/**
 * The Node runtime interface client's streaming API (aws-lambda-ric 3.2+/4, and Lambda's managed
 * Node runtimes), present as a global inside Lambda only.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html
 */
interface AwsLambdaGlobal {
  streamifyResponse<T>(handler: (event: unknown, stream: Writable, context: Context) => Promise<T>): unknown;
  HttpResponseStream: { from(stream: Writable, prelude: Record<string, unknown>): Writable };
}

type StreamingHandler = (event: unknown, stream: Writable, context: Context) => Promise<void>;

function awslambda(): AwsLambdaGlobal | undefined {
  const found = (globalThis as { awslambda?: Partial<AwsLambdaGlobal> }).awslambda;
  return typeof found?.streamifyResponse === "function" && found.HttpResponseStream
    ? (found as AwsLambdaGlobal)
    : undefined;
}

/** The streamified handler when streaming is asked for and the runtime can do it; else undefined. */
export function streamingEntry(
  handler: StreamingHandler,
  wanted: boolean,
  log: Logger,
): ((event: unknown, context: Context) => Promise<unknown>) | undefined {
  if (!wanted) return undefined;
  const runtime = awslambda();
  if (!runtime) {
    log.error("response streaming unavailable", {
      error:
        "MCP_LAMBDA_STREAMING=1 but this runtime has no awslambda.streamifyResponse (aws-lambda-ric 3.2 or later, or a managed Node runtime); answering buffered.",
    });
    return undefined;
  }
  return runtime.streamifyResponse(handler) as (event: unknown, context: Context) => Promise<unknown>;
}

/** Writes the prelude (status, headers) and then the body chunk by chunk, ending the stream. */
export async function pipeResponse(response: Response, stream: Writable): Promise<void> {
  const runtime = awslambda();
  const out = runtime ? runtime.HttpResponseStream.from(stream, { ...streamingPrelude(response) }) : stream;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!out.write(value)) await new Promise<void>((resolve) => out.once("drain", resolve));
    }
  }
  await new Promise<void>((resolve, reject) => {
    out.once("error", reject);
    out.end(() => resolve());
  });
}
