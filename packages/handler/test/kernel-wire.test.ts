// Pure parts of the direct transport: framing and signatures (checked against jupyter_client's own
// Session), the heartbeat's miss arithmetic, kernelspec rules, and the kernel output log caps.
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { HeartbeatMissCounter } from "../src/kernel/direct/heartbeat.js";
import {
  kernelCommand,
  kernelSpecDirs,
  KernelSpecError,
  resolveKernelSpec,
} from "../src/kernel/direct/kernelspec.js";
import { KernelOutputLog, LineSplitter } from "../src/kernel/direct/output-log.js";
import { DELIMITER, WireCodec } from "../src/kernel/direct/wire.js";
import { tempStateRoot } from "./support/harness.js";

const PYTHON = process.env.JUPYTER_PYTHON ?? "/usr/bin/python3";
const KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

describe("WireCodec", () => {
  const codec = new WireCodec(KEY, "session-1");

  test("frames: delimiter, hex HMAC-SHA256 of the four JSON frames, protocol 5.3 header", () => {
    const encoded = codec.encode("execute_request", { code: "1+1" }, { identities: [Buffer.from("id")] });
    const [id, delim, sig, header, parent, metadata, content] = encoded.frames;
    expect(id!.toString()).toBe("id");
    expect(delim).toEqual(DELIMITER);
    const expected = createHmac("sha256", KEY)
      .update(header!)
      .update(parent!)
      .update(metadata!)
      .update(content!);
    expect(sig!.toString()).toBe(expected.digest("hex"));
    expect(JSON.parse(header!.toString())).toMatchObject({
      msg_id: encoded.msgId,
      msg_type: "execute_request",
      session: "session-1",
      version: "5.3",
    });
    expect(parent!.toString()).toBe("{}");
    expect(JSON.parse(content!.toString())).toEqual({ code: "1+1" });
  });

  test("decode round-trips identities, parent, content and buffers", () => {
    const parent = codec.encode("execute_request", {}).header;
    const frames = codec.encode(
      "stream",
      { name: "stdout", text: "hé" },
      { parent, identities: [Buffer.from("stream.stdout")], buffers: [Buffer.from([1, 2, 3])] },
    ).frames;
    const decoded = codec.decode(frames);
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decoded.message.identities.map(String)).toEqual(["stream.stdout"]);
    expect(decoded.message.parentHeader.msg_id).toBe(parent.msg_id);
    expect(decoded.message.content).toEqual({ name: "stdout", text: "hé" });
    expect(decoded.message.buffers).toEqual([Buffer.from([1, 2, 3])]);
  });

  test("any change to a signed frame, a wrong key, or a malformed signature is rejected", () => {
    const frames = codec.encode("status", { execution_state: "idle" }).frames;
    for (const index of [1, 2, 3, 4, 5]) {
      const tampered = frames.map((f) => Buffer.from(f));
      const frame = tampered[index]!;
      frame[frame.length - 2] = frame[frame.length - 2]! ^ 1;
      expect(codec.decode(tampered)).toEqual({ ok: false, reason: "bad-signature" });
    }
    expect(new WireCodec(KEY.replace("0", "1"), "s").decode(frames)).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    const short = [...frames];
    short[1] = Buffer.from(frames[1]!.toString().slice(0, 63));
    expect(codec.decode(short)).toEqual({ ok: false, reason: "bad-signature" });
    const upper = [...frames];
    upper[1] = Buffer.from(frames[1]!.toString().toUpperCase());
    expect(codec.decode(upper).ok).toBe(true); // hex is hex, whatever the case
  });

  test("no delimiter or too few frames is malformed, not a crash", () => {
    const frames = codec.encode("status", {}).frames;
    expect(codec.decode(frames.slice(1))).toEqual({ ok: false, reason: "malformed" });
    expect(codec.decode(frames.slice(0, 5))).toEqual({ ok: false, reason: "malformed" });
    expect(codec.decode([])).toEqual({ ok: false, reason: "malformed" });
  });

  test("interoperates with jupyter_client's Session in both directions", () => {
    const ours = codec.encode("kernel_info_request", { x: [1, "é"] }).frames.map((f) => f.toString("base64"));
    const script = `
import base64, json, sys
from jupyter_client.session import Session
s = Session(key=${JSON.stringify(KEY)}.encode(), signature_scheme="hmac-sha256")
frames = [base64.b64decode(f) for f in json.loads(sys.argv[1])]
idents, rest = s.feed_identities(frames, copy=True)
msg = s.deserialize(rest, content=True, copy=True)  # raises on a bad signature
out = s.serialize(s.msg("stream", {"name": "stdout", "text": msg["content"]["x"][1]}, parent=msg["header"]))
print(json.dumps([base64.b64encode(f).decode() for f in out]))`;
    let stdout: string;
    try {
      stdout = execFileSync(PYTHON, ["-c", script, JSON.stringify(ours)], { encoding: "utf8" });
    } catch (err) {
      throw new Error(
        `needs jupyter_client for ${PYTHON}: apt-get install -y python3-jupyter-client (${err})`,
      );
    }
    const theirs = (JSON.parse(stdout) as string[]).map((f) => Buffer.from(f, "base64"));
    const decoded = codec.decode(theirs);
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decoded.message.content).toEqual({ name: "stdout", text: "é" });
    expect(decoded.message.header.msg_type).toBe("stream");
  });
});

