import { encodeResponseBody, readBody, type EncodedBody } from "./body.js";

/** The pieces of a Fetch Response every result shape is built from. */
export interface ResponseParts extends EncodedBody {
  status: number;
  headers: Headers;
}

/** Reads a Response once: status, headers, and the body encoded for a Lambda result. */
export async function readResponse(response: Response): Promise<ResponseParts> {
  const bytes = await readBody(response);
  const encoded = encodeResponseBody(
    bytes,
    response.headers.get("content-type"),
    response.headers.get("content-encoding"),
  );
  return { status: response.status, headers: response.headers, ...encoded };
}
