"""Credentials: tokens minted by `rbmap token` (and forged or broken ones), the
platform's read widening of scopes, sensitive fields, cache isolation between scopes,
API keys over HTTP Basic. The truth for every scope is SQL on the demo database; the
z0 tile holds every site of the scope (3 600 demo sites, under the thinning budget),
so comparing its ids with SQL checks that nothing out of scope is served and nothing
in scope is missing."""
import base64
import gzip
import hashlib
import hmac
import json
import re
import secrets
import subprocess
import time

import psycopg2
import pytest

from conftest import Server, http_get, run_rbmap, two_departement_epci
from tiles_util import decode, sql_site_ids, tile_of

JUSTICE_FIELDS = ["owner_complaint", "justice_procedure", "justice_rendered", "police_status",
                  "existing_litigation", "evacuation_under_time_limit", "insalubrity_order"]
Z0 = "/tiles/sites/0/0/0.mvt"


def write_conf(path, **settings):
    path.write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
    return str(path)


@pytest.fixture(scope="module")
def secret():
    return secrets.token_hex(32)


@pytest.fixture(scope="module")
def conf(tmp_path_factory, secret):
    d = tmp_path_factory.mktemp("authconf")
    return write_conf(d / "rbmap.conf", jwt_secret=secret, jwt_audience="rbmap", default_scope="public")


@pytest.fixture(scope="module")
def srv(rbmap_bin, demo_dsn, tmp_path_factory, conf):
    s = Server(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("auth"), ["--config", conf])
    yield s
    log = s.stop()
    assert "rbmap: auth: territory index loaded" in log


def mint(rbmap_bin, conf, scope, *extra):
    r = run_rbmap(rbmap_bin, "token", "--config", conf, "--scope", scope, *extra)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)
    return token


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def craft(key, claims, header=None):
    """An HS256 token signed by this test, as an attacker or another issuer would."""
    h = b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    p = b64url(json.dumps(claims).encode())
    sig = hmac.new(key, f"{h}.{p}".encode(), hashlib.sha256).digest() if key else b""
    return f"{h}.{p}.{b64url(sig)}"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def fetch(srv, path, headers=None):
    status, hdrs, body = http_get(srv.url + path, headers=headers)
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return status, hdrs, body


def tile_sites(srv, tmp_path, headers, z=0, x=0, y=0):
    status, _, body = fetch(srv, f"/tiles/sites/{z}/{x}/{y}.mvt", headers)
    assert status in (200, 204), body
    feats = decode(tmp_path, z, x, y, body).get("sites", []) if status == 200 else []
    return sorted(int(f["id"]) for f in feats), feats, body


def sql_one(dsn, query, params=()):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def scope_cases(dsn):
    epci = two_departement_epci(dsn)
    epci_deps = "(SELECT fk_departement FROM epci_to_departement WHERE fk_epci = %s " \
                "UNION SELECT fk_departement FROM cities WHERE fk_epci = %s)"
    return [
        ("national", "TRUE", ()),
        ("departement:93", "c.fk_departement = '93'", ()),
        ("city:93066", "c.fk_departement = '93'", ()),         # a commune reads its département
        ("city:13055", "c.fk_departement = '13'", ()),         # Marseille, arrondissements included
        ("city:13201", "c.fk_departement = '13'", ()),         # an arrondissement reads it too
        (f"epci:{epci}", f"c.fk_departement IN {epci_deps}", (epci, epci)),
        ("region:11", "d.fk_region = '11'", ()),
        ("city:93066,departement:75,region:93", "c.fk_departement IN ('93', '75') OR d.fk_region = '93'", ()),
    ]


def test_each_scope_reads_exactly_its_widened_territory(srv, rbmap_bin, conf, demo_dsn, tmp_path):
    for scope, where, params in scope_cases(demo_dsn):
        ids, _, _ = tile_sites(srv, tmp_path, bearer(mint(rbmap_bin, conf, scope)))
        expected = sql_site_ids(demo_dsn, 0, 0, 0, where, params)
        assert expected, scope
        assert ids == expected, f"{scope}: {len(ids)} sites in the tile, {len(expected)} in SQL"
    # At a street-level zoom too: Saint-Denis for a commune of Seine-Saint-Denis.
    x, y = tile_of(2.36, 48.93, 11)
    ids, _, _ = tile_sites(srv, tmp_path, bearer(mint(rbmap_bin, conf, "city:93070")), 11, x, y)
    assert ids == sql_site_ids(demo_dsn, 11, x, y, "c.fk_departement = '93'") and ids


