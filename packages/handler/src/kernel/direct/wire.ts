/**
 * Jupyter messaging protocol 5.3 on the wire: the multipart framing
 * `[...identities, "<IDS|MSG>", signature, header, parent_header, metadata, content, ...buffers]`
 * and its HMAC-SHA256 signature over the four JSON frames. Pure functions of frames and a key:
 * no sockets here, so it can be tested on its own.
 */
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export const PROTOCOL_VERSION = "5.3";
export const DELIMITER = Buffer.from("<IDS|MSG>", "latin1");
const EMPTY_OBJECT = Buffer.from("{}", "latin1");
const SHA256_BYTES = 32;

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  [field: string]: unknown;
}

/** A received message whose signature was checked. `metadata` stays raw: we never read it. */
export interface WireMessage {
  identities: Buffer[];
  header: MessageHeader;
  /** `{}` when the message has no parent. */
  parentHeader: Partial<MessageHeader>;
  content: Record<string, unknown>;
  metadataFrame: Buffer;
  buffers: Buffer[];
}

export type DecodeResult =
  { ok: true; message: WireMessage } | { ok: false; reason: "malformed" | "bad-signature" };

export interface EncodedMessage {
  msgId: string;
  header: MessageHeader;
  frames: Buffer[];
}

export interface EncodeOptions {
  parent?: Partial<MessageHeader>;
  metadata?: Record<string, unknown>;
  identities?: Buffer[];
  buffers?: Buffer[];
}

/** Signs and checks the messages of one session (one kernel connection, one key). */
export class WireCodec {
  private readonly key: Buffer;

  /**
   * @param key the connection file's `key`, used as its UTF-8 bytes (as jupyter_client does).
   *   An empty key disables signing, which the protocol allows; we always pass one.
   * @param session our session id, sent in every header (and used as our ZMQ routing id).
   */
  constructor(
    key: string,
    readonly session: string,
    private readonly username = "jupyter-mcp",
  ) {
    this.key = Buffer.from(key, "utf8");
  }

  /** The hex signature of the four JSON frames. */
  sign(header: Buffer, parent: Buffer, metadata: Buffer, content: Buffer): Buffer {
    if (this.key.length === 0) return Buffer.alloc(0);
    const digest = this.digest(header, parent, metadata, content);
    return Buffer.from(digest.toString("hex"), "latin1");
  }

  encode(msgType: string, content: unknown, options: EncodeOptions = {}): EncodedMessage {
    const header: MessageHeader = {
      msg_id: randomUUID(),
      msg_type: msgType,
      session: this.session,
      username: this.username,
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    };
    const headerFrame = Buffer.from(JSON.stringify(header), "utf8");
    const parentFrame = options.parent ? Buffer.from(JSON.stringify(options.parent), "utf8") : EMPTY_OBJECT;
    const metadataFrame = options.metadata
      ? Buffer.from(JSON.stringify(options.metadata), "utf8")
      : EMPTY_OBJECT;
    const contentFrame = Buffer.from(JSON.stringify(content ?? {}), "utf8");
    const signature = this.sign(headerFrame, parentFrame, metadataFrame, contentFrame);
    const frames = [
      ...(options.identities ?? []),
      DELIMITER,
      signature,
      headerFrame,
      parentFrame,
      metadataFrame,
      contentFrame,
      ...(options.buffers ?? []),
    ];
    return { msgId: header.msg_id, header, frames };
  }

  /**
   * Splits, verifies (constant time) and parses a received multipart message. The signature is
   * checked before any JSON is parsed, so a forged message costs one HMAC and nothing else.
   */
  decode(frames: Buffer[]): DecodeResult {
    const at = delimiterIndex(frames);
    if (at < 0 || frames.length < at + 6) return { ok: false, reason: "malformed" };
    const signature = frames[at + 1]!;
    const headerFrame = frames[at + 2]!;
    const parentFrame = frames[at + 3]!;
    const metadataFrame = frames[at + 4]!;
    const contentFrame = frames[at + 5]!;
    if (!this.verify(signature, headerFrame, parentFrame, metadataFrame, contentFrame)) {
      return { ok: false, reason: "bad-signature" };
    }
    let header: MessageHeader;
    let parentHeader: Partial<MessageHeader>;
    let content: Record<string, unknown>;
    try {
      header = JSON.parse(headerFrame.toString("utf8")) as MessageHeader;
      parentHeader = JSON.parse(parentFrame.toString("utf8")) as Partial<MessageHeader>;
      content = JSON.parse(contentFrame.toString("utf8")) as Record<string, unknown>;
    } catch {
      return { ok: false, reason: "malformed" };
    }
    if (!isObject(header) || typeof header.msg_type !== "string" || !isObject(content)) {
      return { ok: false, reason: "malformed" };
    }
    return {
      ok: true,
      message: {
        identities: at === 0 ? [] : frames.slice(0, at),
        header,
        parentHeader: isObject(parentHeader) ? parentHeader : {},
        content,
        metadataFrame,
        buffers: frames.length > at + 6 ? frames.slice(at + 6) : [],
      },
    };
  }

  private verify(signature: Buffer, header: Buffer, parent: Buffer, metadata: Buffer, content: Buffer) {
    if (this.key.length === 0) return true;
    // The hex is decoded rather than compared as text so that case does not matter; its length is
    // public (always 64), so checking it first leaks nothing.
    if (signature.length !== SHA256_BYTES * 2) return false;
    const received = Buffer.from(signature.toString("latin1"), "hex");
    if (received.length !== SHA256_BYTES) return false;
    return timingSafeEqual(received, this.digest(header, parent, metadata, content));
  }

  private digest(header: Buffer, parent: Buffer, metadata: Buffer, content: Buffer): Buffer {
    return createHmac("sha256", this.key)
      .update(header)
      .update(parent)
      .update(metadata)
      .update(content)
      .digest();
  }
}

function delimiterIndex(frames: Buffer[]): number {
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    if (frame.length === DELIMITER.length && frame.equals(DELIMITER)) return i;
  }
  return -1;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
