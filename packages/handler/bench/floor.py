"""The floor: `1+1` straight to an ipykernel over ZMQ with Debian's jupyter_client, no server.

Each sample sends one execute_request and stops at the iopub `status: idle` whose parent is that
request: the moment the last output of the cell is known. `execute_interactive` would also wait for
the shell reply, which usually lands after idle, and so measures a looser floor (about +0.8 ms).
The shell replies are drained outside the timed region so they do not pile up.

Usage: /usr/bin/python3 floor.py [N]    prints a JSON list of N samples (ms) after 20 warm-up calls
       /usr/bin/python3 floor.py --serve  reads a count per stdin line, answers each with a JSON
                                          list of that many samples (one kernel throughout), so a
                                          bench can interleave the floor with the paths it measures
       /usr/bin/python3 floor.py --cold   the cold floor: starts a kernel, runs one `1+1`, prints
                                          {"kernelMs": ...} (start_new_kernel to that idle) and exits;
                                          the bench times the whole process, interpreter and imports
                                          included, from its spawn to that line
"""

import json
import sys
import time

import jupyter_client


def run_once(kc, code="1+1", timeout=10.0):
    msg_id = kc.execute(code, store_history=True)
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.0, deadline - time.monotonic()))
        if (
            msg["parent_header"].get("msg_id") == msg_id
            and msg["msg_type"] == "status"
            and msg["content"]["execution_state"] == "idle"
        ):
            return msg_id


def drain_reply(kc, msg_id, timeout=10.0):
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


def samples(kc, n):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        msg_id = run_once(kc)
        out.append((time.perf_counter() - t) * 1000)
        drain_reply(kc, msg_id)
    return out


def cold():
    t = time.perf_counter()
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:
        run_once(kc)
        print(json.dumps({"kernelMs": (time.perf_counter() - t) * 1000}), flush=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--cold":
        return cold()
    serve = len(sys.argv) > 1 and sys.argv[1] == "--serve"
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:
        if serve:
            print(json.dumps({"ready": True}), flush=True)
            for line in sys.stdin:
                print(json.dumps(samples(kc, int(line))), flush=True)
        else:
            samples(kc, 20)
            print(json.dumps(samples(kc, int(sys.argv[1]) if len(sys.argv) > 1 else 200)))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