def test_widening_is_real_and_canonical(srv, rbmap_bin, conf, demo_dsn, tmp_path):
    # The commune alone has fewer sites than its département: the widening adds sites.
    in_commune = sql_one(demo_dsn, "SELECT count(*) FROM shantytowns WHERE fk_city = '93066'")[0][0]
    ids, _, body_city = tile_sites(srv, tmp_path, bearer(mint(rbmap_bin, conf, "city:93066")))
    assert len(ids) > in_commune
    # Same data, same bytes: a commune token and its département token share the scope.
    _, _, body_dep = tile_sites(srv, tmp_path, bearer(mint(rbmap_bin, conf, "departement:93")))
    assert body_city == body_dep
    epci = two_departement_epci(demo_dsn)
    deps = {r[0] for r in sql_one(demo_dsn, "SELECT fk_departement FROM epci_to_departement WHERE fk_epci = %s",
                                  (epci,))}
    ids, feats, _ = tile_sites(srv, tmp_path, bearer(mint(rbmap_bin, conf, f"epci:{epci}")))
    assert {f["departement"] for f in feats} == deps and len(deps) == 2
    arrondissements = sql_one(demo_dsn, "SELECT DISTINCT fk_departement FROM cities WHERE fk_main = '13055'")
    assert arrondissements == [("13",)]


def test_public_scope_sees_no_site(srv, rbmap_bin, conf, tmp_path):
    status, headers, body = fetch(srv, Z0)
    assert status == 204 and body == b""
    assert "public" in headers["Cache-Control"]
    status, headers, _ = fetch(srv, Z0, bearer(mint(rbmap_bin, conf, "departement:93")))
    assert status == 200 and "private" in headers["Cache-Control"]


def test_justice_fields_only_with_the_justice_flag(srv, rbmap_bin, conf, tmp_path):
    x, y = tile_of(2.45, 48.91, 7)  # Paris and the petite couronne
    for scope in ["national", "city:93066"]:
        _, feats, body = tile_sites(srv, tmp_path, bearer(mint(rbmap_bin, conf, scope)), 7, x, y)
        assert feats and not any(f.get(k) is not None for f in feats for k in JUSTICE_FIELDS)
        assert not any(k.encode() in body for k in JUSTICE_FIELDS)
        _, feats, body = tile_sites(srv, tmp_path, bearer(mint(rbmap_bin, conf, scope, "--flags", "justice")), 7, x, y)
        present = {k for f in feats for k in JUSTICE_FIELDS if f.get(k) is not None}
        assert {"owner_complaint", "police_status"} <= present, present
    # The intervener role never reads justice data, whatever its flags say.
    _, _, body = tile_sites(srv, tmp_path, bearer(mint(rbmap_bin, conf, "national", "--flags", "justice",
                                                       "--role", "intervener")), 7, x, y)
    assert b"owner_complaint" not in body


def test_the_same_tile_in_alternation_keeps_each_scope_its_own_bytes(srv, rbmap_bin, conf, tmp_path):
    x, y = tile_of(2.45, 48.91, 9)
    path = f"/tiles/sites/9/{x}/{y}.mvt"
    tokens = {s: mint(rbmap_bin, conf, *s.split("+")) for s in
              ["national", "departement:93", "departement:93+--flags=justice", "departement:75"]}
    tokens["public"] = None
    first = {}
    for round_ in range(3):
        for name, token in tokens.items():
            status, headers, body = fetch(srv, path, bearer(token) if token else None)
            key = (status, body, headers.get("ETag"))
            if round_ == 0:
                first[name] = key
            assert key == first[name], f"{name} got another scope's tile in round {round_}"
    bodies = [first[n][1] for n in tokens]
    assert len(set(bodies)) == len(bodies), "every scope sees a different tile here"


def refused(srv, headers=None, path=Z0):
    status, hdrs, body = fetch(srv, path, headers)
    assert status == 401, (status, body)
    return hdrs.get("WWW-Authenticate", ""), json.loads(body)["error"]["message"]


