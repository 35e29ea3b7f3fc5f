/**
 * Response streaming (Function URL `RESPONSE_STREAM`, API Gateway REST `STREAM`): the function
 * writes a JSON prelude with the status and headers, then the body bytes as they come. The prelude
 * is what the Node runtime's `awslambda.HttpResponseStream.from(stream, prelude)` takes.
 * https://docs.aws.amazon.com/lambda/latest/dg/response-streaming-tutorial.html
 */
export interface StreamingPrelude {
  statusCode: number;
  headers: Record<string, string>;
  /** Set-Cookie values, one per cookie (headers cannot repeat in the prelude). */
  cookies?: string[];
}

export function streamingPrelude(response: Response): StreamingPrelude {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  return { statusCode: response.status, headers, ...(cookies.length > 0 ? { cookies } : {}) };
}
