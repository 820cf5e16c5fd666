"""Per-address connection limit: connections from one address past
per_ip_connection_limit are answered 503 with Retry-After and then closed by the
server (libmicrohttpd's own limit closes them on accept, which the client sees as a
reset); other addresses are unaffected, and the address gets its slots back as its
connections close."""
import re
import socket
import time

LIMIT = 5


# The connections under test come from an address nothing else uses: the server's
# readiness probe (from 127.0.0.1) may not yet be seen closed when the test starts.
CLIENT = "127.0.0.5"


def connect(srv, source=CLIENT):
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10, source_address=(source, 0))
    return sock


def ask(sock, path="/health"):
    """Sends one keep-alive request and reads its answer: (status, headers, body)."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: rbmap\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before an answer"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body"
        body += chunk
    return int(lines[0].split()[1]), headers, body


def closed_by_peer(sock):
    """True when the server closed the connection cleanly (EOF); a reset raises."""
    return sock.recv(1) == b""


def rejected(srv):
    text = srv_get(srv, "/metrics")
    return int(re.search(r'rbmap_rejected_requests_total\{reason="per_ip_connections"\} (\d+)', text).group(1))


def srv_get(srv, path):
    with connect(srv, "127.0.0.3") as sock:
        status, _, body = ask(sock, path)
        assert status == 200
        return body.decode()


def test_connections_past_the_limit_get_503_not_a_reset(demo_dsn, start_server, tmp_path):
    conf = tmp_path / "limit.conf"
    conf.write_text(f"per_ip_connection_limit = {LIMIT}\naccess_log = off\n")
    srv = start_server(demo_dsn, ["--config", str(conf)])
    held = [connect(srv) for _ in range(LIMIT)]
    for sock in held:  # keep-alive: each keeps its slot
        assert ask(sock)[0] == 200
    # As many again, open at the same time as the first ones, from the same address.
    extra = [connect(srv) for _ in range(LIMIT)]
    for sock in extra:
        status, headers, body = ask(sock, "/tiles/territories/5/16/11.mvt")
        assert status == 503, body
        assert headers["retry-after"] == "1" and headers["connection"] == "close"
        assert b"per_ip_connection_limit" in body and CLIENT.encode() in body
        assert closed_by_peer(sock)
    assert rejected(srv) == LIMIT
    # Another address is not affected while CLIENT is over its limit.
    with connect(srv, "127.0.0.2") as other:
        assert ask(other, "/tiles/territories/5/16/11.mvt")[0] in (200, 204)
    # The held connections still work, and closing them gives their slots back.
    for sock in held:
        assert ask(sock)[0] == 200
    for sock in held + extra:
        sock.close()
    deadline = time.monotonic() + 5
    while True:
        with connect(srv) as sock:
            status = ask(sock)[0]
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status == 200
    log = srv.read_log()
    assert "Server reached connection limit" not in log and "Failed to accept" not in log