def test_bad_tokens_are_401_with_the_reason_logged(srv, rbmap_bin, conf, secret, tmp_path):
    key = secret.encode()
    now = int(time.time())
    good = {"sub": "9", "aud": "rbmap", "iat": now, "exp": now + 600, "areas": ["national"], "flags": ["justice"]}
    assert fetch(srv, Z0, bearer(craft(key, good)))[0] == 200  # the control: this forging is right
    valid = mint(rbmap_bin, conf, "departement:93")
    h, p, s = valid.split(".")
    forged_payload = b64url(json.dumps({**good, "areas": ["national"]}).encode())
    cases = {
        "token expired": craft(key, {**good, "iat": now - 7200, "exp": now - 3600}),
        "token not yet valid": craft(key, {**good, "nbf": now + 3600}),
        "another audience": craft(key, {**good, "aud": "other-service"}),
        "bad signature": craft(b"another-secret-another-secret-another", good),
        "alg 'none'": craft(None, good, {"alg": "none", "typ": "JWT"}),
        "no exp": craft(key, {k: v for k, v in good.items() if k != "exp"}),
        "invalid areas: unknown city 99999": craft(key, {**good, "areas": ["city:99999"]}),
        "unknown flag": craft(key, {**good, "flags": ["everything"]}),
        "tampered": f"{h}.{forged_payload}.{s}",
        "tampered signature": f"{h}.{p}.{s[:-2]}{'AA' if s[-2:] != 'AA' else 'BA'}",
        "longer than": "a" * 9000 + "." + "b" * 10 + ".c",
    }
    for name, token in cases.items():
        challenge, message = refused(srv, bearer(token))
        assert challenge.startswith('Bearer realm="rbmap", error="invalid_token", error_description="'), challenge
        if name not in ("tampered", "tampered signature"):
            assert name in message, (name, message)
        else:
            assert "bad signature" in message
    challenge, _ = refused(srv, {"Authorization": "Negotiate abc"})
    assert challenge.startswith("Bearer")
    log = srv.read_log()
    assert "refused for 127.0.0.1 on /tiles/sites/0/0/0.mvt: token expired" in log
    assert "alg 'none' is not accepted" in log
    for token in cases.values():
        assert token.split(".")[2] not in log or len(token.split(".")[2]) < 8


def test_access_token_parameter_works_and_never_reaches_the_log(srv, rbmap_bin, conf, tmp_path):
    token = mint(rbmap_bin, conf, "departement:93", "--flags", "justice")
    s1, _, via_header = fetch(srv, Z0, bearer(token))
    s2, _, via_query = fetch(srv, Z0 + "?access_token=" + token)
    assert s1 == s2 == 200 and via_header == via_query
    # Both at once is ambiguous: refused.
    status, hdrs, _ = fetch(srv, Z0 + "?access_token=" + token, bearer(token))
    assert status == 400 and 'error="invalid_request"' in hdrs["WWW-Authenticate"]
    status, _, _ = fetch(srv, Z0 + "?access_token=garbage")
    assert status == 401
    log = srv.read_log()
    assert token not in log and token.split(".")[2] not in log
    assert '"access_token":"***"' in log
    assert '"scope":"departement:93+justice"' in log


def test_rbmap_token_validates_its_arguments(rbmap_bin, conf, tmp_path):
    for args in (["--scope", "city:9306"], ["--scope", "planet:1"], ["--scope", "national", "--flags", "root"],
                 ["--scope", "national", "--ttl", "forever"], ["--scope", ",".join(["departement:93"] * 40)]):
        r = run_rbmap(rbmap_bin, "token", "--config", conf, *args)
        assert r.returncode == 2 and r.stdout == "", (args, r.stdout)
    empty = write_conf(tmp_path / "nokey.conf", jwt_audience="rbmap")
    r = run_rbmap(rbmap_bin, "token", "--config", empty, "--scope", "national", env={"RBMAP_JWT_SECRET": ""})
    assert r.returncode == 1 and "no signing key" in r.stderr
    r = run_rbmap(rbmap_bin, "token", "--config", empty, "--scope", "national",
                  env={"RBMAP_JWT_SECRET": "s" * 40})
    assert r.returncode == 0 and r.stdout.count(".") == 2
    r = run_rbmap(rbmap_bin, "token", "--config", empty, "--scope", "national", env={"RBMAP_JWT_SECRET": "short"})
    assert r.returncode == 1 and "at least 32 bytes" in r.stderr


def test_default_scope_national_only_without_credentials(rbmap_bin, demo_dsn, tmp_path, start_server, secret, conf):
    national_conf = write_conf(tmp_path / "national.conf", jwt_secret=secret, default_scope="national")
    srv2 = start_server(demo_dsn, ["--config", national_conf])
    ids, _, _ = tile_sites(srv2, tmp_path, None)
    assert ids == sql_site_ids(demo_dsn, 0, 0, 0)
    ids, _, _ = tile_sites(srv2, tmp_path, bearer(mint(rbmap_bin, conf, "departement:93")))
    assert ids == sql_site_ids(demo_dsn, 0, 0, 0, "c.fk_departement = '93'")  # a credential narrows
    assert fetch(srv2, Z0, bearer("not.a.token"))[0] == 401                 # a bad one is refused


