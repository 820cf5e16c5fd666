"""Scale-out: two rbmap instances behind nginx (load balancer and HTTP cache) on the demo
database, one following LISTEN/NOTIFY and one polling the change log (as it would on a
streaming replica). ETags derive from the bytes, so both instances and the cache agree;
nginx stores public tiles already expired (X-Accel-Expires: @1) and revalidates each
request with If-None-Match, so an edit reaches both instances and the cache within 1 s
while the instances answer the cache with 304s, not renders."""
import re
import json
import os
import subprocess
import time

import psycopg2
import pytest

from conftest import free_port, http_get, sql_scalar
from private_pg import PrivateCluster, wait_until
from tiles_util import decode, tile_of

SAINT_DENIS = (2.45, 48.91)

NGINX_CONF = """
worker_processes 1;
{user}
error_log {tmp}/nginx-error.log;
pid {tmp}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    proxy_cache_path {tmp}/cache levels=1:2 keys_zone=rbmap:10m max_size=256m inactive=10m use_temp_path=off;
    upstream rbmap {{
        server 127.0.0.1:{a};
        server 127.0.0.1:{b};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://rbmap;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_next_upstream error timeout http_503;
            proxy_cache rbmap;
            proxy_cache_key $request_method$uri$is_args$args$http_accept_encoding;
            proxy_cache_revalidate on;
            proxy_cache_lock on;
            proxy_cache_use_stale error timeout updating http_503;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
}}
"""


@pytest.fixture
def nginx(tmp_path):
    procs = []

    def start(a_port, b_port):
        port = free_port()
        conf = tmp_path / "nginx.conf"
        user = "user root;" if os.getuid() == 0 else ""
        conf.write_text(NGINX_CONF.format(tmp=tmp_path, a=a_port, b=b_port, port=port, user=user))
        proc = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: http_get(url + "/health", timeout=2)[0] == 200, 10) is not None, \
            (tmp_path / "nginx-error.log").read_text() if (tmp_path / "nginx-error.log").exists() else ""
        return url

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def upstream_tile_statuses(*instances):
    """Tile requests the instances answered, by status, summed from their /metrics."""
    counts = {}
    for srv in instances:
        text = http_get(srv.url + "/metrics")[2].decode()
        for status, n in re.findall(r'rbmap_http_requests_total\{route="tiles",status="(\d+)"\} (\d+)', text):
            counts[int(status)] = counts.get(int(status), 0) + int(n)
    return counts


def bubble_sites(url, tmp_path, code, z=8):
    """The public `sites` count of a département's bubble on the z8 tile over it."""
    x, y = tile_of(*SAINT_DENIS, z)
    status, headers, body = http_get(f"{url}/tiles/territories/{z}/{x}/{y}.mvt")
    assert status == 200, body
    layers = decode(tmp_path, z, x, y, body)
    counts = [int(f["sites"]) for f in layers.get("territories", []) if f.get("code") == code]
    return counts[0] if counts else None, headers


