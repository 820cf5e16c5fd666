"""Rate limits against the real server: a token bucket per credential (its subject) or,
without one, per client address, answered 429 with Retry-After and a JSON message; and
a per-address limit on failed credential checks (bad token signature, unknown API key,
wrong secret) that answers 429 *before* any signature or PBKDF2 runs. Requests from
127.0.0.2 (any 127/8 address is loopback on Linux) play a second client."""
import base64
import hashlib
import hmac
import http.client
import json
import re
import secrets
import signal
import time

import pytest

from conftest import Server, run_rbmap

TILE = "/tiles/territories/0/0/0.mvt"


def write_conf(path, **settings):
    path.write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
    return str(path)


def get_from(srv, path, source="127.0.0.1", headers=None):
    """(status, headers dict with lower-case names, body) from a chosen source address."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30, source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def mint(rbmap_bin, conf, scope, *extra):
    r = run_rbmap(rbmap_bin, "token", "--config", conf, "--scope", scope, *extra)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def craft(key, claims):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    p = b64url(json.dumps(claims).encode())
    return f"{h}.{p}.{b64url(hmac.new(key, f'{h}.{p}'.encode(), hashlib.sha256).digest())}"


def metric(srv, name, headers=None):
    status, _, body = get_from(srv, "/metrics", "127.0.0.9", headers)
    assert status == 200, body
    m = re.search(rf"^{re.escape(name)} (\d+)$", body.decode(), re.M)
    return int(m.group(1)) if m else None


def assert_429(status, hdrs, body, words):
    assert status == 429, (status, body)
    assert re.fullmatch(r"[1-9]\d*", hdrs["retry-after"]), hdrs
    doc = json.loads(body)
    assert doc["error"]["status"] == 429 and words in doc["error"]["message"], doc
    return int(hdrs["retry-after"])


@pytest.fixture(scope="module")
def secret():
    return secrets.token_hex(32)


@pytest.fixture(scope="module")
def conf(tmp_path_factory, secret):
    d = tmp_path_factory.mktemp("ratelimit")
    return write_conf(d / "rl.conf", jwt_secret=secret, rate_limit_per_s=2, rate_limit_burst=6,
                      auth_failures_per_minute=4)


@pytest.fixture(scope="module")
def srv(rbmap_bin, demo_dsn, tmp_path_factory, conf):
    """One server for the module; each test plays its own client addresses."""
    s = Server(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("rl"), ["--config", conf])
    yield s
    s.wait_boundaries()  # a stop during the background load can outlast the stop timeout
    s.stop()


def test_bucket_per_address_and_per_credential(rbmap_bin, srv, conf):
    started = time.monotonic()
    results = [get_from(srv, TILE, "127.0.0.5") for _ in range(20)]
    elapsed = time.monotonic() - started
    ok = sum(1 for s, _, _ in results if s in (200, 204))  # 204: territories still loading
    # the burst, plus what refilled meanwhile at 2 per second
    assert 6 <= ok <= 6 + 2 * elapsed + 1, ([s for s, _, _ in results], elapsed)
    refused = [r for r in results if r[0] not in (200, 204)]
    for status, hdrs, body in refused:
        wait = assert_429(status, hdrs, body, "rate limit exceeded")
        assert wait == 1  # 2 per second: the next token is at most half a second away
    assert "per address" in json.loads(refused[0][2])["error"]["message"]
    # Another address has its own bucket...
    assert get_from(srv, TILE, "127.0.0.6")[0] in (200, 204)
    # ...and so does a credential, whatever address it comes from.
    alice = mint(rbmap_bin, conf, "national", "--sub", "alice")
    statuses = [get_from(srv, TILE, "127.0.0.1", bearer(alice))[0] for _ in range(10)]
    assert statuses[0] in (200, 204) and 429 in statuses
    status, hdrs, body = get_from(srv, TILE, "127.0.0.3", bearer(alice))  # same subject, new address
    assert_429(status, hdrs, body, "per credential")
    bob = mint(rbmap_bin, conf, "national", "--sub", "bob")
    assert get_from(srv, TILE, "127.0.0.1", bearer(bob))[0] in (200, 204)
    # Retry-After is honest: after it, the request goes through.
    time.sleep(1.0)
    assert get_from(srv, TILE, "127.0.0.5")[0] in (200, 204)
    assert metric(srv, 'rbmap_rejected_requests_total{reason="rate_limit"}') >= len(refused) + 1
    assert "429" in srv.read_log()  # the access log records the refusals


def test_no_limit_by_default(server):
    statuses = {get_from(server, TILE)[0] for _ in range(60)}
    assert statuses <= {200, 204}, statuses


def test_failed_signatures_are_limited_per_address_before_any_check(rbmap_bin, srv, conf, secret):
    a, b = "127.0.1.1", "127.0.1.2"
    key = secret.encode()
    now = int(time.time())
    good = {"sub": "7", "aud": "rbmap", "iat": now, "exp": now + 600, "areas": ["national"]}
    # Failures that cost no signature check (expired yet well signed, another audience) do
    # not count: a user with a stale token is not an attacker.
    expired = craft(key, {**good, "iat": now - 7200, "exp": now - 3600})
    for _ in range(8):
        assert get_from(srv, TILE, a, bearer(expired))[0] == 401
    forged = craft(b"guessed-secret-guessed-secret-guessed", good)
    for _ in range(4):
        status, hdrs, body = get_from(srv, TILE, a, bearer(forged))
        assert status == 401 and "bad signature" in json.loads(body)["error"]["message"]
    status, hdrs, body = get_from(srv, TILE, a, bearer(forged))
    wait = assert_429(status, hdrs, body, "too many failed credential attempts")
    assert 1 <= wait <= 15  # 4 per minute: one attempt back every 15 s
    # The address is refused before verification: even a valid token waits...
    valid = mint(rbmap_bin, conf, "national")
    assert get_from(srv, TILE, a, bearer(valid))[0] == 429
    # ...but requests without credential still pass, and other addresses are untouched.
    assert get_from(srv, TILE, a)[0] in (200, 204)
    assert get_from(srv, TILE, b, bearer(valid))[0] in (200, 204)
    assert get_from(srv, TILE, b, bearer(forged))[0] == 401
    assert metric(srv, 'rbmap_rejected_requests_total{reason="auth_failures"}') >= 2
    log = srv.read_log()
    assert f"credential refused unchecked for {a}" in log
    assert forged.split(".")[2] not in log


def keys(rbmap_bin, demo_dsn, *args):
    return run_rbmap(rbmap_bin, "keys", *args, "--db", demo_dsn)


def basic(key_id, key_secret):
    return {"Authorization": "Basic " + base64.b64encode(f"{key_id}:{key_secret}".encode()).decode()}


def test_api_key_guessing_stops_before_pbkdf2(rbmap_bin, demo_dsn, srv):
    import psycopg2
    a, b = "127.0.2.1", "127.0.2.2"
    r = keys(rbmap_bin, demo_dsn, "create", "--scope", "departement:93", "--label", "pytest rate limit")
    assert r.returncode == 0, r.stderr
    key_id = re.search(r"^key_id: (\S+)$", r.stdout, re.M).group(1)
    key_secret = re.search(r"^secret: (\S+)$", r.stdout, re.M).group(1)
    try:
        # Each wrong secret costs one PBKDF2 (100,000 rounds): time the four allowed (and
        # any that a slow machine lets refill meanwhile, one per 15 s).
        started = time.monotonic()
        checked = 0
        while True:
            status, hdrs, body = get_from(srv, "/no/such/path", a, basic(key_id, key_secret + str(checked)))
            if status != 401:
                break
            checked += 1
            assert checked <= 8
        per_check = (time.monotonic() - started) / checked
        assert checked >= 4
        assert_429(status, hdrs, body, "too many failed credential attempts")
        # Further guesses, right or wrong, are refused before the hash is computed.
        started = time.monotonic()
        for _ in range(5):
            status, hdrs, body = get_from(srv, "/no/such/path", a, basic(key_id, key_secret + "x"))
            assert_429(status, hdrs, body, "too many failed credential attempts")
        refused_each = (time.monotonic() - started) / 5
        assert refused_each < per_check / 2, (refused_each, per_check)
        assert get_from(srv, TILE, a, basic(key_id, key_secret))[0] == 429
        # The rightful holder from another address is served.
        assert get_from(srv, TILE, b, basic(key_id, key_secret))[0] in (200, 204)
        assert key_secret not in srv.read_log()
    finally:
        with psycopg2.connect(demo_dsn) as c, c.cursor() as cur:
            cur.execute("DELETE FROM rbmap_api_keys WHERE key_id = %s", (key_id,))


def sighup_and_wait(srv, words):
    """Sends SIGHUP and waits for the reload line that contains words."""
    before = srv.read_log().count("configuration reloaded")
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline:
        log = srv.read_log()
        reloads = [line for line in log.splitlines() if "configuration reloaded" in line]
        if len(reloads) > before:
            assert words in reloads[-1], reloads[-1]
            return
        time.sleep(0.05)
    raise AssertionError("no reload line after SIGHUP")


@pytest.fixture(scope="module")
def proxy_conf(tmp_path_factory, secret):
    d = tmp_path_factory.mktemp("proxy")
    return write_conf(d / "proxy.conf", jwt_secret=secret, rate_limit_per_s=1, rate_limit_burst=3,
                      auth_failures_per_minute=2, audit_log=d / "audit.jsonl",
                      trusted_proxies="127.0.3.1, 127.0.3.11/32 ::1")


def test_client_address_behind_trusted_proxies(rbmap_bin, demo_dsn, tmp_path_factory, proxy_conf, secret):
    """127.0.3.1 plays our reverse proxy; 203.0.113.x are the clients it names."""
    s = Server(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("proxysrv"), ["--config", proxy_conf])
    try:
        proxy, stranger = "127.0.3.1", "127.0.3.2"

        def via(xff, source=proxy, headers=None):
            return get_from(s, TILE, source, {"X-Forwarded-For": xff, **(headers or {})})

        # Two clients behind the proxy: each its own bucket (burst 3 at 1/s).
        first = [via("203.0.113.1")[0] for _ in range(6)]
        assert first[:3] == [first[0]] * 3 and first[0] in (200, 204) and first[-1] == 429, first
        assert via("203.0.113.2")[0] in (200, 204)
        # A client cannot pick a fresh address by writing its own X-Forwarded-For: the
        # proxy appends the address it saw, and only the right-most untrusted entry counts.
        assert via("198.51.100.77, 203.0.113.1")[0] == 429
        # Trusted proxies in the chain are skipped (127.0.3.11 is a second proxy).
        assert via("203.0.113.1, 127.0.3.11")[0] == 429
        # Spoofing: from a peer that is not a trusted proxy the header is ignored; the
        # peer's own bucket runs dry whatever it claims.
        spoofed = [via(f"203.0.113.{100 + i}", stranger)[0] for i in range(6)]
        assert spoofed[-1] == 429, spoofed
        assert via("203.0.113.200", stranger)[0] == 429
        assert via("203.0.113.3")[0] in (200, 204)  # the proxy's other clients are untouched
        # Failed signatures are counted per client behind the proxy (2 per minute).
        now = int(time.time())
        forged = craft(b"guessed-secret-guessed-secret-guessed",
                       {"sub": "x", "aud": "rbmap", "iat": now, "exp": now + 600, "areas": ["national"]})
        assert [via("203.0.113.7", headers=bearer(forged))[0] for _ in range(3)] == [401, 401, 429]
        assert via("203.0.113.8", headers=bearer(forged))[0] == 401
        # The audit log names the client, not the proxy.
        valid = mint(rbmap_bin, proxy_conf, "departement:93", "--sub", "police-93")
        assert get_from(s, "/tiles/sites/0/0/0.mvt", proxy,
                        {"X-Forwarded-For": "203.0.113.9", **bearer(valid)})[0] in (200, 204)
        audit = [json.loads(line) for line in open(str(proxy_conf).replace("proxy.conf", "audit.jsonl"))]
        assert [a["remote"] for a in audit if a["subject"] == "user:police-93"] == ["203.0.113.9"], audit
        log = s.read_log()
        assert "refused for 203.0.113.7" in log and "refused for 127.0.3.1" not in log
        assert "credential refused unchecked for 203.0.113.7" in log
        access = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        remotes = {a.get("remote") for a in access}
        assert {"203.0.113.1", "203.0.113.2", stranger} <= remotes, remotes
        assert not {"198.51.100.77", "203.0.113.100", "203.0.113.200"} & remotes
    finally:
        s.stop()


def test_bad_trusted_proxies_refuses_to_start(rbmap_bin, demo_dsn, tmp_path):
    conf = write_conf(tmp_path / "bad.conf", trusted_proxies="10.0.0.0/8, proxy.internal")
    r = run_rbmap(rbmap_bin, "serve", "--config", conf, "--db", demo_dsn, "--listen", "127.0.0.1:1", timeout=30)
    assert r.returncode == 2 and "'proxy.internal' is not an IPv4 or IPv6 address" in r.stderr, r.stderr


def test_sighup_reloads_rate_limits_and_proxies(rbmap_bin, demo_dsn, tmp_path, secret):
    """Off at start, on after a SIGHUP, tighter, then off again; the same for failed
    credential checks and for trusted_proxies."""
    path = tmp_path / "reload.conf"
    conf = write_conf(path, jwt_secret=secret, auth_failures_per_minute=0)
    s = Server(rbmap_bin, demo_dsn, tmp_path, ["--config", conf])
    try:
        a = "127.0.4.1"
        assert {get_from(s, TILE, a)[0] for _ in range(12)} <= {200, 204}
        write_conf(path, jwt_secret=secret, rate_limit_per_s=1, rate_limit_burst=4, auth_failures_per_minute=1,
                   trusted_proxies="127.0.4.9")
        sighup_and_wait(s, "rate_limit_per_s=1, rate_limit_burst=4, auth_failures_per_minute=1, trusted_proxies=1")
        statuses = [get_from(s, TILE, a)[0] for _ in range(8)]
        assert statuses[0] in (200, 204) and statuses[-1] == 429, statuses
        assert 3 <= sum(st != 429 for st in statuses) <= 6, statuses
        status, hdrs, body = get_from(s, TILE, "127.0.4.2")
        assert status in (200, 204)
        now = int(time.time())
        forged = craft(b"guessed-secret-guessed-secret-guessed",
                       {"sub": "x", "aud": "rbmap", "iat": now, "exp": now + 600, "areas": ["national"]})
        assert [get_from(s, TILE, "127.0.4.3", bearer(forged))[0] for _ in range(2)] == [401, 429]
        # Now trusted, 127.0.4.9 forwards for two clients with their own buckets.
        proxied = [get_from(s, TILE, "127.0.4.9", {"X-Forwarded-For": "203.0.113.50"})[0] for _ in range(8)]
        assert proxied[-1] == 429 and get_from(s, TILE, "127.0.4.9", {"X-Forwarded-For": "203.0.113.51"})[0] != 429
        # A bad value keeps the current configuration.
        path.write_text(path.read_text() + "trusted_proxies = nonsense\n")
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "configuration not reloaded" not in s.read_log() and time.time() < deadline:
            time.sleep(0.05)
        assert "'nonsense' is not an IPv4 or IPv6 address" in s.read_log()
        assert get_from(s, TILE, a)[0] == 429
        write_conf(path, jwt_secret=secret, rate_limit_per_s=0, auth_failures_per_minute=0)
        sighup_and_wait(s, "rate_limit_per_s=0")
        assert {get_from(s, TILE, a)[0] for _ in range(12)} <= {200, 204}
        assert get_from(s, TILE, "127.0.4.3", bearer(forged))[0] == 401
    finally:
        s.wait_boundaries()
        s.stop()