@pytest.fixture(params=["ed25519", "ec"])
def keypair_conf(request, tmp_path, secret):
    priv, pub = tmp_path / "jwt.key", tmp_path / "jwt.pub"
    algo = ["-algorithm", "ED25519"] if request.param == "ed25519" else \
        ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    subprocess.run(["openssl", "genpkey", *algo, "-out", str(priv)], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(priv), "-pubout", "-out", str(pub)], check=True, capture_output=True)
    # The Ed25519 server also has the HS256 secret (a platform moving from one to the
    # other); the P-256 one has only its public key.
    extra = {"jwt_secret": secret} if request.param == "ed25519" else {}
    server_conf = write_conf(tmp_path / "server.conf", jwt_public_key_file=pub, **extra)
    mint_conf = write_conf(tmp_path / "mint.conf", jwt_private_key_file=priv)
    return request.param, server_conf, mint_conf, pub


def test_es256_and_eddsa_tokens(rbmap_bin, demo_dsn, tmp_path, start_server, keypair_conf, conf):
    kind, server_conf, mint_conf, pub = keypair_conf
    srv2 = start_server(demo_dsn, ["--config", server_conf])
    token = mint(rbmap_bin, mint_conf, "departement:93")
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == {"ed25519": "EdDSA", "ec": "ES256"}[kind]
    ids, _, _ = tile_sites(srv2, tmp_path, bearer(token))
    assert ids == sql_site_ids(demo_dsn, 0, 0, 0, "c.fk_departement = '93'")
    # The public key used as an HMAC secret is refused (algorithm confusion)...
    forged = craft(pub.read_bytes(), {"sub": "1", "aud": "rbmap", "exp": int(time.time()) + 600, "areas": ["national"]})
    _, message = refused(srv2, bearer(forged))
    hs256_token = mint(rbmap_bin, conf, "national")
    if kind == "ed25519":
        assert "bad signature" in message  # checked against the secret, not the key
        assert fetch(srv2, Z0, bearer(hs256_token))[0] == 200  # ...the real secret still works
    else:
        assert "alg HS256 does not match the configured key" in message
        _, message = refused(srv2, bearer(hs256_token))
        assert "alg HS256 does not match the configured key" in message
    # An independent implementation agrees on the signature encoding (r||s for ES256).
    jwt = pytest.importorskip("jwt")
    claims = jwt.decode(token, pub.read_text(), algorithms=[header["alg"]], audience="rbmap")
    assert claims["areas"] == ["departement:93"]
    theirs = jwt.encode({"sub": "x", "aud": "rbmap", "exp": int(time.time()) + 600, "areas": ["departement:93"]},
                        (tmp_path / "jwt.key").read_text(), algorithm=header["alg"])
    assert fetch(srv2, Z0, bearer(theirs))[0] == 200


def test_a_server_with_an_unreadable_key_refuses_to_start(rbmap_bin, demo_dsn, tmp_path):
    bad = write_conf(tmp_path / "bad.conf", jwt_public_key_file=tmp_path / "missing.pem")
    r = run_rbmap(rbmap_bin, "serve", "--config", bad, "--db", demo_dsn, "--listen", "127.0.0.1:1", timeout=60)
    assert r.returncode == 1 and "missing.pem" in r.stderr


def keys(rbmap_bin, demo_dsn, *args):
    return run_rbmap(rbmap_bin, "keys", *args, "--db", demo_dsn)


