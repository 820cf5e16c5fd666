"""Integration tests drive the real rbmap binary (the ASan+UBSan build) against the
real PostGIS cluster that `make test` starts. Environment, set by scripts/run_tests.sh:
  RBMAP_TEST_DB   conninfo of the demo database (schema, territories, demo data loaded)
  RBMAP_BIN       the rbmap binary to test (build/asan/rbmap)
  RBMAP_SHARED_DATA  ../shared/data
"""
import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import psycopg2
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANITIZER_REPORT = re.compile(r"ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer")


def env_or_skip(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests through `make test`")
    return value


@pytest.fixture(scope="session")
def demo_dsn():
    return env_or_skip("RBMAP_TEST_DB")


@pytest.fixture(scope="session")
def rbmap_bin():
    path = os.environ.get("RBMAP_BIN", os.path.join(ROOT, "build/asan/rbmap"))
    assert os.access(path, os.X_OK), f"{path} is not built"
    return path


@pytest.fixture(scope="session")
def shared_data():
    return os.environ.get("RBMAP_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))


def dsn_with_db(dsn, dbname):
    parts = [p for p in dsn.split() if not p.startswith("dbname=")]
    return " ".join(parts + [f"dbname={dbname}"])


@contextlib.contextmanager
def scratch_database(demo_dsn):
    """A new empty database on the test cluster (its conninfo), dropped afterwards even
    when the body fails; module fixtures use it directly."""
    name = "rbmap_test_" + uuid.uuid4().hex[:10]
    admin = psycopg2.connect(dsn_with_db(demo_dsn, "postgres"))
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield dsn_with_db(demo_dsn, name)
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def scratch_db(demo_dsn):
    """A new empty database on the test cluster, dropped afterwards."""
    with scratch_database(demo_dsn) as dsn:
        yield dsn


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running `rbmap serve`; stop() checks a clean exit and no sanitizer report."""

    def __init__(self, binary, dsn, tmp_path, extra_args=(), env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"rbmap-{self.port}.log"
        self.log = open(self.log_path, "w")
        full_env = dict(os.environ)
        full_env.update(env or {})
        full_env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--db", dsn, *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, env=full_env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"rbmap exited early:\n{self.read_log()}")
            try:
                status, _, _ = http_get(self.url + "/health", timeout=2)
                if status in (200, 503):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"rbmap did not answer /health:\n{self.read_log()}")

    def wait_boundaries(self, timeout=120):
        """Boundaries load in the background after start; wait until they are in."""
        import json
        deadline = time.time() + timeout
        while time.time() < deadline:
            doc = json.loads(http_get(self.url + "/health")[2])
            if (doc.get("layers") or {}).get("boundaries_loaded"):
                return self
            time.sleep(0.2)
        raise AssertionError(f"boundaries not loaded within {timeout} s:\n{self.read_log()[-2000:]}")

    def read_log(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise AssertionError("rbmap did not stop within 30 s of SIGTERM")
        log = self.read_log()
        self.log.close()
        assert not SANITIZER_REPORT.search(log), f"sanitizer report:\n{log[-5000:]}"
        assert self.proc.returncode == 0, f"rbmap exited with {self.proc.returncode}:\n{log[-3000:]}"
        return log


@pytest.fixture(scope="session")
def server(rbmap_bin, demo_dsn, tmp_path_factory):
    srv = Server(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("server"))
    yield srv
    srv.stop()


class AuthServer:
    """A server that checks tokens signed with its own secret; mint() makes one for a
    scope ("national", "departement:93", "city:75056", ...) with `rbmap token`."""

    def __init__(self, rbmap_bin, dsn, tmp_path):
        import secrets
        self.rbmap_bin = rbmap_bin
        self.conf = str(tmp_path / "rbmap.conf")
        with open(self.conf, "w") as f:
            f.write(f"jwt_secret = {secrets.token_hex(32)}\njwt_audience = rbmap\ndefault_scope = public\n")
        self.srv = Server(rbmap_bin, dsn, tmp_path, ["--config", self.conf])
        self.url = self.srv.url
        self._tokens = {}

    def mint(self, scope, *extra):
        key = (scope, *extra)
        if key not in self._tokens:
            r = run_rbmap(self.rbmap_bin, "token", "--config", self.conf, "--scope", scope, *extra)
            assert r.returncode == 0, r.stderr
            self._tokens[key] = r.stdout.strip()
        return self._tokens[key]

    def headers(self, scope, *extra):
        """Authorization header for a scope; {} for "public"."""
        return {} if scope == "public" else {"Authorization": f"Bearer {self.mint(scope, *extra)}"}


@pytest.fixture(scope="session")
def auth_server(rbmap_bin, demo_dsn, tmp_path_factory):
    srv = AuthServer(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("auth_server"))
    yield srv
    srv.srv.stop()


@pytest.fixture
def start_server(rbmap_bin, tmp_path):
    """Starts extra servers (own database, flags, environment); all stopped at the end."""
    started = []

    def start(dsn, extra_args=(), env=None):
        srv = Server(rbmap_bin, dsn, tmp_path, extra_args, env)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


def http_request(method, url, body=None, headers=None, timeout=30):
    """Returns (status, headers, body bytes) without raising on 4xx/5xx."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def http_get(url, headers=None, timeout=30):
    return http_request("GET", url, None, headers, timeout)


def run_rbmap(binary, *args, env=None, timeout=600):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([binary, *args], capture_output=True, text=True, env=full_env, timeout=timeout)


def sql_query(dsn, sql, params=None):
    """Runs one statement in its own committed transaction; rows, or None."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall() if cur.description else None
        conn.commit()
        return rows
    finally:
        conn.close()


def sql_scalar(dsn, sql, params=None):
    return sql_query(dsn, sql, params)[0][0]


def two_departement_epci(dsn):
    """An EPCI over exactly two départements with sites in both (the scope tests' case of
    a commune grouping that reads two départements)."""
    rows = sql_query(dsn, """
        WITH e AS (SELECT fk_epci FROM epci_to_departement GROUP BY fk_epci HAVING count(*) = 2)
        SELECT e.fk_epci, count(DISTINCT c.fk_departement) AS deps, count(*) AS sites
        FROM e JOIN epci_to_departement x ON x.fk_epci = e.fk_epci
        JOIN cities c ON c.fk_departement = x.fk_departement JOIN shantytowns s ON s.fk_city = c.code
        GROUP BY e.fk_epci HAVING count(DISTINCT c.fk_departement) = 2 ORDER BY sites DESC, e.fk_epci LIMIT 1""")
    assert rows, "the demo data has no EPCI over two départements with sites"
    return rows[0][0]


def run_checked(binary, *args):
    """Runs rbmap; fails on a non-zero exit or any sanitizer report."""
    result = run_rbmap(binary, *args)
    assert not SANITIZER_REPORT.search(result.stderr), result.stderr[-5000:]
    assert result.returncode == 0, result.stdout + result.stderr
    return result
