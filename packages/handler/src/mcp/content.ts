import type { CallToolResult } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { OutputLimits } from "../config.js";
import type { ExecutionResult } from "../kernel/execution.js";
import type { MimeBundle, Output } from "../kernel/outputs.js";

const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;

/** The shape of execute_code's (and get_execution_output's) structuredContent. */
export const executionOutputShape = {
  status: z.enum(["ok", "error", "timeout", "running"]),
  execution_count: z.number().int().nullable(),
  execution_id: z.string(),
  outputs: z.array(
    z.object({
      type: z.enum(["stream", "execute_result", "display_data", "error"]),
      name: z.string().optional(),
      text: z.string().optional(),
      mime_types: z.array(z.string()).optional(),
      image_index: z.number().int().optional(),
      ename: z.string().optional(),
      evalue: z.string().optional(),
    }),
  ),
  notes: z.array(z.string()),
  truncated_chars: z.number().int(),
  kernel_restarted: z.boolean(),
  duration_ms: z.number(),
};

type StructuredOutput = z.infer<z.ZodObject<typeof executionOutputShape>>["outputs"][number];

/** Renders an execution as MCP content: readable text, images, and a structured copy. */
export function executionToToolResult(result: ExecutionResult, limits: OutputLimits): CallToolResult {
  const text: string[] = [];
  const images: { data: string; mimeType: string }[] = [];
  const structured: StructuredOutput[] = [];
  const notes = [...result.notes];
  let droppedImages = 0;
  let imageBudget = limits.maxResponseBytes;

  const takeImage = (bundle: MimeBundle): number | undefined => {
    const mimeType = IMAGE_TYPES.find((t) => typeof bundle[t] === "string");
    if (!mimeType) return undefined;
    const data = (bundle[mimeType] as string).replace(/\s+/g, "");
    const bytes = Math.floor((data.length * 3) / 4);
    if (images.length >= limits.maxImages || bytes > limits.maxImageBytes || data.length > imageBudget) {
      droppedImages += 1;
      return undefined;
    }
    imageBudget -= data.length;
    images.push({ data, mimeType });
    return images.length - 1;
  };

  for (const output of result.outputs) {
    structured.push(renderOutput(output, text, takeImage));
  }
  if (result.droppedChars > 0) {
    notes.push(
      `Output truncated: ${result.droppedChars} characters cut after the first ${limits.maxOutputChars} (MCP_MAX_OUTPUT_CHARS).`,
    );
  }
  if (droppedImages > 0) {
    notes.push(
      `${droppedImages} image(s) not returned: at most ${limits.maxImages} images of ${limits.maxImageBytes} bytes each fit in one response.`,
    );
  }
  const body = text.join("");
  const summary = [
    body.length > 0 ? body : result.status === "ok" ? "(no output)" : "",
    ...notes.map((n) => `[${n}]`),
  ]
    .filter(Boolean)
    .join("\n");

  return {
    content: [
      { type: "text", text: summary },
      ...images.map((img) => ({ type: "image" as const, data: img.data, mimeType: img.mimeType })),
    ],
    structuredContent: {
      status: result.status,
      execution_count: result.executionCount,
      execution_id: result.executionId,
      outputs: structured,
      notes,
      truncated_chars: result.droppedChars,
      kernel_restarted: result.kernelRestarted,
      duration_ms: result.durationMs,
    },
    isError: result.status === "error" || result.status === "timeout",
  };
}

function renderOutput(
  output: Output,
  text: string[],
  takeImage: (bundle: MimeBundle) => number | undefined,
): StructuredOutput {
  switch (output.type) {
    case "stream":
      text.push(output.text);
      return { type: "stream", name: output.name, text: output.text };
    case "execute_result":
    case "display_data": {
      const plain =
        typeof output.data["text/plain"] === "string" ? (output.data["text/plain"] as string) : "";
      const imageIndex = takeImage(output.data);
      const prefix =
        output.type === "execute_result" && output.executionCount ? `Out[${output.executionCount}]: ` : "";
      if (imageIndex === undefined && plain) text.push(`${prefix}${plain}\n`);
      return {
        type: output.type,
        text: plain,
        mime_types: Object.keys(output.data),
        ...(imageIndex !== undefined ? { image_index: imageIndex } : {}),
      };
    }
    case "error": {
      const trace =
        output.traceback.length > 0 ? output.traceback.join("\n") : `${output.ename}: ${output.evalue}`;
      text.push(`${trace}\n`);
      return { type: "error", ename: output.ename, evalue: output.evalue, text: trace };
    }
  }
}

/** A JSON payload as tool content, with the same object as structuredContent. */
export function jsonResult(value: Record<string, unknown>, isError = false): CallToolResult {
  return {
    content: [{ type: "text", text: JSON.stringify(value, null, 2) }],
    structuredContent: value,
    ...(isError ? { isError } : {}),
  };
}

/** A tool-level error the model can read and act on. */
export function errorResult(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}
