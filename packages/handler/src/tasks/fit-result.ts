/**
 * Fits a CallToolResult into a task record. DynamoDB items stop at 400 KB, so a cell that printed
 * megabytes or drew a large plot cannot be inlined whole; the record then keeps a reduced result
 * that says so, and the full one stays with the execution (get_execution_output, same server).
 */

/** The result's share of a DynamoDB item (400 KB), leaving room for the record's other fields. */
export const DYNAMODB_RESULT_BYTES = 300_000;
/** Files have no hard limit; this keeps one task from filling the disk or a reader's memory. */
export const FILE_RESULT_BYTES = 32 * 1024 * 1024;

export const MIN_RESULT_BYTES = 2048;
/** Strings this short are never cut: they are ids, enums and names a schema may check. */
const KEEP_WHOLE_BYTES = 64;
/** Room for the "… [truncated …]" marker a cut string gets. */
const MARKER_BYTES = 64;
/** Non-text content items (resource links, unknown types) up to this size are kept as they are. */
const SMALL_ITEM_BYTES = 4096;

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? "");
}

/**
 * `result` itself when its JSON fits in maxBytes. Otherwise a copy that does: images, audio and
 * embedded resource blobs become one-line placeholders, text (in content and inside
 * structuredContent, whose shape is kept for the tool's outputSchema) is cut evenly, and a first
 * text item says what happened and how to get the full output. structuredContent is dropped only
 * when even its skeleton does not fit (e.g. a hundred thousand outputs).
 */
export function fitResult(result: unknown, maxBytes: number, executionId?: string): unknown {
  // Below this even the note saying what happened might not fit.
  if (!(maxBytes >= MIN_RESULT_BYTES))
    throw new RangeError(`maxBytes must be at least ${MIN_RESULT_BYTES}, not ${maxBytes}`);
  const size = jsonBytes(result);
  if (size <= maxBytes) return result;
  const note = tooLargeNote(size, maxBytes, executionId);
  const source = isObject(result) ? result : {};
  const items = Array.isArray(source.content) ? source.content : [];
  const base = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    if (typeof source.isError === "boolean") out.isError = source.isError;
    if (isObject(source._meta) && jsonBytes(source._meta) <= SMALL_ITEM_BYTES) out._meta = source._meta;
    return out;
  };

  for (const keepStructured of [true, false]) {
    if (keepStructured && source.structuredContent === undefined) continue;
    const slots: Slot[] = [];
    const reduced = base();
    reduced.content = [{ type: "text", text: note }, ...items.map((item) => reduceItem(item, slots))];
    if (keepStructured) reduced.structuredContent = cloneWithSlots(source.structuredContent, slots);
    if (shrinkToFit(reduced, slots, maxBytes)) return reduced;
  }
  // Even the placeholders do not fit (thousands of images?): the note alone.
  const bare: Record<string, unknown> = { content: [{ type: "text", text: note }] };
  if (typeof source.isError === "boolean") bare.isError = source.isError;
  return bare;
}

function tooLargeNote(size: number, maxBytes: number, executionId: string | undefined): string {
  const where =
    executionId === undefined
      ? "The full output stays on the server that ran the call."
      : `Call get_execution_output with execution_id "${executionId.slice(0, 200)}" on the same server for the full output.`;
  return (
    `[The full result (${size} bytes) was too large for the task record (limit ${maxBytes} bytes): ` +
    `images, audio and embedded file data were dropped and text was truncated. ${where}]`
  );
}

/** A string in the reduced result that may be cut: `set` writes its (possibly cut) value back. */
interface Slot {
  full: string;
  bytes: number;
  set(value: string): void;
}

function reduceItem(item: unknown, slots: Slot[]): unknown {
  if (!isObject(item)) return item;
  const type = item.type;
  if (type === "text" && typeof item.text === "string") {
    const copy = { ...item };
    addSlot(slots, item.text, (value) => (copy.text = value));
    return copy;
  }
  if (type === "image" || type === "audio") {
    const bytes = typeof item.data === "string" ? item.data.length : 0;
    return placeholder(`${String(item.mimeType ?? type)} ${type} (${bytes} bytes of base64)`);
  }
  if (type === "resource" && isObject(item.resource)) {
    const resource = item.resource;
    if (typeof resource.text === "string") {
      const copy = { ...resource };
      addSlot(slots, resource.text, (value) => (copy.text = value));
      return { ...item, resource: copy };
    }
    return placeholder(`embedded resource ${String(resource.uri ?? "")}`.trim());
  }
  return jsonBytes(item) <= SMALL_ITEM_BYTES
    ? item
    : placeholder(`${String(type ?? "unknown")} content item`);
}

function placeholder(what: string): unknown {
  return { type: "text", text: `[${what} dropped: too large for the task record]` };
}

/** A deep copy of structuredContent whose long strings are slots, so its shape survives the cut. */
function cloneWithSlots(value: unknown, slots: Slot[]): unknown {
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    value.forEach((entry, index) => {
      copy.push(typeof entry === "string" ? entry : cloneWithSlots(entry, slots));
      if (typeof entry === "string") addSlot(slots, entry, (cut) => (copy[index] = cut));
    });
    return copy;
  }
  if (!isObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    copy[key] = typeof entry === "string" ? entry : cloneWithSlots(entry, slots);
    if (typeof entry === "string") addSlot(slots, entry, (cut) => (copy[key] = cut));
  }
  return copy;
}

function addSlot(slots: Slot[], full: string, set: (value: string) => void): void {
  const bytes = Buffer.byteLength(full);
  if (bytes > KEEP_WHOLE_BYTES) slots.push({ full, bytes, set });
}

/**
 * Cuts every slot to one common cap (strings under it stay whole), the largest cap whose total
 * fits. JSON escaping (newlines, quotes, control characters) makes the estimate low, so it
 * measures the outcome and tightens a few times; false if it cannot fit.
 */
function shrinkToFit(reduced: Record<string, unknown>, slots: Slot[], maxBytes: number): boolean {
  for (const slot of slots) slot.set("");
  const skeleton = jsonBytes(reduced);
  let budget = maxBytes - skeleton - slots.length * MARKER_BYTES;
  for (let attempt = 0; attempt < 6 && budget >= 0; attempt++) {
    const cap = waterLevel(
      slots.map((slot) => slot.bytes),
      budget,
    );
    for (const slot of slots) slot.set(cut(slot.full, slot.bytes, cap));
    const size = jsonBytes(reduced);
    if (size <= maxBytes) return true;
    budget = Math.floor(budget * ((maxBytes - skeleton) / (size - skeleton)) * 0.9);
  }
  return false;
}

/** The largest cap c with sum(min(size, c)) <= budget. */
function waterLevel(sizes: number[], budget: number): number {
  const sorted = [...sizes].sort((a, b) => a - b);
  let left = budget;
  for (let i = 0; i < sorted.length; i++) {
    const share = Math.floor(left / (sorted.length - i));
    const size = sorted[i] as number;
    if (size > share) return share;
    left -= size;
  }
  return Number.MAX_SAFE_INTEGER;
}

function cut(full: string, bytes: number, capBytes: number): string {
  if (bytes <= capBytes) return full;
  // A cut through a multi-byte character decodes as U+FFFD: drop that partial character.
  const kept = Buffer.from(full)
    .subarray(0, capBytes)
    .toString("utf8")
    .replace(/\uFFFD+$/, "");
  return `${kept}… [truncated: ${kept.length} of ${full.length} characters kept]`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
