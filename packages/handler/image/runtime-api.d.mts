import { EventEmitter } from "node:events";

export interface InvokeResult {
  ok: boolean;
  requestId: string;
  payload?: unknown;
  error?: unknown;
  errorType?: string;
  raw: string;
  /** The Lambda-Runtime-Function-Response-Mode the runtime sent ("streaming"), if any. */
  responseMode?: string;
  /** Streaming mode only: each body chunk as it arrived, ms after the event was handed out. */
  arrivals?: { atMs: number; bytes: number }[];
  durationMs: number;
}

export declare class RuntimeApi extends EventEmitter {
  static start(opts?: {
    host?: string;
    port?: number;
    functionName?: string;
    region?: string;
    accountId?: string;
  }): Promise<RuntimeApi>;
  readonly address: string;
  readonly functionArn: string;
  initError: { errorType?: string; body: string } | undefined;
  nextPolls: number[];
  invoke(
    event: unknown,
    opts?: { timeoutMs?: number; clientContext?: unknown; cognitoIdentity?: unknown },
  ): Promise<InvokeResult>;
  ready(opts?: { timeoutMs?: number }): Promise<number>;
  close(): Promise<void>;
}
