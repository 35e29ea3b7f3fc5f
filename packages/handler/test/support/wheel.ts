import { execFileSync } from "node:child_process";
import path from "node:path";

/** Builds a tiny pure-Python wheel (no network, no build tools): module `name` with VALUE = value. */
export function buildWheel(dir: string, name: string, value: number): string {
  const file = path.join(dir, `${name}-1.0-py3-none-any.whl`);
  const script = `
import sys, zipfile, hashlib, base64
name, value, file = sys.argv[1], sys.argv[2], sys.argv[3]
dist = name + "-1.0.dist-info"
files = {
    name + "/__init__.py": "VALUE = %s\\n" % value,
    dist + "/METADATA": "Metadata-Version: 2.1\\nName: %s\\nVersion: 1.0\\n" % name,
    dist + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
record = "".join("%s,%s,%d\\n" % (p, digest(c.encode()), len(c.encode())) for p, c in files.items())
files[dist + "/RECORD"] = record + dist + "/RECORD,,\\n"
with zipfile.ZipFile(file, "w") as z:
    for p, c in files.items():
        z.writestr(p, c)
`;
  execFileSync("/usr/bin/python3", ["-c", script, name, String(value), file]);
  return file;
}
