"""The sites layer's automatic first zoom (sites_minzoom = auto): on a scratch database
denser than the feature budget (3,000 sites in Saint-Denis, 1,001 in Lyon, 10 in Brest), the sites
layer starts at the lowest zoom where no tile holds more than 4,000 sites; TileJSON,
/catalog and the tiles agree, a sites tile below it answers 204 while the clusters
layer still shows those sites there, and `sites_minzoom = 0` brings back thinned tiles
from zoom 0. On the demo database (a few thousand sites) the layer starts at zoom 0.
The expected zoom comes from the positions stored in PostgreSQL, counted per tile here."""
import collections

import psycopg2
import pytest

from conftest import Server, http_get, run_checked, scratch_database, sql_scalar
from tiles_util import decode, insert_saint_denis, tile_of

BUDGET = 4000
SPOTS = [((2.3500, 48.9300), 3000), ((4.8300, 45.7600), 1001), ((-4.4900, 48.3900), 10)]  # (lon, lat), sites


@pytest.fixture(scope="module")
def dense(rbmap_bin, demo_dsn, tmp_path_factory):
    with scratch_database(demo_dsn) as dsn:
        run_checked(rbmap_bin, "migrate", "--db", dsn)
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            ft = insert_saint_denis(cur)
            for (lon, lat), count in SPOTS:
                cur.execute("""INSERT INTO shantytowns(name, address, latitude, longitude, fk_city, status,
                                                       fk_field_type, population_total, declared_at)
                    SELECT 'dense ' || i, '', %s + ((i * 7919) %% 1000) / 1000.0 * 0.01,
                           %s + ((i * 104729) %% 1009) / 1009.0 * 0.01, '93066', 'open', %s, 10,
                           DATE '2020-01-01'
                    FROM generate_series(1, %s) i""", (lat, lon, ft, count))
                cur.execute("UPDATE shantytowns SET name = %s WHERE name LIKE 'dense %%' AND address = ''",
                            (f"spot {lon}",))
                cur.execute("UPDATE shantytowns SET address = 'x' WHERE address = ''")
            cur.execute("SELECT longitude, latitude FROM shantytowns")
            positions = cur.fetchall()
        yield dsn, positions


def expected_minzoom(positions):
    """The lowest zoom where no tile holds more than BUDGET sites (at most 12)."""
    for z in range(0, 12):
        per_tile = collections.Counter(tile_of(lon, lat, z) for lon, lat in positions)
        if max(per_tile.values()) <= BUDGET:
            return z
    return 12


def start(rbmap_bin, dsn, tmp_path, minzoom=None):
    env = {"RBMAP_DEFAULT_SCOPE": "national"}
    if minzoom is not None:
        env["RBMAP_SITES_MINZOOM"] = minzoom
    return Server(rbmap_bin, dsn, tmp_path, env=env)


def get_json(srv, path):
    import json
    status, _, body = http_get(srv.url + path)
    assert status == 200, body
    return json.loads(body)


def layer(doc_layers, name):
    return next(l for l in doc_layers if l["id"] == name)


def test_auto_minzoom_agrees_in_tilejson_catalog_and_tiles(rbmap_bin, dense, tmp_path):
    dsn, positions = dense
    mz = expected_minzoom(positions)
    assert 0 < mz < 12  # the data is built so that the rule has something to decide
    srv = start(rbmap_bin, dsn, tmp_path)
    try:
        tj = get_json(srv, "/tiles/sites.json")
        assert tj["minzoom"] == mz and layer(tj["vector_layers"], "sites")["minzoom"] == mz
        assert str(mz) in tj["rbmap:sites_minzoom"]
        both = get_json(srv, "/tiles/sites,clusters.json")
        assert both["minzoom"] == 0  # clusters cover the zooms below
        assert layer(both["vector_layers"], "sites")["minzoom"] == mz
        assert layer(both["vector_layers"], "clusters")["minzoom"] == 0
        assert layer(get_json(srv, "/catalog")["layers"], "sites")["minzoom"] == mz

        lon, lat = SPOTS[0][0]
        for z in range(0, mz):
            x, y = tile_of(lon, lat, z)
            status, _, _ = http_get(srv.url + f"/tiles/sites/{z}/{x}/{y}.mvt")
            assert status == 204, (z, status)
            status, _, body = http_get(srv.url + f"/tiles/sites,clusters/{z}/{x}/{y}.mvt")
            assert status == 200
            layers = decode(tmp_path, z, x, y, body)
            assert "sites" not in layers or not layers["sites"]
            in_tile = sum(1 for p in positions if tile_of(*p, z) == (x, y))
            assert sum(int(f.get("point_count") or 1) for f in layers["clusters"]) >= in_tile
        x, y = tile_of(lon, lat, mz)
        status, _, body = http_get(srv.url + f"/tiles/sites/{mz}/{x}/{y}.mvt")
        assert status == 200
        ids = {int(f["id"]) for f in decode(tmp_path, mz, x, y, body)["sites"]}
        in_tile = sum(1 for p in positions if tile_of(*p, mz) == (x, y))
        assert in_tile <= len(ids) <= BUDGET  # nothing thinned: every site of the tile (and its buffer)
        # The MapLibre style draws sites from the clusters layer's unclustered points, at
        # every zoom: no style layer reads the sites layer below its first zoom.
        style = get_json(srv, "/styles/light.json")
        for sl in style["layers"]:
            if sl.get("source-layer") == "sites":
                assert sl.get("minzoom", 0) >= mz
        assert any(sl.get("source-layer") == "clusters" and sl.get("minzoom", 0) < mz for sl in style["layers"])
    finally:
        srv.stop()


