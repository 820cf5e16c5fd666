"""Soak: mixed load with wrk against the release build for RBMAP_SOAK_SECONDS (default
60 in CI; the documented run is 600 s at 100 connections, see docs/soak.md) at
RBMAP_SOAK_CONNECTIONS (default 50). Asserts:
  - no socket error and no unexpected status: every answer is 200, 304 or a 404 from
    the 404 URLs, whose share must match their share of the URL list (requests go
    round-robin through the list in each wrk thread);
  - resident memory flat after warm-up, with edits: a site in Seine-Saint-Denis is
    "edited" every RBMAP_SOAK_EDIT_EVERY_S (default 2) seconds during the whole run (a
    no-op UPDATE: the data stays as it is, but each one makes every instance build a new
    snapshot, rebuild the cluster views and evict tiles, which is what grew RSS), and
    the mean VmRSS of the middle third (caches warm: the URL list is fixed) and of the
    last third differ by less than 5 % (means: edits make RSS a saw-tooth);
  - memory goes back to the system: after the load, one more edit, and 4 s later (the
    server trims 2 s after a change) VmRSS is less than 5 % above VmRSS before the
    load (without the trim glibc's per-thread arenas keep their high-water mark; see
    docs/soak.md).
The release binary (build/rbmap, or RBMAP_RELEASE_BIN) is used: ASan's shadow memory
and quarantine would make RSS meaningless.
"""
import json
import os
import re
import shutil
import subprocess
import threading
import time

import psycopg2
import pytest

from conftest import ROOT, Server, http_get

SECONDS = int(os.environ.get("RBMAP_SOAK_SECONDS", "60"))
CONNECTIONS = int(os.environ.get("RBMAP_SOAK_CONNECTIONS", "50"))
EDIT_EVERY_S = float(os.environ.get("RBMAP_SOAK_EDIT_EVERY_S", "2"))
RSS_GROWTH_MAX = 0.05

# Mixed requests: vector tiles at several zooms with and without filters, clusters,
# geocoding, reprojection, TileJSON/catalog, health, and deliberate 404s.
OK_URLS = [
    "/tiles/sites/5/16/11.mvt",
    "/tiles/sites/9/259/176.mvt?status=open",
    "/tiles/sites/10/518/352.mvt?territory=departement:93",
    "/tiles/sites/12/2074/1409.mvt?status=open,closed&date=2024-01-31",
    "/tiles/sites,territories/7/64/44.mvt",
    "/tiles/territories/3/4/2.mvt",
    "/tiles/sites/14/8299/5639.mvt",
    "/clusters/sites.geojson?bbox=2.2,48.8,2.5,49.0&zoom=10",
    "/clusters/sites.geojson?bbox=-5,41,10,51&zoom=5&status=open",
    "/geocode/search?q=rue+de+la+paix+paris&limit=5",
    "/geocode/search?q=8+bd+du+port+cergy",
    "/geocode/reverse?lon=2.331&lat=48.869",
    "/reproject?from=EPSG:4326&to=EPSG:2154&coords=2.35,48.85;5.37,43.30",
    "/catalog",
    "/tiles/sites.json",
    "/health",
]
NOT_FOUND_URLS = ["/no/such/endpoint", "/favicon.ico", "/geocode"]