describe("HeartbeatMissCounter", () => {
  test("counts consecutive unanswered on-time ticks; an echo resets", () => {
    const c = new HeartbeatMissCounter(1000, 3, 0);
    expect(c.tick(1000, false)).toBe("missed");
    expect(c.tick(2000, false)).toBe("missed");
    expect(c.tick(3000, true)).toBe("alive");
    expect(c.tick(4000, false)).toBe("missed");
    expect(c.tick(5000, false)).toBe("missed");
    expect(c.tick(6010, false)).toBe("dead");
  });

  test("a late tick (frozen sandbox) is skipped, not counted, not a reset", () => {
    const c = new HeartbeatMissCounter(1000, 2, 0);
    expect(c.tick(1000, false)).toBe("missed");
    expect(c.tick(600_000, false)).toBe("skipped"); // ten minutes frozen
    expect(c.missCount).toBe(1);
    expect(c.tick(601_000, false)).toBe("dead");
  });
});

describe("kernelspecs", () => {
  test("search order: JUPYTER_PATH, data dir, the Python's prefix, system", () => {
    expect(kernelSpecDirs("/opt/venv/bin/python", "/state", { JUPYTER_PATH: "/a:/b" })).toEqual([
      "/a/kernels",
      "/b/kernels",
      "/state/data/kernels",
      "/opt/venv/share/jupyter/kernels",
      "/usr/local/share/jupyter/kernels",
      "/usr/share/jupyter/kernels",
    ]);
  });

  test("first directory wins; python3 falls back to ipykernel; other names must exist", async () => {
    const root = tempStateRoot("specs");
    for (const [dir, flag] of [
      ["one", "first"],
      ["two", "second"],
    ] as const) {
      mkdirSync(path.join(root, dir, "py"), { recursive: true });
      writeFileSync(path.join(root, dir, "py", "kernel.json"), JSON.stringify({ argv: ["python", flag] }));
    }
    const dirs = [path.join(root, "missing"), path.join(root, "one"), path.join(root, "two")];
    expect((await resolveKernelSpec("py", dirs)).argv).toEqual(["python", "first"]);
    expect((await resolveKernelSpec("python3", dirs)).argv).toEqual([
      "python",
      "-m",
      "ipykernel_launcher",
      "-f",
      "{connection_file}",
    ]);
    await expect(resolveKernelSpec("other", dirs)).rejects.toBeInstanceOf(KernelSpecError);
    await expect(resolveKernelSpec("../etc", dirs)).rejects.toThrow(/invalid kernel name/);
  });

  test("argv[0] python/python3/python3.N is replaced, paths are not; {resource_dir}; spec env wins and substitutes", () => {
    const spec = { file: undefined, interruptMode: "signal" as const, env: { A: "${B}-x", C: "${NOPE}" } };
    for (const bare of ["python", "python3", "python3.11"]) {
      expect(
        kernelCommand({ ...spec, argv: [bare, "-f", "{connection_file}"] }, "/py", "/c.json", {}).argv,
      ).toEqual(["/py", "-f", "/c.json"]);
    }
    const cmd = kernelCommand(
      { ...spec, file: "/specs/k/kernel.json", argv: ["/usr/bin/python3", "{resource_dir}/x"] },
      "/py",
      "/c",
      { A: "base", B: "b" },
      { B: "caller" },
    );
    expect(cmd.argv).toEqual(["/usr/bin/python3", "/specs/k/x"]);
    expect(cmd.env).toEqual({ A: "caller-x", B: "caller", C: "${NOPE}" });
  });
});

describe("kernel output log", () => {
  test("splits lines across chunks, caps a line's length, counts what was cut", () => {
    const lines: [string, number][] = [];
    const split = new LineSplitter(5, (line, cut) => lines.push([line, cut]));
    split.write("ab");
    split.write("c\r\nlonger than five\n\nx");
    split.end();
    expect(lines).toEqual([
      ["abc", 0],
      ["longe", 11],
      ["x", 0],
    ]);
  });

  test("rate cap per window, with one summary of what was dropped", () => {
    const entries: [string, Record<string, unknown>][] = [];
    let now = 0;
    const log = new KernelOutputLog(
      (m, f = {}) => entries.push([m, f]),
      { kernel: "k" },
      { maxLineChars: 100, maxLinesPerWindow: 2, windowMs: 1000, recentLines: 2 },
      () => now,
    );
    const out = log.stream("stderr");
    out.write("1\n2\n3\n4\n");
    now = 1500;
    out.write("5\n");
    expect(entries).toEqual([
      ["kernel output", { kernel: "k", stream: "stderr", line: "1" }],
      ["kernel output", { kernel: "k", stream: "stderr", line: "2" }],
      ["kernel output lines dropped (rate limit)", { kernel: "k", dropped_lines: 2 }],
      ["kernel output", { kernel: "k", stream: "stderr", line: "5" }],
    ]);
    expect(log.recentLines()).toEqual(["4", "5"]);
  });
});
