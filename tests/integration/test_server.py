"""The server skeleton: health, metrics, errors, access log, configuration, shutdown."""
import json
import os
import re
import signal
import subprocess
import time

import psycopg2

from conftest import free_port, http_get, http_request, run_rbmap


def database_truth(dsn):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), count(*) FILTER (WHERE closed_at IS NULL),"
                    " to_char(max(updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                    " (SELECT max(version) FROM rbmap_schema_migrations) FROM shantytowns")
        return cur.fetchone()


def test_health_reports_database_and_data_freshness(server, demo_dsn):
    for _ in range(5):  # retried only if someone wrote to the database meanwhile
        before = database_truth(demo_dsn)
        status, headers, body = http_get(server.url + "/health")
        if database_truth(demo_dsn) == before:
            break
    sites, open_sites, last_change, version = before
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    doc = json.loads(body)
    assert doc["status"] == "ok"
    assert doc["database"]["reachable"] is True
    assert doc["database"]["schema_version"] == version
    assert doc["data"]["sites"] == sites and sites > 0
    assert doc["data"]["open_sites"] == open_sites
    assert doc["data"]["last_site_change"] == last_change
    assert doc["layers"]["listening"] is True and doc["layers"]["seconds_since_sync"] >= 0


def parse_prometheus(text):
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)', line)
        assert m, f"not Prometheus text: {line!r}"
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return samples


