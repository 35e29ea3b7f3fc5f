"""A stand-in for the original's design, to measure it in the same run as ours.

The original is a Flask JSON-RPC server over one jupyter_client kernel (seed document): a kernel
manager made at import time, `POST /mcp` with hand-rolled JSON-RPC, `tools/call` `execute_code`
collecting iopub output the way `execute_interactive` does, `GET /health`. Flask is not installed
here, so this uses what Flask's development server (`app.run`, werkzeug) is built on: the stdlib
ThreadingMixIn HTTPServer, a thread per connection, HTTP/1.1 responses with `Connection: close`
(werkzeug >= 2.1 closes every connection: no keep-alive, whatever the client asks), headers and
body written separately with Nagle's algorithm on (so a client's delayed ACK can hold the body up
to 40 ms: werkzeug sets no TCP_NODELAY either), one log line per request on stderr. The one
liberty is in the original's favour: no Flask/werkzeug request and response objects (and no 10 ms
drain of the socket after each response, which werkzeug does in the handler thread once the
client has its answer). ORIGINAL_NODELAY=1 turns Nagle off: the design with that one TCP fix.
Like the original, there is no lock around the kernel client: concurrent calls can mix outputs.

When Debian's python3-flask is installed it serves the same routes with Flask itself (werkzeug's
threaded server, as `app.run(threaded=True)`), which is the original's real stack; ORIGINAL_STACK=
stdlib forces the stand-in.

Usage: /usr/bin/python3 original.py   (HOST, PORT; PORT=0 picks a free port)
Logs one JSON line {"url": "http://HOST:PORT/mcp"} on stderr when it listens.
"""

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from jupyter_client import KernelManager


class JupyterKernelManager:
    """One kernel, started eagerly (the original made it at import time, for warm starts)."""

    def __init__(self, working_dir):
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=working_dir)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def execute(self, code, timeout=30):
        outputs = []

        def hook(msg):
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "stream":
                outputs.append({"type": "stream", "name": content["name"], "text": content["text"]})
            elif kind in ("execute_result", "display_data"):
                outputs.append({"type": kind, "data": content["data"]})
            elif kind == "error":
                outputs.append(
                    {"type": "error", "ename": content["ename"], "evalue": content["evalue"],
                     "traceback": content["traceback"]}
                )

        reply = self.kc.execute_interactive(code, output_hook=hook, timeout=timeout)
        return {
            "status": reply["content"]["status"],
            "execution_count": reply["content"].get("execution_count"),
            "outputs": outputs,
        }

    def shutdown(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def as_text(result):
    parts = []
    for out in result["outputs"]:
        if out["type"] == "stream":
            parts.append(out["text"])
        elif out["type"] == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
        elif "text/plain" in out["data"]:
            parts.append(out["data"]["text/plain"])
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts)


TOOLS = [
    {
        "name": "execute_code",
        "description": "Execute Python code in the Jupyter kernel",
        "inputSchema": {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]},
    }
]


def handle_rpc(kernel, req):
    method, rid, params = req.get("method"), req.get("id"), req.get("params") or {}
    if method == "initialize":
        result = {
            "protocolVersion": "2024-11-05",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "jupyter-mcp-server", "version": "1.0.0"},
        }
    elif method == "tools/list":
        result = {"tools": TOOLS}
    elif method == "tools/call" and params.get("name") == "execute_code":
        args = params.get("arguments") or {}
        out = kernel.execute(args.get("code", ""), timeout=args.get("timeout", 30))
        result = {"content": [{"type": "text", "text": as_text(out)}], "isError": out["status"] != "ok"}
    else:
        error = {"code": -32601, "message": f"Unknown method: {method}"}
        return {"jsonrpc": "2.0", "id": rid, "error": error}
    return {"jsonrpc": "2.0", "id": rid, "result": result}


def make_handler(kernel):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # what werkzeug's threaded server sets
        disable_nagle_algorithm = os.environ.get("ORIGINAL_NODELAY") == "1"

        def reply(self, status, payload):
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            # werkzeug: "Always close the connection" (http.server cannot drain a request body).
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/health":
                self.reply(200, {"status": "healthy", "runtime": "server"})
            else:
                self.reply(404, {"error": "not found"})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path != "/mcp":
                return self.reply(404, {"error": "not found"})
            try:
                req = json.loads(raw)
            except ValueError:
                error = {"code": -32700, "message": "Parse error"}
                return self.reply(400, {"jsonrpc": "2.0", "id": None, "error": error})
            try:
                self.reply(200, handle_rpc(kernel, req))
            except Exception as err:  # the original answered 500 with the message
                self.reply(500, {"error": "Internal server error", "message": str(err)})

    return Handler


def make_flask_server(kernel, host, port):
    """The original's own stack when Debian's python3-flask is installed: a Flask app served by
    werkzeug's threaded server (what `app.run(threaded=True)` builds), with the same routes."""
    from flask import Flask, jsonify, request
    from werkzeug.serving import make_server

    app = Flask("jupyter_mcp_server")

    @app.get("/health")
    def health():
        return jsonify({"status": "healthy", "runtime": "server"})

    @app.post("/mcp")
    def mcp():
        try:
            req = json.loads(request.get_data())
        except ValueError:
            return jsonify({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}), 400
        try:
            return jsonify(handle_rpc(kernel, req))
        except Exception as err:
            return jsonify({"error": "Internal server error", "message": str(err)}), 500

    return make_server(host, port, app, threaded=True)


def main():
    workdir = os.environ.get("WORKDIR", "/tmp")
    kernel = JupyterKernelManager(working_dir=workdir)
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8080"))
    stack = "stdlib http.server"
    server = None
    if os.environ.get("ORIGINAL_STACK") != "stdlib" and os.environ.get("ORIGINAL_NODELAY") != "1":
        try:
            import flask

            server = make_flask_server(kernel, host, port)
            stack = f"Flask {getattr(flask, '__version__', '?')} (werkzeug threaded server)"
        except ImportError:
            server = None
    if server is None:
        server = ThreadingHTTPServer((host, port), make_handler(kernel))
        server.daemon_threads = True

    # A default SIGTERM would leave the kernel running (jupyter_client starts it in its own session).
    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    print(json.dumps({"msg": "listening", "url": f"http://{host}:{port}/mcp", "stack": stack}), file=sys.stderr,
          flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        kernel.shutdown()


if __name__ == "__main__":
    main()
