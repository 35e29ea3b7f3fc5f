// s3rver ships no types; this is the part the tests use.
declare module "s3rver" {
  import type { EventEmitter } from "node:events";
  import type { AddressInfo } from "node:net";

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  interface S3EventRecord {
    eventName: string;
    s3: { bucket: { name: string }; object: { key: string; size?: number } };
  }

  export default class S3rver extends EventEmitter {
    constructor(options: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    on(event: "event", listener: (event: { Records: S3EventRecord[] }) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
