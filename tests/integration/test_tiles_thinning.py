"""Thinning of the sites layer on a dense synthetic database (12,000 sites, 11,990 of them
within 300 m of each other in Saint-Denis): tiles stay under the 4,000-feature budget
and 500 KB, the densest places give up sites first, a lone site is never dropped, and
inside one crowded grid cell the open and most populated sites are kept. GDAL decodes
the tiles; PostgreSQL gives the expected sets."""
import math

import psycopg2
import pytest

from conftest import Server, http_get, run_checked, scratch_database
from tiles_util import decode, insert_saint_denis

BUDGET = 4000
EXTENT, BUFFER, CELL = 4096, 64, 2
DENSE, ALONE = 11990, 10
# Far from Saint-Denis and from each other, all in mainland France.
ALONE_AT = [(-4.49, 48.39), (-1.55, 47.22), (-0.58, 44.84), (1.44, 43.60), (3.88, 43.61),
            (5.37, 43.30), (7.26, 43.70), (4.83, 45.76), (6.18, 48.69), (3.06, 50.63)]


def fraction(lon, lat, z):
    n = 2 ** z
    x = (lon + 180.0) / 360.0 * n
    y = (1.0 - math.log(math.tan(math.radians(lat)) + 1.0 / math.cos(math.radians(lat))) / math.pi) / 2.0 * n
    return x, y


@pytest.fixture(scope="module")
def dense_server(rbmap_bin, tmp_path_factory, demo_dsn):
    with scratch_database(demo_dsn) as dsn:
        yield from serve_dense(rbmap_bin, tmp_path_factory, dsn)


def serve_dense(rbmap_bin, tmp_path_factory, dsn):
    run_checked(rbmap_bin, "migrate", "--db", dsn)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        ft = insert_saint_denis(cur)
        # Deterministic pseudo-random positions in a 0.004 x 0.003 degree box; a third
        # open; populations 0-49 with some unknown.
        cur.execute("""INSERT INTO shantytowns(name, address, latitude, longitude, fk_city, status, fk_field_type,
                                               population_total, declared_at, closed_at)
            SELECT 'dense ' || i, '', 48.9300 + ((i * 7919) %% 1000) / 1000.0 * 0.003,
                   2.3500 + ((i * 104729) %% 1009) / 1009.0 * 0.004, '93066',
                   CASE WHEN i %% 3 = 0 THEN 'open' ELSE 'closed_by_justice' END, %s,
                   CASE WHEN i %% 13 = 0 THEN NULL ELSE (i * 31) %% 50 END, DATE '2020-01-01',
                   CASE WHEN i %% 3 = 0 THEN NULL ELSE TIMESTAMPTZ '2022-01-01' END
            FROM generate_series(1, %s) i""", (ft, DENSE))
        for k, (lon, lat) in enumerate(ALONE_AT):
            cur.execute("""INSERT INTO shantytowns(name, address, latitude, longitude, fk_city, status,
                             fk_field_type, population_total, declared_at, closed_at)
                           VALUES (%s, '', %s, %s, '93066', 'closed_by_justice', %s, 0, DATE '2020-01-01',
                                   TIMESTAMPTZ '2022-01-01')""", (f"alone {k}", lat, lon, ft))
        cur.execute("SELECT shantytown_id, longitude, latitude, status = 'open', coalesce(population_total, -1) "
                    "FROM shantytowns")
        rows = cur.fetchall()
    srv = Server(rbmap_bin, dsn, tmp_path_factory.mktemp("thin"), env={"RBMAP_DEFAULT_SCOPE": "national",
                                                                     "RBMAP_SITES_MINZOOM": "0"})
    srv.sites = {r[0]: r[1:] for r in rows}
    try:
        yield srv
    finally:
        srv.stop()


def tile_sites(srv, tmp_path, z, x, y):
    status, _, body = http_get(srv.url + f"/tiles/sites/{z}/{x}/{y}.mvt")
    assert status == 200
    assert len(body) < 500 * 1024
    return {int(f["id"]) for f in decode(tmp_path, z, x, y, body)["sites"]}, len(body)


def cells_key(cells, ids):
    return next(c for c, v in cells.items() if v is ids)


def in_tile(lon, lat, z, x, y):
    fx, fy = fraction(lon, lat, z)
    px, py = (fx - x) * EXTENT, (fy - y) * EXTENT
    return -BUFFER <= px <= EXTENT + BUFFER and -BUFFER <= py <= EXTENT + BUFFER, px, py


@pytest.mark.parametrize("z", [0, 6, 10, 13])
def test_dense_tiles_keep_the_budget_dropping_densest_first(dense_server, tmp_path, z):
    x, y = (int(v) for v in fraction(2.352, 48.931, z))
    kept, _ = tile_sites(dense_server, tmp_path, z, x, y)
    visible = {i: in_tile(lon, lat, z, x, y)[1:] for i, (lon, lat, _, _) in dense_server.sites.items()
               if in_tile(lon, lat, z, x, y)[0]}
    assert len(visible) > BUDGET
    assert len(kept) == BUDGET and kept <= set(visible)
    # Grid cells of 2 tile units, filled rank by rank: a kept site never ranks below a
    # dropped one, so thinned cells keep m or m + 1 sites and no cell keeps more than
    # m + 1.
    cells = {}
    for i, (px, py) in visible.items():
        cells.setdefault((int((px + BUFFER) // CELL), int((py + BUFFER) // CELL)), []).append(i)
    kept_per_cell = {c: sum(1 for i in ids if i in kept) for c, ids in cells.items()}
    full = [c for c, ids in cells.items() if kept_per_cell[c] == len(ids)]
    partial = [kept_per_cell[c] for c in cells if c not in full]
    assert partial, "some cell must have been thinned"
    assert max(partial) - min(partial) <= 1
    assert all(kept_per_cell[c] <= min(partial) + 1 for c in full)
    # Lone sites are never dropped.
    lone = {i for i, (lon, lat, _, _) in dense_server.sites.items() if (lon, lat) in ALONE_AT}
    assert lone & set(visible) <= kept
    # Inside every cell, the sites kept are its best by priority: open first, then the
    # most populated (unknown last), then the lowest id.
    for ids in cells.values():
        best = sorted(ids, key=lambda i: (not dense_server.sites[i][2], -dense_server.sites[i][3], i))
        assert {i for i in ids if i in kept} == set(best[:kept_per_cell[cells_key(cells, ids)]])