LUA = r"""
local urls = {%(urls)s}
local threads = {}
local i = 0
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  counts = {}
  i = id  -- threads start at different places in the list
end
function request()
  i = i + 1
  return wrk.format("GET", urls[(i %% #urls) + 1])
end
function response(status, headers, body)
  local k = tostring(status)
  counts[k] = (counts[k] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, string.format('"%%s": %%d', k, v)) end
  local e = summary.errors
  io.write(string.format('SOAK {"requests": %%d, "status": {%%s}, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "timeout": %%d, "p50_ms": %%.2f, "p99_ms": %%.2f, "max_ms": %%.2f}\n',
    summary.requests, table.concat(parts, ", "), e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))


@pytest.fixture(scope="module")
def release_server(demo_dsn, tmp_path_factory):
    binary = os.environ.get("RBMAP_RELEASE_BIN", os.path.join(ROOT, "build", "rbmap"))
    assert os.access(binary, os.X_OK), f"{binary} is not built (make)"
    # wrk's connections all come from 127.0.0.1: past the per-IP limit (64 by default)
    # they would get 503s, which is the limit working, not the soak.
    env = {"RBMAP_DEFAULT_SCOPE": "national", "RBMAP_ACCESS_LOG": "off",
           "RBMAP_PER_IP_CONNECTION_LIMIT": str(max(64, CONNECTIONS + 16))}
    index = os.path.join(ROOT, "var", "ban.idx")
    if os.path.exists(index):
        env["RBMAP_GEOCODER_INDEX"] = index
    srv = Server(binary, demo_dsn, tmp_path_factory.mktemp("soak"), env=env)
    srv.wait_boundaries()
    yield srv
    srv.stop()


def snapshot_version(srv):
    return json.loads(http_get(srv.url + "/health")[2])["layers"]["snapshot_version"]


def edit_sites_until(demo_dsn, stop, every_s):
    """No-op edits of sites in the 93 (under several tiles of the mix), one every
    every_s seconds until stop is set (once at least); returns how many were made. The
    UPDATE writes the values the rows already hold: the demo data stays as it is."""
    conn = psycopg2.connect(demo_dsn)
    conn.autocommit = True
    made = 0
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT s.shantytown_id FROM shantytowns s JOIN cities c ON c.code = s.fk_city"
                        " WHERE c.fk_departement = '93' AND s.status = 'open' ORDER BY 1 LIMIT 5")
            ids = [r[0] for r in cur.fetchall()]
            assert ids
            while made == 0 or not stop.wait(every_s):
                cur.execute("UPDATE shantytowns SET updated_at = updated_at WHERE shantytown_id = %s",
                            (ids[made % len(ids)],))
                made += 1
    finally:
        conn.close()
    return made


def test_soak_mixed_load_no_errors_flat_rss(release_server, demo_dsn, tmp_path):
    wrk = shutil.which("wrk")
    assert wrk, "wrk is missing: scripts/deps.sh installs it"
    srv = release_server
    for url in OK_URLS:  # every URL of the mix works before the load starts
        status, _, body = http_get(srv.url + url)
        assert status == 200, f"{url}: {status} {body[:200]!r}"
    for url in NOT_FOUND_URLS:
        assert http_get(srv.url + url)[0] == 404, url
    urls = OK_URLS * 2 + NOT_FOUND_URLS  # 404s are a small share of the mix
    script = tmp_path / "soak.lua"
    script.write_text(LUA % {"urls": ", ".join(json.dumps(u) for u in urls)})

    samples = []  # (seconds since start, VmRSS kB)
    stop = threading.Event()
    start = time.time()

    def sample():
        while not stop.is_set():
            samples.append((time.time() - start, rss_kb(srv.proc.pid)))
            stop.wait(1.0)
    sampler = threading.Thread(target=sample)
    edits = []
    editor = threading.Thread(target=lambda: edits.append(edit_sites_until(demo_dsn, stop, EDIT_EVERY_S)))
    version_before = snapshot_version(srv)
    sampler.start()
    editor.start()
    try:
        proc = subprocess.run([wrk, "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", "10s",
                               "-s", str(script), srv.url], capture_output=True, text=True, timeout=SECONDS + 120)
    finally:
        stop.set()
        sampler.join()
        editor.join()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next((l for l in proc.stdout.splitlines() if l.startswith("SOAK ")), None)
    assert line, proc.stdout + proc.stderr
    res = json.loads(line[5:])
    total = res["requests"]
    status = {int(k): v for k, v in res["status"].items()}
    # Every edit builds a snapshot and the server trims 2 s later: RSS is a saw-tooth of
    # the edit period, so single samples mislead. Compare the mean of the middle third
    # (after warm-up) with the mean of the last third.
    middle = [kb for t, kb in samples if SECONDS / 3 < t <= 2 * SECONDS / 3]
    last = [kb for t, kb in samples if t > 2 * SECONDS / 3]
    rss_start, rss_peak = samples[0][1], max(kb for _, kb in samples)
    rss_warm, rss_end = sum(middle) // len(middle), sum(last) // len(last)
    growth = (rss_end - rss_warm) / rss_warm
    time.sleep(0.5)  # the last edit's batch window
    snapshots = snapshot_version(srv) - version_before
    # Idle again: one more edit, then past the 2 s after which the server trims.
    edit_sites_until(demo_dsn, stop, EDIT_EVERY_S)
    time.sleep(4)
    rss_idle = rss_kb(srv.proc.pid)
    report = (f"soak {SECONDS} s, {CONNECTIONS} connections: {total} requests ({total / SECONDS:.0f}/s), "
              f"status {status}, socket errors connect={res['connect']} read={res['read']} write={res['write']} "
              f"timeout={res['timeout']}, latency p50 {res['p50_ms']:.1f} ms p99 {res['p99_ms']:.1f} ms "
              f"max {res['max_ms']:.0f} ms; VmRSS before the load {rss_start} kB, idle after it {rss_idle} kB, "
              f"mean of the middle third {rss_warm} kB, of the last third {rss_end} kB "
              f"({growth * 100:+.2f} %), peak {rss_peak} kB; {edits[0] if edits else 0} edits, "
              f"{snapshots} new snapshots")
    print(report)
    with open(os.path.join(ROOT, "build", "soak-last.txt"), "w") as f:
        f.write(report + "\n")
    with open(os.path.join(ROOT, "build", "soak-rss.csv"), "w") as f:  # for docs/soak.md
        f.write("seconds,vmrss_kb\n" + "".join(f"{t:.0f},{kb}\n" for t, kb in samples))

    assert total > SECONDS * 50, report
    assert res["connect"] == res["read"] == res["write"] == res["timeout"] == 0, report
    unexpected = {s: n for s, n in status.items() if s not in (200, 304, 404)}
    assert not unexpected, report
    share_404 = status.get(404, 0) / total
    expected_404 = len(NOT_FOUND_URLS) / len(urls)
    assert abs(share_404 - expected_404) < 0.02, f"404 share {share_404:.3f}, expected {expected_404:.3f}: {report}"
    assert edits and edits[0] >= SECONDS / EDIT_EVERY_S / 2 and snapshots >= edits[0], report
    assert growth < RSS_GROWTH_MAX, report
    assert rss_idle < rss_start * (1 + RSS_GROWTH_MAX), f"freed memory not returned to the system? {report}"
    srv.proc.poll()
    assert srv.proc.returncode is None, "rbmap died during the soak"
