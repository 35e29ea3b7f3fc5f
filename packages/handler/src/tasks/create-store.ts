import path from "node:path";
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDbTaskStore } from "./dynamodb-task-store.js";
import { FileTaskStore } from "./file-task-store.js";
import type { TaskStore } from "./task-store.js";

export interface CreateTaskStoreOptions {
  /** MCP_SESSION_TABLE: task records go to the session table when it is set. */
  table?: string;
  /** MCP_DYNAMODB_ENDPOINT: a local DynamoDB (tests); the regional endpoint when unset. */
  dynamodbEndpoint?: string;
  /** Default AWS_REGION, AWS_DEFAULT_REGION, then us-east-1 (as the lease table). */
  region?: string;
  /** Without a table, records live in `<stateRoot>/tasks`, shared by the processes on this machine. */
  stateRoot: string;
}

/**
 * The task store this server should use: DynamoDB when a session table is configured (every
 * process and Lambda environment sees the same records), else files under the state root (only
 * the processes of this machine do; on Lambda without a table, only this environment).
 */
export function createTaskStore(options: CreateTaskStoreOptions): TaskStore {
  if (!options.table) return new FileTaskStore(path.join(options.stateRoot, "tasks"));
  const config: DynamoDBClientConfig = {
    region: options.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1",
    // Bounded like the lease table's client: connect, each attempt, and (abortSignal) the whole call.
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
    maxAttempts: 3,
  };
  if (options.dynamodbEndpoint) {
    config.endpoint = options.dynamodbEndpoint;
    // A local endpoint accepts any signature; without these the SDK goes looking for instance
    // credentials and stalls.
    if (!process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE) {
      config.credentials = { accessKeyId: "local", secretAccessKey: "local" };
    }
  }
  return new DynamoDbTaskStore({ client: new DynamoDBClient(config), table: options.table });
}
