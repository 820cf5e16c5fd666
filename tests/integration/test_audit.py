"""The audit log against the real server: one JSON line per request that returned
site-level data (and per export, always), naming who, with which scope, which endpoint
and filters, the status and the feature count when known; never a credential; public
and aggregate reads are not audited; SIGHUP reopens the file after a rotation."""
import json
import os
import secrets
import signal
import time

import pytest

from conftest import Server, http_get, run_rbmap

SITES = "/tiles/sites/0/0/0.mvt"
KEYS = {"ts", "subject", "scope", "kind", "flags", "remote", "method", "endpoint", "path", "filters", "status",
        "features"}


def write_conf(path, **settings):
    path.write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
    return str(path)


@pytest.fixture(scope="module")
def audit_path(tmp_path_factory):
    return tmp_path_factory.mktemp("audit") / "audit.jsonl"


@pytest.fixture(scope="module")
def conf(tmp_path_factory, audit_path):
    return write_conf(tmp_path_factory.mktemp("auditconf") / "rbmap.conf", jwt_secret=secrets.token_hex(32),
                      default_scope="public", audit_log=str(audit_path))


@pytest.fixture(scope="module")
def srv(rbmap_bin, demo_dsn, tmp_path_factory, conf):
    s = Server(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("auditsrv"), ["--config", conf])
    yield s
    s.wait_boundaries()
    s.stop()


def mint(rbmap_bin, conf, scope, *extra):
    r = run_rbmap(rbmap_bin, "token", "--config", conf, "--scope", scope, *extra)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        out = [json.loads(line) for line in f]
    for line in out:
        assert set(line) == KEYS, line
    return out


def new_lines(path, before):
    return lines(path)[len(before):]


def test_site_reads_are_audited_with_who_what_and_filters(rbmap_bin, srv, conf, audit_path):
    token = mint(rbmap_bin, conf, "national", "--sub", "agent-42", "--flags", "justice")
    before = lines(audit_path)
    status, _, _ = http_get(srv.url + SITES + "?status=open", {"Authorization": f"Bearer {token}"})
    assert status == 200
    (line,) = new_lines(audit_path, before)
    assert line["subject"] == "user:agent-42" and line["scope"] == "national+justice"
    assert line["kind"] == "national" and line["flags"] == ["justice"]
    assert line["endpoint"] == "tiles" and line["path"] == SITES and line["method"] == "GET"
    assert line["filters"] == {"status": "open"} and line["status"] == 200
    assert line["remote"] == "127.0.0.1" and line["ts"].endswith("Z")
    # With access_token= the credential is not a filter and never reaches the file.
    before = lines(audit_path)
    status, _, _ = http_get(srv.url + SITES + f"?status=closed&access_token={token}")
    assert status == 200
    (line,) = new_lines(audit_path, before)
    assert line["filters"] == {"status": "closed"} and line["subject"] == "user:agent-42"
    text = audit_path.read_text()
    assert token not in text and token.split(".")[2] not in text


def test_territorial_scope_and_feature_count(rbmap_bin, srv, conf, audit_path):
    token = mint(rbmap_bin, conf, "departement:93", "--sub", "police-93")
    headers = {"Authorization": f"Bearer {token}"}
    before = lines(audit_path)
    status, _, body = http_get(srv.url + "/clusters/sites.geojson?bbox=2.2,48.8,2.6,49.1&zoom=14", headers)
    assert status == 200, body
    doc = json.loads(body)
    assert len(doc["features"]) > 0
    (line,) = new_lines(audit_path, before)
    assert line["kind"] == "territorial" and line["scope"] == "departement:93" and line["flags"] == []
    assert line["endpoint"] == "clusters" and line["features"] == len(doc["features"])
    assert line["filters"] == {"bbox": "2.2,48.8,2.6,49.1", "zoom": "14"}


def test_what_is_not_audited(rbmap_bin, srv, conf, audit_path):
    token = mint(rbmap_bin, conf, "national")
    headers = {"Authorization": f"Bearer {token}"}
    before = lines(audit_path)
    assert http_get(srv.url + SITES)[0] in (200, 204)                       # public: no site in it
    assert http_get(srv.url + "/tiles/territories/0/0/0.mvt", headers)[0] in (200, 204)  # aggregates
    assert http_get(srv.url + "/tiles/sites.json", headers)[0] == 200        # TileJSON: no data
    assert http_get(srv.url + "/health", headers)[0] == 200
    assert http_get(srv.url + SITES, {"Authorization": "Bearer not.a.token"})[0] == 401  # nothing returned
    assert new_lines(audit_path, before) == []


def test_exports_are_always_audited(rbmap_bin, srv, conf, audit_path):
    before = lines(audit_path)
    status, _, _ = http_get(srv.url + "/export/sites.csv?status=open")
    (line,) = new_lines(audit_path, before)
    assert line["endpoint"] == "export" and line["kind"] == "public" and line["subject"] is None
    assert line["status"] == status and line["filters"] == {"status": "open"}


def test_sighup_reopens_the_file_after_rotation(rbmap_bin, srv, conf, audit_path):
    token = mint(rbmap_bin, conf, "national", "--sub", "rotated")
    headers = {"Authorization": f"Bearer {token}"}
    assert http_get(srv.url + SITES, headers)[0] == 200
    rotated = str(audit_path) + ".1"
    os.rename(audit_path, rotated)
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while "reopened" not in srv.read_log() and time.time() < deadline:
        time.sleep(0.1)
    assert f"audit log {audit_path} reopened" in srv.read_log()
    assert http_get(srv.url + SITES, headers)[0] == 200  # still serving
    (line,) = lines(audit_path)
    assert line["subject"] == "user:rotated"
    old = lines(rotated)
    assert old and old[-1]["subject"] == "user:rotated" and len(old) >= 5


def test_audit_to_stdout(rbmap_bin, demo_dsn, tmp_path, start_server):
    conf = write_conf(tmp_path / "stdout.conf", jwt_secret=secrets.token_hex(32), audit_log="-", access_log="off")
    s = start_server(demo_dsn, ["--config", conf])
    token = mint(rbmap_bin, conf, "city:75056", "--sub", "to-stdout")
    assert http_get(s.url + SITES, {"Authorization": f"Bearer {token}"})[0] == 200
    s.wait_boundaries()
    found = [json.loads(l) for l in s.read_log().splitlines() if l.startswith("{")]
    assert [l["subject"] for l in found] == ["user:to-stdout"]
    assert found[0]["scope"].startswith("departement:75") or found[0]["scope"].startswith("city:75056")
