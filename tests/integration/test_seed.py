"""`rbmap seed`: MBTiles 1.3 files judged by sqlite3 and GDAL's MBTiles driver. Truths:
PostGIS for which sites a tile holds, the server for the bytes of a tile (same
renderer, so a seeded tile gunzips to exactly what /tiles/... sends), the tile grid for
which tiles a range has (TMS rows flipped in the file)."""
import gzip
import json
import os
import sqlite3

import psycopg2
import pytest
from osgeo import gdal

from conftest import SANITIZER_REPORT, http_get, run_rbmap
from tiles_util import decode, open_tile, sql_site_ids, tile_of

gdal.UseExceptions()

IDF = (1.44, 48.12, 3.56, 49.24)          # Île-de-France
BRITTANY = (-5.2, 47.2, -1.0, 48.95)      # few sites: many empty tiles
SAINT_DENIS = (2.362783578528827, 48.938185000000004)  # commune 93066
ALL_LAYERS = "sites,actions,boundaries"


def bbox_arg(b):
    return ",".join(str(v) for v in b)


def seed(rbmap_bin, dsn, out, *args):
    r = run_rbmap(rbmap_bin, "seed", "--db", dsn, "--output", str(out), *args)
    assert not SANITIZER_REPORT.search(r.stderr), r.stderr[-5000:]
    return r


def seed_ok(rbmap_bin, dsn, out, *args):
    r = seed(rbmap_bin, dsn, out, *args)
    assert r.returncode == 0, r.stderr
    assert out.exists() and not os.path.exists(str(out) + ".tmp")
    return r


def tile_range(b, z):
    (x0, y0), (x1, y1) = tile_of(b[0], b[3], z), tile_of(b[2], b[1], z)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def metadata(path):
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT name, value FROM metadata"))


