/**
 * The Python config file the Jupyter server loads. Being Python, it is also our hook into the server
 * process: it fixes the websocket latency, ties the server's life to ours and sets the server up.
 */
export interface BootstrapOptions {
  port: number;
  token: string;
  rootDir: string;
  allowRoot: boolean;
}

export function bootstrapConfig(o: BootstrapOptions): string {
  const py = (v: string) => JSON.stringify(v);
  return `# Written by @jupyter-mcp/handler at every start; edits are lost.
import ctypes, os, signal, sys, threading

# Tornado turns TCP_NODELAY off after every HTTP response, websockets included, so each small
# kernel message waits for the client's delayed ACK: about 40 ms per round trip. Keep it on.
import tornado.iostream
_set_nodelay = tornado.iostream.IOStream.set_nodelay
tornado.iostream.IOStream.set_nodelay = lambda self, value: _set_nodelay(self, True)

# Die with the parent: SIGTERM when it exits (even when it is SIGKILLed), and when our stdin
# (a pipe from the parent) closes. The server then shuts its kernels down.
try:
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except Exception:
    pass

def _watch_parent():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except Exception:
        pass
    os.kill(os.getpid(), signal.SIGTERM)
    threading.Timer(5.0, lambda: os._exit(0)).start()

threading.Thread(target=_watch_parent, name="parent-watch", daemon=True).start()

c = get_config()  # noqa: F821
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = ${o.port}
c.ServerApp.port_retries = 0
c.ServerApp.open_browser = False
c.ServerApp.allow_root = ${o.allowRoot ? "True" : "False"}
c.ServerApp.root_dir = ${py(o.rootDir)}
c.ServerApp.token = ${py(o.token)}
c.ServerApp.terminals_enabled = False
# We cap output ourselves, per call and with a note; the server's rate limit would drop it silently.
c.ServerApp.iopub_data_rate_limit = 0.0
c.ServerApp.iopub_msg_rate_limit = 0.0
c.ServerApp.log_level = "WARN"
c.MappingKernelManager.cull_idle_timeout = 0
# A kernel that ignores its shutdown request (a cell that blocks SIGINT) is killed after this long,
# so a restart after a stubborn timeout takes about two seconds, not five.
c.KernelManager.shutdown_wait_time = 2.0
`;
}