def test_metrics_count_requests_by_route_and_status(server):
    before = parse_prometheus(http_get(server.url + "/metrics")[2].decode())
    for _ in range(3):
        http_get(server.url + "/health")
    http_get(server.url + "/no/such/thing")
    status, headers, body = http_get(server.url + "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    after = parse_prometheus(body.decode())
    key = 'rbmap_http_requests_total{route="health",status="200"}'
    assert after[key] - before.get(key, 0) == 3
    key404 = 'rbmap_http_requests_total{route="unmatched",status="404"}'
    assert after[key404] - before.get(key404, 0) == 1
    count = after['rbmap_http_request_duration_seconds_count{route="health"}']
    assert after['rbmap_http_request_duration_seconds_bucket{route="health",le="+Inf"}'] == count
    buckets = [v for k, v in after.items() if k.startswith('rbmap_http_request_duration_seconds_bucket{route="health"')]
    assert buckets == sorted(buckets), "histogram buckets are cumulative"
    assert after['rbmap_db_pool_connections{state="max"}'] >= 1


def test_unknown_paths_and_methods_get_json_errors(server):
    status, headers, body = http_get(server.url + "/nothing-here")
    assert status == 404 and json.loads(body)["error"]["status"] == 404
    status, _, body = http_request("DELETE", server.url + "/health")
    assert status == 405 and "DELETE" in json.loads(body)["error"]["message"]


def test_too_many_query_parameters_is_a_400(server):
    query = "&".join(f"p{i}=1" for i in range(80))
    status, _, body = http_get(server.url + "/health?" + query)
    assert status == 400 and "too many query parameters" in json.loads(body)["error"]["message"]


def write_config(tmp_path, text):
    path = tmp_path / "rbmap.conf"
    path.write_text(text)
    return str(path)


def test_access_log_is_json_and_never_holds_credentials(start_server, demo_dsn, tmp_path):
    log = tmp_path / "access.log"
    conf = write_config(tmp_path, f"# test\naccess_log = {log}\n")
    srv = start_server(demo_dsn, ["--config", conf])
    # Not a valid token (no key is even configured): refused, and still never logged.
    status, _, _ = http_get(srv.url + "/health?access_token=SECRET-TOKEN-123&x=%FF%FE")
    assert status == 401
    http_get(srv.url + "/health?x=1")
    time.sleep(0.2)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert "SECRET-TOKEN-123" not in log.read_text()
    refused = [e for e in lines if e["path"] == "/health" and "access_token" in e["query"]][-1]
    assert refused["query"]["access_token"] == "***" and refused["query"]["x"] == "??"
    assert refused["status"] == 401
    entry = [e for e in lines if e["path"] == "/health"][-1]
    assert entry["status"] == 200 and entry["route"] == "health" and entry["method"] == "GET"
    assert entry["remote"] == "127.0.0.1" and entry["bytes"] > 0 and entry["ms"] >= 0
    assert entry["scope"] == "public"


def test_request_body_is_bounded(start_server, demo_dsn, tmp_path):
    conf = write_config(tmp_path, "max_body_bytes = 4096\n")
    srv = start_server(demo_dsn, ["--config", conf])
    status, _, body = http_request("POST", srv.url + "/reproject?from=EPSG:4326&to=EPSG:2154",
                                   body=b"[" + b"[2.0,48.0]," * 2000 + b"[2,48]]",
                                   headers={"Content-Type": "application/json"})
    assert status == 413 and "4096" in json.loads(body)["error"]["message"]
    assert http_get(srv.url + "/health")[0] == 200


def wait_for_health(url, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "exited"
        try:
            status, _, body = http_get(url + "/health", timeout=2)
            return json.loads(body)
        except OSError:
            time.sleep(0.1)
    raise AssertionError("server did not come up")


def test_configuration_precedence_file_then_environment_then_flags(rbmap_bin, demo_dsn, tmp_path):
    file_port, env_port, flag_port = free_port(), free_port(), free_port()
    conf = write_config(tmp_path, f"listen = 127.0.0.1:{file_port}\ndb = {demo_dsn}\naccess_log = off\n")
    env = dict(os.environ, RBMAP_CONFIG=conf)
    env.pop("RBMAP_LISTEN", None)
    for extra_env, args, port in [({}, [], file_port),
                                  ({"RBMAP_LISTEN": f"127.0.0.1:{env_port}"}, [], env_port),
                                  ({"RBMAP_LISTEN": f"127.0.0.1:{env_port}"}, ["--listen", f"127.0.0.1:{flag_port}"], flag_port)]:
        proc = subprocess.Popen([rbmap_bin, "serve", *args], env={**env, **extra_env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            assert wait_for_health(f"http://127.0.0.1:{port}", proc)["status"] == "ok"
        finally:
            proc.send_signal(signal.SIGTERM)
            stderr = proc.communicate(timeout=30)[1]
        assert proc.returncode == 0, stderr
        assert "draining" in stderr and "stopped" in stderr


def test_bad_configuration_is_refused_with_a_message(rbmap_bin, demo_dsn, tmp_path):
    conf = write_config(tmp_path, "threads = 4\nnot_a_setting = 1\n")
    result = run_rbmap(rbmap_bin, "serve", "--config", conf, "--db", demo_dsn)
    assert result.returncode == 2 and "rbmap.conf:2" in result.stderr and "not_a_setting" in result.stderr
    result = run_rbmap(rbmap_bin, "serve", "--threads", "0", "--db", demo_dsn)
    assert result.returncode == 2 and "threads" in result.stderr
    result = run_rbmap(rbmap_bin, "serve", "--listen", "nowhere", "--db", demo_dsn)
    assert result.returncode == 2 and "listen" in result.stderr
    env = {k: v for k, v in os.environ.items() if k != "RBMAP_DB"}
    result = subprocess.run([rbmap_bin, "serve"], capture_output=True, text=True, env=env)
    assert result.returncode == 2 and "RBMAP_DB" in result.stderr
    result = run_rbmap(rbmap_bin, "no-such-command")
    assert result.returncode == 2 and "no-such-command" in result.stderr


def test_serves_degraded_when_the_database_is_unreachable(start_server):
    dead = f"host=127.0.0.1 port={free_port()} dbname=x user=x connect_timeout=1"
    srv = start_server(dead)
    status, _, body = http_get(srv.url + "/health")
    doc = json.loads(body)
    assert status == 200 and doc["status"] == "degraded"
    assert doc["database"]["reachable"] is False and "127.0.0.1" in doc["database"]["error"]
    assert "warning: database unreachable" in srv.read_log()


def test_sigterm_lets_a_request_in_flight_finish(start_server, demo_dsn):
    srv = start_server(demo_dsn)
    # A large reprojection keeps a worker busy while SIGTERM arrives.
    body = json.dumps([[2.0 + i * 1e-6, 46.5] for i in range(100000)]).encode()
    import threading
    result = {}

    def post():
        result["r"] = http_request("POST", srv.url + "/reproject?from=EPSG:4326&to=EPSG:2154", body=body,
                                   headers={"Content-Type": "application/json"})

    t = threading.Thread(target=post)
    t.start()
    time.sleep(0.05)
    srv.proc.send_signal(signal.SIGTERM)
    t.join(30)
    assert result["r"][0] == 200 and len(json.loads(result["r"][2])["coordinates"]) == 100000
    srv.proc.wait(30)
    assert srv.proc.returncode == 0
