"""The benchmark suite's harness (bench/suite.py, what `make bench` runs): rbmap and
MapServer 8 (spawn-fcgi behind nginx) and ST_AsMVT really answer the same request lists,
the figures are what the servers did, and the report's ratios follow from them. Speed is
never asserted here; only that the measurement measures."""
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import suite_http  # noqa: E402
import suite_report  # noqa: E402
import suite_scripts  # noqa: E402
import tile_list  # noqa: E402

from conftest import SANITIZER_REPORT, sql_scalar  # noqa: E402

MAPSERVER = "MapServer 8 (nginx + FastCGI)"


@pytest.fixture(scope="module")
def quick_run(rbmap_bin, demo_dsn, tmp_path_factory):
    for tool in ("mapserv", "nginx", "spawn-fcgi", "cc"):
        assert subprocess.run(["which", tool], capture_output=True).returncode == 0, f"{tool} missing (scripts/deps.sh)"
    work = tmp_path_factory.mktemp("suite")
    client = str(work / "tileclient")
    subprocess.run(["cc", "-O2", "-std=c11", "-pthread", os.path.join(ROOT, "bench", "tileclient.c"), "-o", client],
                   check=True)
    out, raw = work / "RESULTS.md", work / "raw.json"
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "suite.py"), "--demo", demo_dsn,
                        "--db4k", demo_dsn, "--client", client, "--rbmap", rbmap_bin, "--work", str(work),
                        "--quick", "--areas", "tiles,wms,ogc", "--out", str(out), "--json", str(raw)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    logs = "".join(open(work / f).read() for f in os.listdir(work) if f.startswith("rbmap-") and f.endswith(".log"))
    return {"report": out.read_text(), "raw": json.loads(raw.read_text()), "logs": logs, "work": work}


def rows_of(raw, area, system=None):
    return [r for r in raw["http"] if r["area"] == area and (system is None or r["system"] == system)]


def test_every_system_answers_the_whole_same_list_without_errors(quick_run):
    raw = quick_run["raw"]
    assert raw["failures"] == []
    tiles = len(suite_http.tiles_for({"tiles_per_zoom": 8}))
    assert tiles == sum(min(8, len(tile_list.tiles_for_zoom(z))) for z in range(17))
    once = [r for r in raw["http"] if "cycled" not in r["case"]]
    systems = {(r["area"], r["system"]) for r in once}
    assert systems == {("tiles", "rbmap"), ("tiles", "PostGIS ST_AsMVT"), ("tiles", MAPSERVER),
                       ("WMS", "rbmap"), ("WMS", MAPSERVER), ("OGC API Features", "rbmap"),
                       ("OGC API Features", MAPSERVER)}
    for r in once:
        assert r["errors"] == 0, r
        want = tiles if r["area"] == "tiles" else (24 if r["area"] == "WMS" else 40)
        assert r["requests"] == want, r
        assert r["bytes"] > 0 and r["cpu_s"] >= 0, r
    # CPU is read in 10 ms ticks: a short pass of cheap requests may read 0, a whole area not.
    for area, system in systems:
        assert sum(r["cpu_s"] for r in once if (r["area"], r["system"]) == (area, system)) > 0, (area, system)


def test_rbmap_and_the_peers_draw_the_same_tiles(quick_run):
    """Same tiles, same sites (no tile of the quick list reaches rbmap's 4,000-feature
    budget at the demo's size): the encoders differ, the bytes only by a little."""
    raw = quick_run["raw"]
    rb = rows_of(raw, "tiles", "rbmap")[0]
    for peer in (MAPSERVER, "PostGIS ST_AsMVT"):
        other = rows_of(raw, "tiles", peer)[0]
        assert 0.7 < rb["bytes"] / other["bytes"] < 1.4, (peer, rb["bytes"], other["bytes"])


def test_memory_is_measured_where_it_means_something(quick_run):
    raw = quick_run["raw"]
    for r in raw["http"]:
        if r["system"] == "PostGIS ST_AsMVT":
            assert r["rss_mb"] is None  # backends: shared buffers, not the query's memory
        else:
            assert r["rss_mb"] > 1, r
    # rbmap holds every site in memory; MapServer's 8 processes each map their libraries.
    assert rows_of(raw, "tiles", MAPSERVER)[0]["rss_mb"] > rows_of(raw, "tiles", "rbmap")[0]["rss_mb"] / 10


def test_report_ratios_follow_from_the_measurements(quick_run):
    raw, report = quick_run["raw"], quick_run["report"]
    assert "**Quick run**" in report
    rb = rows_of(raw, "tiles", "rbmap")[0]
    ms = rows_of(raw, "tiles", MAPSERVER)[0]
    want_rps = suite_report.ratio(rb["rps"], ms["rps"], "higher")
    want_cpu = suite_report.ratio(rb["cpu_ms"], ms["cpu_ms"], "lower")
    lines = [line for line in report.splitlines() if line.startswith("| tiles |") and MAPSERVER in line]
    assert any("| requests/s |" in line and line.rstrip(" |").endswith(want_rps) for line in lines), lines
    assert any("| server CPU ms per request |" in line and line.rstrip(" |").endswith(want_cpu) for line in lines)
    # rates: rbmap / peer; costs: peer / rbmap
    assert suite_report.ratio(200.0, 100.0, "higher") == "2.00×" == suite_report.ratio(1.0, 2.0, "lower")


def test_machine_description_names_the_real_versions(quick_run, demo_dsn):
    report = quick_run["report"]
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip().split("/")[-1]
    assert re.search(rf"\| nginx \| nginx/{re.escape(nginx)} \|", report)
    assert f"| PostgreSQL | {sql_scalar(demo_dsn, 'SHOW server_version')} |" in report
    assert f"| PostGIS | {sql_scalar(demo_dsn, 'SELECT postgis_lib_version()')} |" in report
    ms = subprocess.run(["mapserv", "-v"], capture_output=True, text=True).stdout
    assert re.search(r"MapServer version (\S+)", ms).group(1) in report
    assert re.search(r"\| load average \(1, 5, 15 min\) \| [\d.]+ [\d.]+ [\d.]+ before, [\d.]+ [\d.]+ [\d.]+ after",
                     report)


def test_servers_are_gone_and_clean(quick_run):
    assert not SANITIZER_REPORT.search(quick_run["logs"]), quick_run["logs"][-3000:]
    work = str(quick_run["work"])
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert not [line for line in ps.splitlines() if work in line and ("nginx" in line or "rbmap" in line)]


def test_area_script_tables_are_read_by_header_not_position():
    text = ("intro\n\n| request | pg_trgm p50 ms | rbmap p99 ms | rbmap p50 ms | rbmap req/s (2 clients) "
            "| pg_trgm p99 ms | pg_trgm req/s |\n|---|---:|---:|---:|---:|---:|---:|\n"
            "| search | 148.34 | 10.42 | 1.04 | 1,687 | 324.44 | 16 |\n\nafter\n")
    tables = suite_scripts.markdown_tables(text)
    assert len(tables) == 1 and tables[0][0]["rbmap p50 ms"] == "1.04"
    assert suite_scripts.number("1,687") == 1687 and suite_scripts.number("0.52 / 3.10") == 0.52
    assert suite_scripts.number("–") is None