def stored_tiles(path):
    """{(z, x, y) in XYZ: gunzipped MVT}; checks that every tile is gzipped."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles").fetchall()
    out = {}
    for z, x, row, data in rows:
        assert data[:2] == b"\x1f\x8b", f"tile {z}/{x}/{row} is not gzipped"
        out[(z, x, (1 << z) - 1 - row)] = gzip.decompress(data)
    return out


@pytest.fixture(scope="module")
def idf(rbmap_bin, demo_dsn, tmp_path_factory):
    """z0-z8 over Île-de-France, every layer, national scope (the default)."""
    out = tmp_path_factory.mktemp("seed") / "idf.mbtiles"
    r = seed_ok(rbmap_bin, demo_dsn, out, "--bbox", bbox_arg(IDF), "--minzoom", "0", "--maxzoom", "8",
                "--threads", "2")
    assert "tiles written" in r.stderr
    return out


def test_schema_and_metadata_follow_mbtiles_1_3(idf):
    with sqlite3.connect(idf) as db:
        cols = {t: [c[1] for c in db.execute(f"PRAGMA table_info({t})")] for t in ("metadata", "tiles")}
        indexes = db.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tiles'").fetchall()
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x4D504258
    assert cols == {"metadata": ["name", "value"], "tiles": ["zoom_level", "tile_column", "tile_row", "tile_data"]}
    assert any("UNIQUE" in sql and "zoom_level, tile_column, tile_row" in sql for (sql,) in indexes)
    m = metadata(idf)
    assert m["format"] == "pbf" and m["minzoom"] == "0" and m["maxzoom"] == "8"
    assert [float(v) for v in m["bounds"].split(",")] == list(IDF)
    lon, lat, zoom = m["center"].split(",")
    assert IDF[0] < float(lon) < IDF[2] and IDF[1] < float(lat) < IDF[3] and 0 <= int(zoom) <= 8
    assert m["name"] and m["attribution"] and "national" in m["description"]
    assert m["rbmap:scope"] == "national"
    layers = json.loads(m["json"])["vector_layers"]
    assert [l["id"] for l in layers] == ["sites", "actions", "boundaries"]
    sites = layers[0]
    assert sites["fields"]["id"] == "Number" and sites["fields"]["status"] == "String"
    assert "police_status" not in sites["fields"]  # no justice flag: no justice fields
    assert all(l["minzoom"] == 0 and l["maxzoom"] == 8 for l in layers)


def test_every_tile_of_the_range_is_there_at_its_flipped_row(idf, demo_dsn, tmp_path):
    tiles = stored_tiles(idf)
    # Île-de-France is all land: every tile has boundaries, none is empty.
    expected = {t for z in range(9) for t in tile_range(IDF, z)}
    assert set(tiles) == expected
    x, y = tile_of(*SAINT_DENIS, 8)
    with sqlite3.connect(idf) as db:
        flipped = db.execute("SELECT count(*) FROM tiles WHERE zoom_level = 8 AND tile_column = ? AND tile_row = ?",
                             (x, 255 - y)).fetchone()[0]
        unflipped = db.execute("SELECT count(*) FROM tiles WHERE zoom_level = 8 AND tile_column = ? AND tile_row = ?",
                               (x, y)).fetchone()[0]
    assert (flipped, unflipped) == (1, 0)
    decoded = decode(tmp_path, 8, x, y, tiles[(8, x, y)])
    ids = sorted(int(f["id"]) for f in decoded["sites"])
    assert ids and ids == sql_site_ids(demo_dsn, 8, x, y)
    assert {f["level"] for f in decoded["boundaries"]} >= {"region", "departement", "epci"}


def test_gdal_reads_the_file_with_the_sql_sites(idf, demo_dsn):
    ds = gdal.OpenEx(str(idf), gdal.OF_VECTOR)
    assert ds.GetDriver().ShortName == "MBTiles"
    names = {ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())}
    assert names == {"sites", "actions", "boundaries"}
    ids = {int(f["id"]) for f in ds.GetLayerByName("sites")}  # read at maxzoom 8
    with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT shantytown_id FROM shantytowns WHERE longitude BETWEEN %s AND %s"
                    " AND latitude BETWEEN %s AND %s", (IDF[0], IDF[2], IDF[1], IDF[3]))
        inside = {r[0] for r in cur.fetchall()}
    assert len(inside) > 1000 and inside <= ids


def test_empty_tiles_are_left_out(rbmap_bin, demo_dsn, tmp_path):
    out = tmp_path / "brittany.mbtiles"
    seed_ok(rbmap_bin, demo_dsn, out, "--layers", "sites", "--bbox", bbox_arg(BRITTANY), "--maxzoom", "9")
    tiles = stored_tiles(out)
    expected = {}
    for z in range(10):
        for t in tile_range(BRITTANY, z):
            ids = sql_site_ids(demo_dsn, *t)
            if ids:
                expected[t] = ids
    assert 0 < len(expected) < sum(len(tile_range(BRITTANY, z)) for z in range(10))
    assert set(tiles) == set(expected)
    for (z, x, y), data in tiles.items():
        decoded = decode(tmp_path, z, x, y, data)
        assert set(decoded) == {"sites"}
        assert sorted(int(f["id"]) for f in decoded["sites"]) == expected[(z, x, y)]


def test_status_filter_keeps_only_open_sites(rbmap_bin, demo_dsn, tmp_path):
    out = tmp_path / "open.mbtiles"
    x, y = tile_of(*SAINT_DENIS, 8)
    seed_ok(rbmap_bin, demo_dsn, out, "--layers", "sites", "--status=open", "--bbox", bbox_arg(IDF),
            "--minzoom", "8", "--maxzoom", "8")
    assert metadata(out)["rbmap:filters"] == "status=open"
    decoded = decode(tmp_path, 8, x, y, stored_tiles(out)[(8, x, y)])
    assert {f["status"] for f in decoded["sites"]} == {"open"}
    ids = sorted(int(f["id"]) for f in decoded["sites"])
    assert ids == sql_site_ids(demo_dsn, 8, x, y, "s.status = 'open'")
    assert len(ids) < len(sql_site_ids(demo_dsn, 8, x, y))


def test_justice_flag_adds_the_justice_fields(idf, rbmap_bin, demo_dsn, tmp_path):
    out = tmp_path / "justice.mbtiles"
    x, y = tile_of(*SAINT_DENIS, 8)
    seed_ok(rbmap_bin, demo_dsn, out, "--layers", "sites", "--flags", "justice", "--bbox", bbox_arg(IDF),
            "--minzoom", "8", "--maxzoom", "8")
    m = metadata(out)
    assert m["rbmap:scope"] == "national+justice"
    assert "police_status" in json.loads(m["json"])["vector_layers"][0]["fields"]
    with_flag = decode(tmp_path / "j", 8, x, y, stored_tiles(out)[(8, x, y)])["sites"]
    without = decode(tmp_path / "n", 8, x, y, stored_tiles(idf)[(8, x, y)])["sites"]
    assert any(f.get("owner_complaint") is not None for f in with_flag)
    assert all("owner_complaint" not in f and "police_status" not in f for f in without)


def features(tmp_path, z, x, y, data):
    """{layer: sorted [(properties, WKT)]}: a tile's content without feature ids or order."""
    ds = open_tile(tmp_path, z, x, y, data, folder="cmp")
    out = {}
    for i in range(ds.GetLayerCount()):
        layer = ds.GetLayer(i)
        rows = []
        for f in layer:
            props = f.items()
            props.pop("mvt_id", None)  # GDAL shows the feature id as a field
            rows.append((json.dumps(props, sort_keys=True), f.GetGeometryRef().ExportToWkt()))
        out[layer.GetName()] = sorted(rows)
    return out


