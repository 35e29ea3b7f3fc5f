"""The floor: `1+1` straight to an ipykernel over ZMQ with Debian's jupyter_client, no Jupyter server."""
import json, sys, time
import jupyter_client

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3")
try:
    for _ in range(20):
        kc.execute_interactive("1+1", output_hook=lambda m: None, timeout=10)
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        kc.execute_interactive("1+1", output_hook=lambda m: None, timeout=10)
        samples.append((time.perf_counter() - t) * 1000)
    print(json.dumps(samples))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