def basic(key_id, secret):
    return {"Authorization": "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()}


def test_api_keys_create_use_list_expire_revoke(srv, rbmap_bin, conf, demo_dsn, tmp_path):
    label = "pytest " + secrets.token_hex(4)
    r = keys(rbmap_bin, demo_dsn, "create", "--scope", "city:93066", "--flags", "justice,finances",
             "--label", label, "--expires", "2099-12-31")
    assert r.returncode == 0, r.stderr
    key_id = re.search(r"^key_id: (\S+)$", r.stdout, re.M).group(1)
    secret = re.search(r"^secret: (\S+)$", r.stdout, re.M).group(1)
    assert "reads:  departement:93+justice" in r.stdout
    try:
        row = sql_one(demo_dsn, "SELECT secret_hash, salt, iterations, areas, flags FROM rbmap_api_keys "
                                "WHERE key_id = %s", (key_id,))[0]
        assert secret not in json.dumps(row) and row[2] >= 100000 and row[3] == ["city:93066"]
        assert row[4] == ["justice"]  # finances are national: not stored for a département key
        # Authentication runs before routing, so a 404 path times the credential check alone.
        started = time.monotonic()
        assert fetch(srv, "/no/such/path", basic(key_id, secret))[0] == 404
        cold = time.monotonic() - started
        started = time.monotonic()
        for _ in range(10):
            assert fetch(srv, "/no/such/path", basic(key_id, secret))[0] == 404
        assert time.monotonic() - started < cold, "cached checks must not each cost a PBKDF2"
        _, _, with_key = tile_sites(srv, tmp_path, basic(key_id, secret))
        token = mint(rbmap_bin, conf, "departement:93", "--flags", "justice")
        _, _, with_token = tile_sites(srv, tmp_path, bearer(token))
        assert with_key == with_token and b"owner_complaint" in with_key
        challenge, _ = refused(srv, basic(key_id, secret + "x"))
        assert challenge.startswith('Basic realm="rbmap"')
        refused(srv, basic("rbk_0000000000000000", secret))
        refused(srv, {"Authorization": "Basic !!!"})
        listing = keys(rbmap_bin, demo_dsn, "list")
        assert listing.returncode == 0 and secret not in listing.stdout
        line = next(l for l in listing.stdout.splitlines() if l.startswith(key_id))
        assert "active" in line and label in line and "city:93066" in line
        # Expiry takes effect on the next request, cache or not.
        sql_one_commit(demo_dsn, "UPDATE rbmap_api_keys SET expires_at = now() - interval '1 s' WHERE key_id = %s",
                       key_id)
        _, message = refused(srv, basic(key_id, secret))
        assert "expired" in message
        sql_one_commit(demo_dsn, "UPDATE rbmap_api_keys SET expires_at = NULL WHERE key_id = %s", key_id)
        assert fetch(srv, Z0, basic(key_id, secret))[0] == 200
        r = keys(rbmap_bin, demo_dsn, "revoke", key_id)
        assert r.returncode == 0 and "revoked" in r.stdout
        challenge, message = refused(srv, basic(key_id, secret))
        assert challenge.startswith('Basic realm="rbmap"') and "revoked" in message
        listing = keys(rbmap_bin, demo_dsn, "list").stdout.splitlines()
        assert "revoked" in next(l for l in listing if l.startswith(key_id))
        assert secret not in srv.read_log()
    finally:
        sql_one_commit(demo_dsn, "DELETE FROM rbmap_api_keys WHERE key_id = %s", key_id)


def sql_one_commit(dsn, query, *params):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(query, params)


def test_keys_create_refuses_unknown_codes_and_past_dates(rbmap_bin, demo_dsn):
    r = keys(rbmap_bin, demo_dsn, "create", "--scope", "city:99999")
    assert r.returncode == 2 and "unknown city 99999" in r.stderr
    r = keys(rbmap_bin, demo_dsn, "create", "--scope", "departement:93", "--expires", "2001-01-01")
    assert r.returncode == 1 and "past" in r.stderr
    r = keys(rbmap_bin, demo_dsn, "revoke", "rbk_doesnotexist")
    assert r.returncode == 1


def test_territories_missing_at_start_are_loaded_later(rbmap_bin, scratch_db, start_server, conf, tmp_path):
    """No territories when the server starts (an empty database): a territorial token is
    a 503 to retry, not a 401; once the territories exist the index is loaded lazily."""
    srv2 = start_server(scratch_db, ["--config", conf])
    token = mint(rbmap_bin, conf, "city:93066")
    status, headers, body = fetch(srv2, Z0, bearer(token))
    assert status == 503 and headers["Retry-After"], body
    assert fetch(srv2, Z0, bearer(mint(rbmap_bin, conf, "national")))[0] == 204  # needs no index
    with psycopg2.connect(scratch_db) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO regions(code, name) VALUES ('11', 'Île-de-France')")
        cur.execute("INSERT INTO departements(code, name, latitude, longitude, fk_region) "
                    "VALUES ('93', 'Seine-Saint-Denis', 48.9, 2.5, '11')")
        cur.execute("INSERT INTO cities(code, name, fk_departement) VALUES ('93066', 'Saint-Denis', '93')")
    deadline = time.time() + 15
    while (status := fetch(srv2, Z0, bearer(token))[0]) == 503 and time.time() < deadline:
        time.sleep(0.5)
    assert status == 204  # the scope resolved; the empty database has no site to show
    assert fetch(srv2, Z0, bearer(mint(rbmap_bin, conf, "city:93067")))[0] == 401  # unknown commune
    assert "territory index loaded" in srv2.read_log()