def test_public_scope_holds_boundaries_only(rbmap_bin, demo_dsn, tmp_path, server):
    out = tmp_path / "public.mbtiles"
    seed_ok(rbmap_bin, demo_dsn, out, "--scope", "public", "--bbox", bbox_arg(IDF), "--maxzoom", "6")
    m = metadata(out)
    assert [l["id"] for l in json.loads(m["json"])["vector_layers"]] == ["boundaries"]
    assert m["rbmap:scope"] == "public"
    tiles = stored_tiles(out)
    assert len(tiles) == sum(len(tile_range(IDF, z)) for z in range(7))
    server.wait_boundaries()
    for (z, x, y), data in tiles.items():
        seeded = features(tmp_path, z, x, y, data)
        assert set(seeded) == {"boundaries"} and seeded["boundaries"]
        # The default server scope is public: what an anonymous user gets.
        status, _, body = http_get(server.url + f"/tiles/{ALL_LAYERS}/{z}/{x}/{y}.mvt")
        assert status == 200 and features(tmp_path, z, x, y, body) == seeded, f"{z}/{x}/{y}"
    r = seed(rbmap_bin, demo_dsn, tmp_path / "p2.mbtiles", "--scope", "public", "--layers", "sites")
    assert r.returncode != 0 and "--scope" in r.stderr


@pytest.fixture
def national(demo_dsn, start_server):
    return start_server(demo_dsn, env={"RBMAP_DEFAULT_SCOPE": "national"}).wait_boundaries()


def server_picks():
    return [(0, 0, 0), (3, 4, 2), (5, 16, 11), (7, *tile_of(*SAINT_DENIS, 7)), (8, *tile_of(*SAINT_DENIS, 8))]


def test_seeded_points_are_the_server_tiles_byte_for_byte(rbmap_bin, demo_dsn, tmp_path, national):
    out = tmp_path / "points.mbtiles"
    seed_ok(rbmap_bin, demo_dsn, out, "--layers", "sites,actions", "--bbox", bbox_arg(IDF), "--maxzoom", "8")
    tiles = stored_tiles(out)
    for z, x, y in server_picks():
        status, _, body = http_get(national.url + f"/tiles/sites,actions/{z}/{x}/{y}.mvt")
        assert status == 200 and tiles[(z, x, y)] == body, f"{z}/{x}/{y} differs from the server's"
    # Gzipped as the server gzips: the stored bytes are its gzip response.
    z, x, y = server_picks()[-1]
    with sqlite3.connect(out) as db:
        stored = db.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                            (z, x, (1 << z) - 1 - y)).fetchone()[0]
    status, _, body = http_get(national.url + f"/tiles/sites,actions/{z}/{x}/{y}.mvt", {"Accept-Encoding": "gzip"})
    assert status == 200 and body == stored
    # A filtered seed matches the server's filtered tiles.
    out = tmp_path / "open.mbtiles"
    seed_ok(rbmap_bin, demo_dsn, out, "--layers", "sites", "--status", "open", "--bbox", bbox_arg(IDF),
            "--minzoom", "8", "--maxzoom", "8")
    status, _, body = http_get(national.url + f"/tiles/sites/8/{x}/{y}.mvt?status=open")
    assert status == 200 and stored_tiles(out)[(8, x, y)] == body


