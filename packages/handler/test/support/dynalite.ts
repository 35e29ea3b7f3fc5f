import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";

/**
 * A real DynamoDB-protocol server (dynalite, in memory) in this process on a free loopback port,
 * with one session table: string partition key `pk`, on demand, as the Terraform module creates it.
 */
export interface TestDynamo {
  endpoint: string;
  tableName: string;
  /** A client of its own, for tests that read or write items directly. */
  client: DynamoDBClient;
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startDynalite(tableName = "jmcp-sessions-test"): Promise<TestDynamo> {
  let dynalite: typeof import("dynalite").default;
  try {
    dynalite = (await import("dynalite")).default;
  } catch (err) {
    throw new Error(
      `dynalite is missing (${(err as Error).message}); install the handler's devDependencies: pnpm install --filter @jupyter-mcp/handler`,
    );
  }
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // dynalite checks no signatures; fixed credentials keep the SDK from searching for real ones.
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "dynalite", secretAccessKey: "dynalite" },
  });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  // Even with createTableMs 0 the table turns ACTIVE on a timer, and a CREATING table refuses items.
  for (let tries = 0; ; tries++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === "ACTIVE") break;
    if (tries >= 100) throw new Error(`dynalite table ${tableName} stayed ${Table?.TableStatus} for 1 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    endpoint,
    tableName,
    client,
    env: { MCP_SESSION_TABLE: tableName, MCP_DYNAMODB_ENDPOINT: endpoint },
    async close() {
      client.destroy();
      // Keep-alive sockets would hold close() open until they time out.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
