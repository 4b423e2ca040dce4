#!/bin/sh
# The compose file's health check calls this, as in apache/kafka's image; here it sends Kafka's
# ApiVersions request (key 18, v0) itself and succeeds when the broker answers without error.
exec python3 - "$@" <<'PY'
import socket, struct, sys
host, port = sys.argv[sys.argv.index("--bootstrap-server") + 1].rsplit(":", 1)
client = b"health"
body = struct.pack(">hhih", 18, 0, 1, len(client)) + client
with socket.create_connection((host, int(port)), timeout=5) as s:
    s.sendall(struct.pack(">i", len(body)) + body)
    size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
    answer = s.recv(size, socket.MSG_WAITALL)
correlation, error = struct.unpack(">ih", answer[:6])
sys.exit(0 if correlation == 1 and error == 0 else 1)
PY
