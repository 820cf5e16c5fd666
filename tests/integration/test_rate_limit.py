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