def test_seeded_tiles_hold_what_the_server_sends(idf, tmp_path, national):
    tiles = stored_tiles(idf)
    for z, x, y in server_picks():
        status, _, body = http_get(national.url + f"/tiles/{ALL_LAYERS}/{z}/{x}/{y}.mvt")
        assert status == 200
        assert features(tmp_path, z, x, y, tiles[(z, x, y)]) == features(tmp_path, z, x, y, body), f"{z}/{x}/{y}"
    # The vector_layers are the TileJSON's (one layer catalog).
    status, _, body = http_get(national.url + f"/tiles/{ALL_LAYERS}.json")
    served = {l["id"]: l["fields"] for l in json.loads(body)["vector_layers"]}
    seeded = {l["id"]: l["fields"] for l in json.loads(metadata(idf)["json"])["vector_layers"]}
    assert seeded == served


def test_seeded_boundaries_are_the_server_tiles_byte_for_byte(idf, national):
    tiles = stored_tiles(idf)
    for z, x, y in server_picks():
        status, _, body = http_get(national.url + f"/tiles/{ALL_LAYERS}/{z}/{x}/{y}.mvt")
        assert status == 200 and tiles[(z, x, y)] == body, f"{z}/{x}/{y} differs from the server's"


def test_two_seeds_give_the_same_tiles(idf, rbmap_bin, demo_dsn, tmp_path):
    out = tmp_path / "again.mbtiles"
    seed_ok(rbmap_bin, demo_dsn, out, "--bbox", bbox_arg(IDF), "--maxzoom", "5", "--threads", "1")
    again = stored_tiles(out)
    first = {t: d for t, d in stored_tiles(idf).items() if t[0] <= 5}
    assert again == first


def test_refuses_to_overwrite_without_force(rbmap_bin, demo_dsn, tmp_path):
    out = tmp_path / "exists.mbtiles"
    out.write_bytes(b"keep me")
    args = ("--layers", "sites", "--bbox", bbox_arg(IDF), "--minzoom", "8", "--maxzoom", "8")
    r = seed(rbmap_bin, demo_dsn, out, *args)
    assert r.returncode != 0 and "--force" in r.stderr
    assert out.read_bytes() == b"keep me"
    # A stale temporary file from a killed run is no obstacle and does not survive.
    tmp = tmp_path / "exists.mbtiles.tmp"
    tmp.write_bytes(b"half a file")
    seed_ok(rbmap_bin, demo_dsn, out, *args, "--force")
    assert not tmp.exists()
    assert len(stored_tiles(out)) == len(tile_range(IDF, 8))


def test_a_failed_seed_leaves_nothing(rbmap_bin, tmp_path):
    out = tmp_path / "fail.mbtiles"
    r = run_rbmap(rbmap_bin, "seed", "--db", "host=127.0.0.1 port=1 dbname=nope connect_timeout=2",
                  "--output", str(out), "--maxzoom", "2")
    assert r.returncode == 1 and "rbmap seed:" in r.stderr
    assert not out.exists() and not os.path.exists(str(out) + ".tmp")


@pytest.mark.parametrize("args,flag", [
    (["--bbox", "1,2,3"], "--bbox"),
    (["--bbox", "3.5,48,1.4,49"], "--bbox"),          # west > east
    (["--bbox", "2,49,3,48"], "--bbox"),              # south > north
    (["--bbox", "a,b,c,d"], "--bbox"),
    (["--bbox", "-200,40,3,49"], "--bbox"),
    (["--minzoom", "-1"], "--minzoom"),
    (["--maxzoom", "23"], "--maxzoom"),
    (["--maxzoom", "ten"], "--maxzoom"),
    (["--minzoom", "9", "--maxzoom", "3"], "--minzoom"),
    (["--maxzoom", "16"], "--maxzoom"),               # France at z16: over 5 million tiles
    (["--layers", "sites,roads"], "--layers"),
    (["--status", "gone"], "--status"),
    (["--territory", "planet:1"], "--territory"),
    (["--date", "2021-13-45"], "--date"),
    (["--field-type", "Nonexistent"], "--field-type"),
    (["--scope", "secret"], "--scope"),
    (["--threads", "0"], "--threads"),
])
def test_bad_arguments_name_the_flag(rbmap_bin, demo_dsn, tmp_path, args, flag):
    out = tmp_path / "bad.mbtiles"
    r = seed(rbmap_bin, demo_dsn, out, *args)
    assert r.returncode == 2, r.stderr
    assert flag in r.stderr
    assert not out.exists() and not os.path.exists(str(out) + ".tmp")


def test_help_says_what_a_seeded_file_contains(rbmap_bin):
    r = run_rbmap(rbmap_bin, "seed", "--help")
    assert r.returncode == 0
    assert "--output" in r.stdout and "contains everything its scope can see" in r.stdout
