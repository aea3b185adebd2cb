"""Probe service: serve | migrate | work."""
import http.server
import os
import sys
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "serve"
if mode == "migrate":
    print("migrate: pid1 =", open("/proc/1/cmdline").read().replace("\0", " "))
    time.sleep(2)
    print("migrate: done")
elif mode == "work":
    while True:
        time.sleep(3600)
else:
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok\n")
    http.server.HTTPServer(("0.0.0.0", 8000), H).serve_forever()
