"""Helpers for tile tests: tile maths, decoding with GDAL's MVT driver, SQL truth."""
import gzip
import math
import os

import psycopg2
from osgeo import gdal, ogr

ogr.UseExceptions()
EXTENT = 4096
BUFFER = 64


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def open_tile(tmp_path, z, x, y, data, folder="tiles"):
    """Opens MVT bytes (gzipped or not) with GDAL's MVT driver, from a z/x/y.pbf path."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    path = tmp_path / folder / str(z) / str(x) / f"{y}.pbf"
    os.makedirs(path.parent, exist_ok=True)
    path.write_bytes(data)
    # CLIP=NO: GDAL would otherwise drop what lies in the tile's buffer.
    return gdal.OpenEx(str(path), gdal.OF_VECTOR, open_options=["CLIP=NO"])


def decode(tmp_path, z, x, y, data):
    """Decodes MVT bytes with GDAL; returns {layer: [feature dict with geometry type]}."""
    ds = open_tile(tmp_path, z, x, y, data)
    layers = {}
    for i in range(ds.GetLayerCount()):
        layer = ds.GetLayer(i)
        feats = []
        for f in layer:
            props = f.items()
            props["_geom"] = f.GetGeometryRef().GetGeometryName() if f.GetGeometryRef() else None
            feats.append(props)
        layers[layer.GetName()] = feats
    return layers


def sql_site_ids(dsn, z, x, y, where="TRUE", params=()):
    """Site ids inside the tile plus its 64/4096 buffer, as PostGIS sees them."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(f"""SELECT s.shantytown_id FROM shantytowns s
            JOIN cities c ON c.code = s.fk_city JOIN departements d ON d.code = c.fk_departement
            JOIN field_types ft ON ft.field_type_id = s.fk_field_type
            WHERE ST_Intersects(ST_Transform(s.geom, 3857), ST_TileEnvelope(%s, %s, %s, margin => {BUFFER}.0 / {EXTENT}))
              AND ({where})""", (z, x, y, *params))
        return sorted(r[0] for r in cur.fetchall())


def insert_saint_denis(cur):
    """The territory rows a scratch database needs for sites in Saint-Denis (93066):
    région 11, département 93 (with its reference point), the commune; returns a
    field type id for the sites."""
    cur.execute("INSERT INTO regions(code, name) VALUES ('11', 'Île-de-France')")
    cur.execute("INSERT INTO departements(code, name, latitude, longitude, fk_region) "
                "VALUES ('93', 'Seine-Saint-Denis', 48.9, 2.5, '11')")
    cur.execute("INSERT INTO cities(code, name, fk_departement) VALUES ('93066', 'Saint-Denis', '93')")
    cur.execute("SELECT min(field_type_id) FROM field_types")
    return cur.fetchone()[0]
