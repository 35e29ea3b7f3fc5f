/** workspace://<path>, each segment percent-encoded so any file name survives URL parsing. */
export function workspaceUri(relative: string): string {
  return `workspace://${relative.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * Media types of workspace files by extension, for MCP resources. Text types are served as `text`;
 * binary ones as base64 `blob` without trying to decode them; an unknown extension is decided by
 * the bytes (valid UTF-8 without NUL bytes is text).
 */
const TEXT: Record<string, string> = {
  ".py": "text/x-python",
  ".ipynb": "application/x-ipynb+json",
  ".json": "application/json",
  ".jsonl": "application/jsonl",
  ".geojson": "application/geo+json",
  ".csv": "text/csv",
  ".tsv": "text/tab-separated-values",
  ".md": "text/markdown",
  ".txt": "text/plain",
  ".log": "text/plain",
  ".rst": "text/x-rst",
  ".html": "text/html",
  ".htm": "text/html",
  ".css": "text/css",
  ".js": "text/javascript",
  ".xml": "application/xml",
  ".svg": "image/svg+xml",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".toml": "application/toml",
  ".ini": "text/plain",
  ".cfg": "text/plain",
  ".sql": "application/sql",
  ".sh": "text/x-shellscript",
  ".r": "text/x-r",
  ".tex": "text/x-tex",
};

const BINARY: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".pdf": "application/pdf",
  ".parquet": "application/vnd.apache.parquet",
  ".feather": "application/vnd.apache.arrow.file",
  ".arrow": "application/vnd.apache.arrow.file",
  ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ".xls": "application/vnd.ms-excel",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".tar": "application/x-tar",
  ".npy": "application/octet-stream",
  ".npz": "application/zip",
  ".pkl": "application/octet-stream",
  ".pickle": "application/octet-stream",
  ".h5": "application/x-hdf5",
  ".hdf5": "application/x-hdf5",
  ".sqlite": "application/vnd.sqlite3",
  ".db": "application/vnd.sqlite3",
  ".mp3": "audio/mpeg",
  ".wav": "audio/wav",
  ".mp4": "video/mp4",
};

function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot).toLowerCase() : "";
}

/** The media type an extension implies, and whether it is text; undefined when unknown. */
export function mediaTypeOf(name: string): { mimeType: string; text: boolean } | undefined {
  const ext = extensionOf(name);
  if (Object.hasOwn(TEXT, ext)) return { mimeType: TEXT[ext]!, text: true };
  if (Object.hasOwn(BINARY, ext)) return { mimeType: BINARY[ext]!, text: false };
  return undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The bytes as text when they are valid UTF-8 without NUL bytes (which text files do not hold). */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
