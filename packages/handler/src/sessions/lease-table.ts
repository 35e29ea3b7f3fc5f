import {
  type AttributeValue,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { SessionTableError } from "./lease-errors.js";

/**
 * The session table's one item per caller, and the conditional writes that make its lease
 * exclusive. The layout (all names are ExpressionAttributeNames, since OWNER and others are
 * DynamoDB reserved words):
 *
 *   pk             S  "session#<caller key>"            partition key
 *   owner          S  the holding process's owner id    only while leased
 *   leaseExpiresAt N  epoch ms the lease runs out       only while leased
 *   version        N  last committed session version    absent until the first commit (= 0)
 *   checkpoint     S  JSON of the checkpoint pointer    written with version
 *   committedAt    N  epoch ms of the last commit
 *   expiresAt      N  epoch s; the table's TTL attribute, pushed ttlDays ahead on acquire/commit
 *
 * Times are the writer's clock (`now`), so servers' clocks must agree to well within a lease.
 */
export const PARTITION_KEY = "pk";
export const ITEM_PREFIX = "session#";

const NAMES = {
  "#owner": "owner",
  "#leaseExpiresAt": "leaseExpiresAt",
  "#expiresAt": "expiresAt",
  "#version": "version",
  "#checkpoint": "checkpoint",
  "#committedAt": "committedAt",
} as const;

/** Free, released, expired, or already ours (a lease whose release never reached the table). */
export const ACQUIRE_CONDITION =
  "attribute_not_exists(#pk) OR attribute_not_exists(#owner) OR #leaseExpiresAt < :now OR #owner = :me";
export const OWNER_CONDITION = "#owner = :me";
/** Version 0 is "never committed", stored as no version attribute at all. */
export const commitCondition = (expected: number) =>
  expected === 0
    ? "#owner = :me AND attribute_not_exists(#version)"
    : "#owner = :me AND #version = :expected";

/** One DynamoDB call, whole (retries included), never takes longer than this. */
export const CALL_TIMEOUT_MS = 3000;

export interface StoredSession {
  owner?: string;
  leaseExpiresAt?: number;
  version: number;
  checkpointJson?: string;
  committedAt?: number;
  expiresAt?: number;
}

/** A write's condition did not hold; `item` is what the table held, when DynamoDB returned it. */
export class ConditionFailed extends Error {
  constructor(readonly item: StoredSession | undefined) {
    super("conditional check failed");
  }
}

export interface LeaseTableOptions {
  tableName: string;
  endpoint?: string;
}

export class LeaseTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly region: string;
  private readonly endpoint: string | undefined;

  constructor(options: LeaseTableOptions) {
    this.tableName = options.tableName;
    this.endpoint = options.endpoint || undefined;
    this.region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
    const config: DynamoDBClientConfig = {
      region: this.region,
      // Bounded at every level: connect, each attempt, and (by abortSignal in send) the whole call.
      // (requestTimeout alone only warns; throwOnRequestTimeout makes it end the attempt.)
      requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
      maxAttempts: 3,
    };
    if (this.endpoint !== undefined) {
      config.endpoint = this.endpoint;
      // A local endpoint (dynalite, DynamoDB Local) accepts any signature; without these the SDK
      // would go looking for instance credentials and stall.
      if (!process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE) {
        config.credentials = { accessKeyId: "local", secretAccessKey: "local" };
      }
    }
    this.client = new DynamoDBClient(config);
  }

  key(caller: string): Record<string, AttributeValue> {
    return { [PARTITION_KEY]: { S: `${ITEM_PREFIX}${caller}` } };
  }

  async acquire(caller: string, me: string, now: number, until: number, ttl: number): Promise<StoredSession> {
    const out = await this.update("acquire", caller, {
      UpdateExpression: "SET #owner = :me, #leaseExpiresAt = :until, #expiresAt = :ttl",
      ConditionExpression: ACQUIRE_CONDITION,
      ExpressionAttributeNames: { "#pk": PARTITION_KEY, ...pick("#owner", "#leaseExpiresAt", "#expiresAt") },
      ExpressionAttributeValues: {
        ":me": { S: me },
        ":now": num(now),
        ":until": num(until),
        ":ttl": num(ttl),
      },
      ReturnValues: "ALL_NEW",
    });
    return out ?? { version: 0 };
  }

  async renew(caller: string, me: string, until: number): Promise<void> {
    await this.update("renew", caller, {
      UpdateExpression: "SET #leaseExpiresAt = :until",
      ConditionExpression: OWNER_CONDITION,
      ExpressionAttributeNames: pick("#owner", "#leaseExpiresAt"),
      ExpressionAttributeValues: { ":me": { S: me }, ":until": num(until) },
    });
  }

  async commit(
    caller: string,
    me: string,
    write: {
      expected: number;
      next: number;
      checkpointJson: string;
      now: number;
      until: number;
      ttl: number;
    },
  ): Promise<void> {
    const values: Record<string, AttributeValue> = {
      ":me": { S: me },
      ":next": num(write.next),
      ":checkpoint": { S: write.checkpointJson },
      ":now": num(write.now),
      ":until": num(write.until),
      ":ttl": num(write.ttl),
    };
    if (write.expected !== 0) values[":expected"] = num(write.expected);
    await this.update("commit", caller, {
      // Committing also renews: the call is plainly alive.
      UpdateExpression:
        "SET #version = :next, #checkpoint = :checkpoint, #committedAt = :now, #leaseExpiresAt = :until, #expiresAt = :ttl",
      ConditionExpression: commitCondition(write.expected),
      ExpressionAttributeNames: { ...NAMES },
      ExpressionAttributeValues: values,
    });
  }

  /** Gives the lease up; never touches version or checkpoint. */
  async release(caller: string, me: string): Promise<void> {
    await this.update("release", caller, {
      UpdateExpression: "REMOVE #owner, #leaseExpiresAt",
      ConditionExpression: OWNER_CONDITION,
      ExpressionAttributeNames: pick("#owner", "#leaseExpiresAt"),
      ExpressionAttributeValues: { ":me": { S: me } },
    });
  }

  async read(caller: string, operation = "read"): Promise<StoredSession | undefined> {
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: this.key(caller), ConsistentRead: true }),
        { abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) },
      );
      return out.Item === undefined ? undefined : this.parse(out.Item, caller);
    } catch (err) {
      throw this.tableError(operation, caller, err);
    }
  }

  private async update(
    operation: string,
    caller: string,
    input: Omit<UpdateItemCommandInput, "TableName" | "Key">,
  ): Promise<StoredSession | undefined> {
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(caller),
          // Real DynamoDB returns the item that failed the check, saving a read; dynalite does not.
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          ...input,
        }),
        { abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) },
      );
      return out.Attributes === undefined ? undefined : this.parse(out.Attributes, caller);
    } catch (err) {
      if ((err as Error | undefined)?.name === "ConditionalCheckFailedException") {
        const item = (err as { Item?: Record<string, AttributeValue> }).Item;
        throw new ConditionFailed(item === undefined ? undefined : this.parse(item, caller));
      }
      throw this.tableError(operation, caller, err);
    }
  }

  private parse(item: Record<string, AttributeValue>, caller: string): StoredSession {
    const number = (name: string): number | undefined => {
      const raw = item[name]?.N;
      if (raw === undefined) return undefined;
      const value = Number(raw);
      if (!Number.isSafeInteger(value)) {
        throw new SessionTableError(
          `DynamoDB session table "${this.tableName}" holds a malformed item for caller ${caller}: ` +
            `${name} is ${JSON.stringify(raw)}, not an integer. Delete that item to start the caller afresh.`,
          "parse",
        );
      }
      return value;
    };
    const session: StoredSession = { version: number("version") ?? 0 };
    const owner = item.owner?.S;
    if (owner !== undefined) session.owner = owner;
    const leaseExpiresAt = number("leaseExpiresAt");
    if (leaseExpiresAt !== undefined) session.leaseExpiresAt = leaseExpiresAt;
    const checkpointJson = item.checkpoint?.S;
    if (checkpointJson !== undefined) session.checkpointJson = checkpointJson;
    const committedAt = number("committedAt");
    if (committedAt !== undefined) session.committedAt = committedAt;
    const expiresAt = number("expiresAt");
    if (expiresAt !== undefined) session.expiresAt = expiresAt;
    return session;
  }

  /** Any DynamoDB failure, as what happened and the three things an operator can check. */
  tableError(operation: string, caller: string, err: unknown): SessionTableError {
    if (err instanceof SessionTableError) return err;
    const e = (err ?? {}) as { name?: string; message?: string; code?: string };
    const name = e.name ?? "Error";
    // The SDK wraps network errors as "AWS SDK error wrapper for Error: ..."; the wrapper says nothing.
    const message = (e.message ?? String(err))
      .replace(/^AWS SDK error wrapper for /, "")
      .replace(`${name}: `, "");
    const detail = `${name}${e.code && e.code !== name ? ` ${e.code}` : ""}: ${message}`;
    let what: string;
    if (name === "ResourceNotFoundException") {
      what = `DynamoDB session table "${this.tableName}" does not exist in ${this.region}`;
    } else if (/AccessDenied|UnrecognizedClient|InvalidSignature|Forbidden|ExpiredToken/i.test(name)) {
      what = `This server may not use DynamoDB session table "${this.tableName}"`;
    } else if (/Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded/i.test(name)) {
      what = `DynamoDB session table "${this.tableName}" is throttling requests; retry in a few seconds`;
    } else if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|ENETUNREACH/.test(detail)) {
      what = `DynamoDB session table "${this.tableName}" could not be reached`;
    } else if (name === "AbortError" || name === "TimeoutError" || /timed? ?out/i.test(detail)) {
      what = `DynamoDB session table "${this.tableName}" did not answer within ${CALL_TIMEOUT_MS / 1000} s`;
    } else {
      what = `DynamoDB session table "${this.tableName}" could not be used`;
    }
    const reach =
      this.endpoint === undefined
        ? `that this server can reach DynamoDB in ${this.region} (MCP_DYNAMODB_ENDPOINT is unset)`
        : `that MCP_DYNAMODB_ENDPOINT (${this.endpoint}) is reachable`;
    return new SessionTableError(
      `${what} (${operation} for caller ${caller}: ${detail}). Check that MCP_SESSION_TABLE names an ` +
        `existing table in ${this.region}, that this server's role allows dynamodb:GetItem and ` +
        `dynamodb:UpdateItem on it, and ${reach}.`,
      operation,
      { cause: err },
    );
  }
}

function num(value: number): AttributeValue {
  return { N: String(value) };
}

function pick<K extends keyof typeof NAMES>(...keys: K[]): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, NAMES[key]]));
}