def test_two_instances_behind_nginx_agree_and_see_an_edit(demo_dsn, start_server, nginx, tmp_path):
    conf = tmp_path / "instance.conf"
    conf.write_text("access_log = off\n")  # tile_max_age_s stays 5: browsers' freshness, not nginx's
    listening = start_server(demo_dsn, ["--config", str(conf)])
    polling = start_server(demo_dsn, ["--config", str(conf)], env={"RBMAP_CHANGELOG_POLL_MS": "200"})
    for srv in (listening, polling):  # territory bubbles need the reference points, loaded after start
        assert wait_until(lambda: json.loads(http_get(srv.url + "/health")[2])["layers"]["territories_loaded"],
                          60) is not None
    front = nginx(listening.port, polling.port)
    assert http_get(polling.url + "/health")[2].count(b'"mode": "changelog"') + \
        http_get(polling.url + "/health")[2].count(b'"mode":"changelog"') >= 1

    # Same bytes, same ETag, whichever instance draws the tile (raw and gzip).
    x, y = tile_of(*SAINT_DENIS, 8)
    for path in [f"/tiles/territories/8/{x}/{y}.mvt", f"/tiles/territories/6/{x >> 2}/{y >> 2}.mvt",
                 f"/tiles/territories/10/{x << 2}/{y << 2}.mvt", f"/tiles/territories/3/{x >> 5}/{y >> 5}.mvt"]:
        for enc in ({}, {"Accept-Encoding": "gzip"}):
            a = http_get(listening.url + path, headers=enc)
            b = http_get(polling.url + path, headers=enc)
            assert a[0] == b[0] and a[2] == b[2], path
            if a[0] == 200:
                assert a[1]["ETag"] and a[1]["ETag"] == b[1]["ETag"], path
                assert a[1]["X-Accel-Expires"] == "@1" and a[1]["Cache-Control"] == "public, max-age=5", path
                # A validator from one instance is honoured by the other.
                assert http_get(polling.url + path, headers={**enc, "If-None-Match": a[1]["ETag"]})[0] == 304

    # The cache keeps the tile and serves its own copy: from the second request on, an
    # instance only confirms it with a 304 (no tile goes upstream again).
    before, headers = bubble_sites(front, tmp_path, "93")
    upstream = upstream_tile_statuses(listening, polling)
    for _ in range(20):
        _, headers = bubble_sites(front, tmp_path, "93")
        assert headers["X-Cache-Status"] == "REVALIDATED", headers
    upstream_after = upstream_tile_statuses(listening, polling)
    assert upstream_after.get(304, 0) - upstream.get(304, 0) == 20
    assert upstream_after.get(200, 0) == upstream.get(200, 0)
    assert before == bubble_sites(listening.url, tmp_path, "93")[0] == bubble_sites(polling.url, tmp_path, "93")[0]
    assert before and before >= 6

    with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT s.shantytown_id, s.fk_city FROM shantytowns s JOIN cities c ON c.code = s.fk_city"
                    " WHERE c.fk_departement = '93' ORDER BY 1 LIMIT 1")
        sid, city = cur.fetchone()
        cur.execute("SELECT code FROM cities WHERE fk_departement = '95' ORDER BY 1 LIMIT 1")
        (elsewhere,) = cur.fetchone()
    timings = {}
    try:
        edited = time.monotonic()
        with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
            cur.execute("UPDATE shantytowns SET fk_city = %s, updated_at = now() WHERE shantytown_id = %s",
                        (elsewhere, sid))
        # The three are asked in turn, so each time is its own (not one after the other's).
        watched = {"listen": listening.url, "changelog": polling.url, "nginx": front}
        while watched and time.monotonic() - edited < 2.0:
            for name, url in list(watched.items()):
                if bubble_sites(url, tmp_path, "93")[0] == before - 1:
                    timings[name] = time.monotonic() - edited
                    del watched[name]
            time.sleep(0.02)
        assert not watched, f"{sorted(watched)} did not see the edit within 2 s"
        for name, took in timings.items():
            assert took <= 1.0, f"{name} saw the edit after {took:.2f} s"
        # Both instances again give identical bytes and ETags after the edit.
        a = http_get(listening.url + f"/tiles/territories/8/{x}/{y}.mvt")
        b = http_get(polling.url + f"/tiles/territories/8/{x}/{y}.mvt")
        assert a[2] == b[2] and a[1]["ETag"] == b[1]["ETag"]
    finally:
        with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
            cur.execute("UPDATE shantytowns SET fk_city = %s WHERE shantytown_id = %s", (city, sid))
    for url in (listening.url, polling.url, front):
        assert wait_until(lambda: bubble_sites(url, tmp_path, "93")[0] == before, 2) is not None
    # The change log recorded the edit and its restoration.
    assert sql_scalar(demo_dsn, "SELECT count(*) FROM rbmap_change_log WHERE kind = 'site' AND id = %s"
                                " AND at > now() - interval '1 minute'", (sid,)) >= 2
    print(f"\nscale-out: edit seen by listen {timings['listen']:.2f} s, changelog poll {timings['changelog']:.2f} s, "
          f"nginx cache {timings['nginx']:.2f} s")


@pytest.fixture(scope="module")
def primary_and_replica(rbmap_bin, demo_dsn):
    cluster = PrivateCluster()
    try:
        cluster.load_demo_subset(rbmap_bin, demo_dsn)
        yield cluster, cluster.start_replica()
    finally:
        cluster.destroy()


def test_an_instance_on_a_streaming_replica_follows_the_change_log(primary_and_replica, start_server, tmp_path):
    cluster, replica_dsn = primary_and_replica
    assert sql_scalar(replica_dsn, "SELECT pg_is_in_recovery()") is True
    conf = tmp_path / "replica.conf"
    conf.write_text("changelog_poll_ms = 100\ndefault_scope = national\naccess_log = off\n")
    srv = start_server(replica_dsn, ["--config", str(conf)])
    assert "migrations are left to the primary" in srv.read_log()
    doc = json.loads(http_get(srv.url + "/health")[2])
    assert doc["status"] == "ok" and doc["layers"]["mode"] == "changelog" and doc["layers"]["connected"]
    sid = sql_scalar(cluster.dsn, "SELECT min(shantytown_id) FROM shantytowns WHERE status = 'open'")
    target = (2.2945, 48.8584)
    assert sid not in replica_site_ids(srv, tmp_path, *target)
    edited = time.monotonic()
    with psycopg2.connect(cluster.dsn) as conn, conn.cursor() as cur:
        cur.execute("SET synchronous_commit = on")  # the private cluster defaults to off: WAL would wait 200 ms
        cur.execute("UPDATE shantytowns SET longitude = %s, latitude = %s WHERE shantytown_id = %s", (*target, sid))
    seen = wait_until(lambda: sid in replica_site_ids(srv, tmp_path, *target), 2)
    assert seen is not None, "the instance on the replica did not see the edit"
    took = time.monotonic() - edited
    assert took <= 1.0, f"seen after {took:.2f} s"
    doc = json.loads(http_get(srv.url + "/health")[2])
    assert doc["layers"]["lag_s"] < 1.5 and doc["layers"]["replica_replay_delay_s"] >= 0
    print(f"\nreplica: edit on the primary seen by the instance on the replica after {took:.2f} s")


def replica_site_ids(srv, tmp_path, lon, lat, z=12):
    x, y = tile_of(lon, lat, z)
    status, _, body = http_get(srv.url + f"/tiles/sites/{z}/{x}/{y}.mvt")
    assert status in (200, 204), body
    decoded = decode(tmp_path, z, x, y, body) if status == 200 else {}
    return {int(f["id"]) for f in decoded.get("sites", [])}