def test_fixed_minzoom_zero_thins_from_zoom_zero(rbmap_bin, dense, tmp_path):
    dsn, positions = dense
    srv = start(rbmap_bin, dsn, tmp_path, "0")
    try:
        assert get_json(srv, "/tiles/sites.json")["minzoom"] == 0
        assert layer(get_json(srv, "/catalog")["layers"], "sites")["minzoom"] == 0
        status, _, body = http_get(srv.url + "/tiles/sites/0/0/0.mvt")
        assert status == 200
        assert len(decode(tmp_path, 0, 0, 0, body)["sites"]) == BUDGET < len(positions)
    finally:
        srv.stop()


def test_bad_sites_minzoom_is_refused(rbmap_bin, dense, tmp_path):
    import subprocess
    dsn, _ = dense
    out = subprocess.run([rbmap_bin, "serve", "--listen", "127.0.0.1:1", "--db", dsn],
                         env={"RBMAP_SITES_MINZOOM": "deep", "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "sites_minzoom" in out.stderr


def test_demo_scale_starts_at_zoom_zero(server, demo_dsn):
    sites = sql_scalar(demo_dsn, "SELECT count(*) FROM shantytowns")
    assert sites <= BUDGET  # the platform's scale: every site fits one tile
    assert layer(get_json(server, "/catalog")["layers"], "sites")["minzoom"] == 0
    assert get_json(server, "/tiles/sites.json")["minzoom"] == 0


def test_an_edit_that_moves_the_first_zoom_refreshes_cached_tiles(rbmap_bin, dense, tmp_path):
    """Runs last: it deletes a Lyon site (the fixture is this module's own database)."""
    import time
    dsn, positions = dense
    mz = expected_minzoom(positions)
    brest = SPOTS[2][0]
    z = mz - 1
    assert tile_of(*brest, z) not in {tile_of(*SPOTS[0][0], z), tile_of(*SPOTS[1][0], z)}
    x, y = tile_of(*brest, z)
    srv = start(rbmap_bin, dsn, tmp_path)
    try:
        assert http_get(srv.url + f"/tiles/sites/{z}/{x}/{y}.mvt")[0] == 204  # now cached
        # One site less in the densest tiles: 4,000 sites at zoom 1, so the first zoom moves.
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM shantytowns WHERE shantytown_id = (SELECT min(shantytown_id) FROM shantytowns "
                        "WHERE name = %s) RETURNING longitude, latitude", (f"spot {SPOTS[1][0][0]}",))
            gone = cur.fetchone()
        left = list(positions)
        left.remove(gone)
        new_mz = expected_minzoom(left)
        assert 0 < new_mz <= z
        deadline = time.time() + 20
        while time.time() < deadline and get_json(srv, "/tiles/sites.json")["minzoom"] != new_mz:
            time.sleep(0.2)
        assert get_json(srv, "/tiles/sites.json")["minzoom"] == new_mz
        # Brest is far from the deleted site: only the moved first zoom can evict its tile.
        status, _, body = http_get(srv.url + f"/tiles/sites/{z}/{x}/{y}.mvt")
        assert status == 200
        assert len(decode(tmp_path, z, x, y, body)["sites"]) == SPOTS[2][1]
    finally:
        srv.stop()
