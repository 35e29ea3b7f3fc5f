import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import {
  type Lease,
  LeaseBusyError,
  LeaseLostError,
  SessionLeases,
  type SessionLeasesOptions,
  SessionTableError,
  VersionConflictError,
} from "../src/sessions/lease.js";
import { startDynalite, type TestDynamo } from "./support/dynalite.js";

// The session lease client against a real DynamoDB-protocol server (dynalite), no mocks: several
// SessionLeases instances in this process stand for several servers sharing the table.
let dynamo: TestDynamo;
const opened: SessionLeases[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((leases) => leases.close()));
});

afterAll(async () => {
  await dynamo?.close();
});

type Logged = { message: string; fields?: Record<string, unknown> };

function server(owner: string, options: Partial<SessionLeasesOptions> = {}): SessionLeases {
  const leases = new SessionLeases({
    tableName: dynamo.tableName,
    endpoint: dynamo.endpoint,
    owner,
    ...options,
  });
  opened.push(leases);
  return leases;
}

async function rawItem(caller: string) {
  const out = await dynamo.client.send(
    new GetItemCommand({
      TableName: dynamo.tableName,
      Key: { pk: { S: `session#${caller}` } },
      ConsistentRead: true,
    }),
  );
  return out.Item;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

const pointer = (caller: string, version: number) => ({
  key: `checkpoints/${caller}/${version}.tar`,
  createdAt: version,
});

describe("session leases on DynamoDB", () => {
  test("acquire, commit and release round-trip, and the version survives into the next server", async () => {
    const a = server("server-a");
    const lease = await a.acquire("alice", 1000);
    expect(lease.version).toBe(0);
    expect(lease.checkpoint).toBeUndefined();
    expect(lease.lost).toBe(false);

    await lease.commit({ version: 1, checkpoint: pointer("alice", 1) });
    expect(lease.version).toBe(1);
    await lease.commit({ version: 2, checkpoint: pointer("alice", 2) });
    expect(lease.version).toBe(2);
    expect(lease.checkpoint).toEqual(pointer("alice", 2));
    expect(await a.peek("alice")).toMatchObject({ version: 2, held: true, heldByThisServer: true });
    await lease.release();
    await lease.release(); // idempotent
    await expect(lease.renew()).rejects.toThrow(/already released/);

    // Released: no owner or expiry left, version and pointer untouched.
    const item = await rawItem("alice");
    expect(item?.owner).toBeUndefined();
    expect(item?.leaseExpiresAt).toBeUndefined();
    expect(item?.version).toEqual({ N: "2" });
    expect(JSON.parse(item?.checkpoint?.S ?? "null")).toEqual(pointer("alice", 2));
    const peek = await a.peek("alice");
    expect(peek).toMatchObject({
      version: 2,
      checkpoint: pointer("alice", 2),
      held: false,
      heldByThisServer: false,
    });
    expect(peek.leaseRemainingMs).toBeUndefined();

    // Another server picks the session up where the first left it.
    const b = server("server-b");
    const next = await b.acquire("alice", 0);
    expect(next.version).toBe(2);
    expect(next.checkpoint).toEqual(pointer("alice", 2));
    await next.commit({ version: 3, checkpoint: pointer("alice", 3) });
    await next.release();
    expect((await b.peek("alice")).version).toBe(3);

    // A caller never seen: version 0, no item written by peek.
    expect(await b.peek("nobody")).toEqual({ version: 0, held: false, heldByThisServer: false });
    expect(await rawItem("nobody")).toBeUndefined();
  });

  test("a second server waits for the lease and gets it only after the first releases", async () => {
    const a = server("server-a");
    const b = server("server-b");
    const first = await a.acquire("serial", 1000);
    let releasedAt = Infinity;
    const waiting = b.acquire("serial", 20000).then((lease) => ({ lease, at: performance.now() }));
    await sleep(500);
    await first.commit({ version: 1, checkpoint: pointer("serial", 1) });
    releasedAt = performance.now();
    await first.release();
    const { lease: second, at } = await waiting;
    expect(at).toBeGreaterThanOrEqual(releasedAt);
    expect(second.version).toBe(1);
    await second.release();
  });

  test("a second server gives up with LeaseBusyError after waitMs, saying how long the lease has left", async () => {
    const a = server("server-a-secret-owner-id", { leaseMs: 10000 });
    const b = server("server-b");
    const held = await a.acquire("busy", 0);
    const started = performance.now();
    const err = (await b.acquire("busy", 400).catch((e: unknown) => e)) as LeaseBusyError;
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(LeaseBusyError);
    expect(err.message).toMatch(
      /^Another server is running a call for this caller right now \(its lease has \d+\.\d s left\); waited \d+\.\d s\. Retry/,
    );
    expect(err.message).not.toContain("secret-owner-id");
    expect(err.holder).toBe("another-server");
    expect(err.remainingMs).toBeGreaterThan(0);
    expect(err.remainingMs).toBeLessThanOrEqual(10000);
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(5000);

    // waitMs 0 tries once.
    await expect(b.acquire("busy", 0)).rejects.toBeInstanceOf(LeaseBusyError);
    // Two calls of one caller on one server take turns too, and say so.
    const local = (await a.acquire("busy", 100).catch((e: unknown) => e)) as LeaseBusyError;
    expect(local).toBeInstanceOf(LeaseBusyError);
    expect(local.holder).toBe("this-server");
    expect(local.message).toMatch(/still running on this server/);
    await held.release();
    const again = await a.acquire("busy", 0);
    await again.release();
  });

  test("a dead holder's lease expires and another server takes the session over", async () => {
    const dead = server("server-dead", { leaseMs: 300 });
    const lease = await dead.acquire("dead-holder", 0);
    await lease.commit({ version: 1, checkpoint: pointer("dead-holder", 1) });
    await dead.close({ release: false }); // the process died: no release, no more heartbeats

    const b = server("server-b", { leaseMs: 300 });
    expect(await b.peek("dead-holder")).toMatchObject({ held: true, heldByThisServer: false });
    const started = performance.now();
    const taken = await b.acquire("dead-holder", 5000);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(taken.version).toBe(1);
    expect(taken.checkpoint).toEqual(pointer("dead-holder", 1));
    await taken.release();
  });

  test("the heartbeat keeps a held lease alive well past leaseMs", async () => {
    const a = server("server-a", { leaseMs: 300 });
    const b = server("server-b", { leaseMs: 300 });
    const lease = await a.acquire("heartbeat", 0);
    await sleep(1500); // five lease lengths
    await expect(b.acquire("heartbeat", 0)).rejects.toBeInstanceOf(LeaseBusyError);
    expect(lease.lost).toBe(false);
    await lease.commit({ version: 1, checkpoint: pointer("heartbeat", 1) });
    await lease.release();
    const next = await b.acquire("heartbeat", 0);
    expect(next.version).toBe(1);
    await next.release();
  });

  test("a commit against a version that moved fails and overwrites nothing", async () => {
    const a = server("server-a");
    const lease = await a.acquire("stale", 0);
    // Someone else's commit landed in between (written directly: the only way while we hold the lease).
    await dynamo.client.send(
      new UpdateItemCommand({
        TableName: dynamo.tableName,
        Key: { pk: { S: "session#stale" } },
        UpdateExpression: "SET #version = :v, #checkpoint = :c",
        ExpressionAttributeNames: { "#version": "version", "#checkpoint": "checkpoint" },
        ExpressionAttributeValues: { ":v": { N: "5" }, ":c": { S: JSON.stringify(pointer("stale", 5)) } },
      }),
    );
    const err = (await lease
      .commit({ version: 1, checkpoint: pointer("stale", 1) })
      .catch((e: unknown) => e)) as VersionConflictError;
    expect(err).toBeInstanceOf(VersionConflictError);
    expect(err.expectedVersion).toBe(0);
    expect(err.storedVersion).toBe(5);
    expect(err.message).toMatch(/not recorded: the table holds version 5/);
    expect(lease.lost).toBe(false);
    const item = await rawItem("stale");
    expect(item?.version).toEqual({ N: "5" });
    expect(JSON.parse(item?.checkpoint?.S ?? "null")).toEqual(pointer("stale", 5));
    // A version that does not move forward is refused before it reaches the table.
    await expect(lease.commit({ version: 0, checkpoint: pointer("stale", 0) })).rejects.toBeInstanceOf(
      RangeError,
    );
    await expect(lease.commit({ version: 1.5, checkpoint: pointer("stale", 1) })).rejects.toBeInstanceOf(
      RangeError,
    );
    await lease.release();
  });

  test("a lease taken over while held is marked lost by the heartbeat, and its commit throws LeaseLostError", async () => {
    const logged: Logged[] = [];
    const a = server("server-a", {
      leaseMs: 300,
      log: (message, fields) => logged.push({ message, ...(fields ? { fields } : {}) }),
    });
    const lease = await a.acquire("lost", 0);
    await lease.commit({ version: 1, checkpoint: pointer("lost", 1) });
    // A server whose clock runs a minute ahead sees a's lease as long expired: what every other
    // server sees when a's heartbeat stalls (a frozen Lambda environment) past the lease.
    const b = server("server-b", { leaseMs: 300, now: () => Date.now() + 60000 });
    const taker = await b.acquire("lost", 0);
    expect(taker.version).toBe(1);

    await waitFor(() => lease.lost, 5000);
    expect(
      logged.some((entry) => /session lease lost/.test(entry.message) && entry.fields?.caller === "lost"),
    ).toBe(true);
    expect(JSON.stringify(logged)).not.toContain("server-b");
    const err = (await lease
      .commit({ version: 2, checkpoint: pointer("lost", 2) })
      .catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(LeaseLostError);
    expect(err.message).toMatch(
      /expired while the call ran.*changes were not recorded.*restore the last good checkpoint/,
    );
    await expect(lease.renew()).rejects.toBeInstanceOf(LeaseLostError);

    // The lost lease's release leaves the new holder alone; the new holder commits normally.
    await lease.release();
    expect(await b.peek("lost")).toMatchObject({ held: true, heldByThisServer: true, version: 1 });
    await taker.commit({ version: 2, checkpoint: pointer("lost", 2) });
    await taker.release();
    expect((await b.peek("lost")).version).toBe(2);
  });

  test("a commit finds the lease taken even before the heartbeat does", async () => {
    const a = server("server-a"); // default 15 s lease: no heartbeat during this test
    const lease = await a.acquire("taken", 0);
    await dynamo.client.send(
      new UpdateItemCommand({
        TableName: dynamo.tableName,
        Key: { pk: { S: "session#taken" } },
        UpdateExpression: "SET #owner = :other",
        ExpressionAttributeNames: { "#owner": "owner" },
        ExpressionAttributeValues: { ":other": { S: "someone-else" } },
      }),
    );
    await expect(lease.commit({ version: 1, checkpoint: pointer("taken", 1) })).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    expect(lease.lost).toBe(true);
    expect((await rawItem("taken"))?.version).toBeUndefined();
    await lease.release();
    expect((await rawItem("taken"))?.owner).toEqual({ S: "someone-else" });
  });

  test("20 concurrent acquires by 5 servers on one caller are mutually exclusive; other callers never wait", async () => {
    const servers = Array.from({ length: 5 }, (_, i) => server(`server-${i}`, { leaseMs: 3000 }));
    let inside = 0;
    let maxInside = 0;
    const crowd = Array.from({ length: 20 }, async (_, i) => {
      const lease: Lease = await servers[i % 5]!.acquire("crowd", 60000);
      inside++;
      maxInside = Math.max(maxInside, inside);
      await sleep(5 + Math.random() * 15);
      await lease.commit({ version: lease.version + 1, checkpoint: pointer("crowd", lease.version + 1) });
      inside--;
      await lease.release();
    });
    // While the crowd queues on one caller, every server serves other callers at once (waitMs 0).
    const solos = servers.map(async (leases, i) => {
      for (let round = 0; round < 3; round++) {
        const lease = await leases.acquire(`solo-${i}`, 0);
        await lease.commit({
          version: lease.version + 1,
          checkpoint: pointer(`solo-${i}`, lease.version + 1),
        });
        await lease.release();
        await sleep(10);
      }
    });
    await Promise.all([...crowd, ...solos]);
    expect(maxInside).toBe(1);
    // Every commit built on the one before it: no update was lost.
    expect((await servers[0]!.peek("crowd")).version).toBe(20);
    for (let i = 0; i < 5; i++) expect((await servers[0]!.peek(`solo-${i}`)).version).toBe(3);
  });

  test("an unreachable table gives SessionTableError, naming the table and what to check, within seconds", async () => {
    // Nothing listens: connection refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const refused = server("server-a", {
      endpoint: `http://127.0.0.1:${freePort}`,
      tableName: "sessions-refused",
    });
    let started = performance.now();
    let err = (await refused.acquire("alice", 1000).catch((e: unknown) => e)) as SessionTableError;
    expect(performance.now() - started).toBeLessThan(6000);
    expect(err).toBeInstanceOf(SessionTableError);
    expect(err.message).toMatch(/DynamoDB session table "sessions-refused" could not be (reached|used)/);
    expect(err.message).toMatch(
      /MCP_SESSION_TABLE.*dynamodb:GetItem.*MCP_DYNAMODB_ENDPOINT \(http:\/\/127\.0\.0\.1:\d+\)/,
    );
    expect(err.message).not.toMatch(/secretAccessKey|local:local/);

    // Something accepts connections and never answers: the call timeout ends it.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    try {
      const hung = server("server-a", {
        endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        tableName: "sessions-silent",
      });
      started = performance.now();
      err = (await hung.peek("alice").catch((e: unknown) => e)) as SessionTableError;
      expect(performance.now() - started).toBeLessThan(8000);
      expect(err).toBeInstanceOf(SessionTableError);
      expect(err.message).toMatch(/"sessions-silent" did not answer within 3 s/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }

    // A table that does not exist.
    const missing = server("server-a", { tableName: "no-such-table" });
    err = (await missing.acquire("alice", 0).catch((e: unknown) => e)) as SessionTableError;
    expect(err).toBeInstanceOf(SessionTableError);
    expect(err.message).toMatch(/"no-such-table" does not exist in us-east-1.*Check that MCP_SESSION_TABLE/);
  });

  test("acquire and commit write the TTL attribute expiresAt, ttlDays ahead of the writer's clock", async () => {
    let offsetMs = 0;
    const a = server("server-a", { ttlDays: 2, now: () => Date.now() + offsetMs });
    const day = 86400;
    const lease = await a.acquire("ttl", 0);
    const afterAcquire = Number((await rawItem("ttl"))?.expiresAt?.N);
    expect(Math.abs(afterAcquire - (Math.floor(Date.now() / 1000) + 2 * day))).toBeLessThan(60);
    offsetMs = day * 1000; // a day later, still held
    await lease.commit({ version: 1, checkpoint: pointer("ttl", 1) });
    const afterCommit = Number((await rawItem("ttl"))?.expiresAt?.N);
    expect(Math.abs(afterCommit - (afterAcquire + day))).toBeLessThan(60);
    expect((await a.peek("ttl")).expiresAt).toBe(afterCommit);
    await lease.release();
    expect(Number((await rawItem("ttl"))?.expiresAt?.N)).toBe(afterCommit);
  });

  test("caller keys are checked, and acquire+commit+release is quick against dynalite", async () => {
    const a = server("server-a");
    await expect(a.acquire("../etc", 0)).rejects.toBeInstanceOf(TypeError);
    await expect(a.peek("Alice")).rejects.toBeInstanceOf(TypeError);
    const hashed = `id-${"0123456789abcdef".repeat(2)}`;
    const durations: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = performance.now();
      const lease = await a.acquire(i % 2 ? hashed : "default", 0);
      await lease.commit({ version: lease.version + 1, checkpoint: pointer("bench", i) });
      await lease.release();
      durations.push(performance.now() - started);
    }
    durations.sort((x, y) => x - y);
    const median = durations[15]!;
    const p90 = durations[27]!;
    process.stderr.write(
      `session lease acquire+commit+release on dynalite: median ${median.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms\n`,
    );
    expect(median).toBeLessThan(1000);
    expect((await a.peek(hashed)).version).toBe(15);
  });
});
