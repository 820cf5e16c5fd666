"""The schema: migrations on an empty database and on a copy of the platform's own
database, constraints, and the change notifications the live layers rely on."""
import glob
import json
import os
import select

import psycopg2
import pytest

from conftest import ROOT, run_rbmap

MIGRATIONS = sorted(glob.glob(os.path.join(ROOT, "db", "migrations", "*.sql")))
LATEST_VERSION = int(os.path.basename(MIGRATIONS[-1]).split("_")[0])


def query(dsn, sql, params=None):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def migrate(rbmap_bin, dsn):
    result = run_rbmap(rbmap_bin, "migrate", "--db", dsn)
    assert result.returncode == 0, result.stderr
    return result


def columns(dsn, table):
    return {r[0] for r in query(dsn, "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,))}


@pytest.fixture
def migrated_db(rbmap_bin, scratch_db):
    migrate(rbmap_bin, scratch_db)
    return scratch_db


def seed_territory(dsn):
    query(dsn, """
        INSERT INTO regions(code, name, latitude, longitude) VALUES ('11', 'Île-de-France', 48.7, 2.5);
        INSERT INTO departements(code, name, latitude, longitude, fk_region) VALUES ('93', 'Seine-Saint-Denis', 48.91, 2.48, '11');
        INSERT INTO cities(code, name, fk_departement, latitude, longitude) VALUES ('93066', 'Saint-Denis', '93', 48.936, 2.357);
        INSERT INTO cities(code, name, fk_departement, latitude, longitude) VALUES ('93048', 'Montreuil', '93', 48.86, 2.44);
    """)


def insert_site(dsn, lat, lon, city="93066", status="open", closed_at=None):
    return query(dsn, """INSERT INTO shantytowns(name, address, latitude, longitude, fk_city, status, closed_at, fk_field_type)
                         VALUES ('t', 'a', %s, %s, %s, %s, %s, (SELECT min(field_type_id) FROM field_types))
                         RETURNING shantytown_id""", (lat, lon, city, status, closed_at))[0][0]


def test_migrate_creates_the_platform_tables_and_is_idempotent(rbmap_bin, scratch_db):
    first = migrate(rbmap_bin, scratch_db)
    assert f"{len(MIGRATIONS)} migration(s) applied" in first.stderr
    second = migrate(rbmap_bin, scratch_db)
    assert "0 migration(s) applied" in second.stderr
    for table in ["regions", "departements", "epci", "epci_to_departement", "cities", "field_types",
                  "shantytowns", "ShantytownHistories", "actions", "action_addresses", "action_shantytowns",
                  "topics", "action_topics"]:
        assert columns(scratch_db, table), f"table {table} missing"
    site = columns(scratch_db, "shantytowns")
    for col in ["owner_complaint", "justice_procedure", "justice_rendered", "police_status", "police_requested_at",
                "police_granted_at", "bailiff", "population_total", "water_access_type", "closed_with_solutions",
                "fk_field_type", "geom"]:
        assert col in site, col
    assert "fk_main" in columns(scratch_db, "cities")
    assert query(scratch_db, "SELECT max(version) FROM rbmap_schema_migrations")[0][0] == LATEST_VERSION
    colors = dict(query(scratch_db, "SELECT label, color FROM field_types"))
    assert set(colors) >= {"Inconnu", "Terrain", "Immeuble bâti"}
    assert all(len(c) == 6 for c in colors.values())
    gist = {r[0] for r in query(scratch_db, "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%USING gist%'")}
    assert {"shantytowns_geom_gist", "action_addresses_geom_gist", "cities_geom_gist"} <= gist


def test_geometry_follows_latitude_longitude(migrated_db):
    seed_territory(migrated_db)
    site = insert_site(migrated_db, 48.9351, 2.3571)
    assert query(migrated_db, "SELECT ST_X(geom), ST_Y(geom), ST_SRID(geom) FROM shantytowns WHERE shantytown_id=%s",
                 (site,))[0] == (2.3571, 48.9351, 4326)
    query(migrated_db, "UPDATE shantytowns SET latitude = 48.95 WHERE shantytown_id = %s", (site,))
    assert query(migrated_db, "SELECT ST_Y(geom) FROM shantytowns WHERE shantytown_id=%s", (site,))[0][0] == 48.95


def test_status_constraints_of_the_platform_hold(migrated_db):
    seed_territory(migrated_db)
    with pytest.raises(psycopg2.errors.CheckViolation):
        insert_site(migrated_db, 48.9, 2.3, status="open", closed_at="2023-01-01")
    with pytest.raises(psycopg2.errors.CheckViolation):
        insert_site(migrated_db, 48.9, 2.3, status="closed_by_justice", closed_at=None)
    with pytest.raises(psycopg2.errors.CheckViolation):
        insert_site(migrated_db, 48.9, 2.3, status="demolished", closed_at="2023-01-01")
    with pytest.raises(psycopg2.errors.CheckViolation):
        query(migrated_db, "INSERT INTO cities(code, name, fk_departement, fk_main) VALUES ('93066', 'x', '93', '93066')"
              " ON CONFLICT (code) DO UPDATE SET fk_main = '93066'")


def test_platform_database_with_only_latitude_longitude_is_upgraded(rbmap_bin, scratch_db):
    with open(os.path.join(ROOT, "tests", "fixtures", "platform_schema.sql")) as f:
        query(scratch_db, f.read())
    before = query(scratch_db, "SELECT shantytown_id, name, latitude, longitude FROM shantytowns ORDER BY 1")
    migrate(rbmap_bin, scratch_db)
    after = query(scratch_db, "SELECT shantytown_id, name, latitude, longitude, ST_X(geom), ST_Y(geom) FROM shantytowns ORDER BY 1")
    assert [r[:4] for r in after] == before, "the platform's rows must be untouched"
    assert all(r[4] == r[3] and r[5] == r[2] for r in after)
    assert query(scratch_db, "SELECT ST_X(geom) FROM action_addresses")[0][0] == 2.36
    # The platform's ENUM columns stay as they were, and rbmap's triggers are installed.
    assert query(scratch_db, "SELECT udt_name FROM information_schema.columns WHERE table_name='actions'"
                             " AND column_name='location_type'")[0][0] == "enum_actions_location_type"
    triggers = {r[0] for r in query(scratch_db, "SELECT tgname FROM pg_trigger WHERE tgrelid = 'shantytowns'::regclass")}
    assert {"rbmap_notify_insert", "rbmap_notify_update", "rbmap_notify_delete"} <= triggers
    # New rows written the platform's way (lat/lon only) get their geometry too.
    query(scratch_db, "INSERT INTO shantytowns(address, latitude, longitude, fk_city, fk_field_type) "
                      "VALUES ('x', 48.0, 2.0, '93066', 1)")
    assert query(scratch_db, "SELECT count(*) FROM shantytowns WHERE geom IS NULL")[0][0] == 0
    assert "0 migration(s) applied" in migrate(rbmap_bin, scratch_db).stderr


class Listener:
    def __init__(self, dsn):
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True
        self.conn.cursor().execute("LISTEN rbmap_changes")

    def drain(self, timeout=2.0):
        out = []
        while select.select([self.conn], [], [], timeout) != ([], [], []):
            self.conn.poll()
            while self.conn.notifies:
                out.append(json.loads(self.conn.notifies.pop(0).payload))
            timeout = 0.2
        return out


def test_every_site_and_action_change_is_notified_with_its_area(migrated_db):
    seed_territory(migrated_db)
    listener = Listener(migrated_db)
    site = insert_site(migrated_db, 48.93, 2.35)
    [ins] = listener.drain()
    assert ins == {"kind": "site", "op": "INSERT", "id": site, "bbox": [2.35, 48.93, 2.35, 48.93]}
    query(migrated_db, "UPDATE shantytowns SET latitude = 48.86, longitude = 2.44, fk_city = '93048' WHERE shantytown_id = %s", (site,))
    [upd] = listener.drain()
    assert upd["op"] == "UPDATE" and upd["id"] == site
    assert upd["bbox"] == [2.35, 48.86, 2.44, 48.93], "the area covers the old and the new position"
    query(migrated_db, "DELETE FROM shantytowns WHERE shantytown_id = %s", (site,))
    [dele] = listener.drain()
    assert dele["op"] == "DELETE" and dele["bbox"] == [2.44, 48.86, 2.44, 48.86]
    action = query(migrated_db, "INSERT INTO actions(name, started_at, fk_departement, location_type) "
                                "VALUES ('a', '2022-01-01', '93', 'eti') RETURNING action_id")[0][0]
    query(migrated_db, "INSERT INTO action_addresses(fk_action, fk_city, address, latitude, longitude) "
                       "VALUES (%s, '93066', 'x', 48.9, 2.3)", (action,))
    got = listener.drain()
    assert {"kind": "action", "op": "INSERT", "id": action, "bbox": None} in got
    assert {"kind": "action", "op": "INSERT", "id": action, "bbox": [2.3, 48.9, 2.3, 48.9]} in got


def test_bulk_changes_send_one_notification(migrated_db):
    seed_territory(migrated_db)
    listener = Listener(migrated_db)
    query(migrated_db, """INSERT INTO shantytowns(address, latitude, longitude, fk_city, fk_field_type)
                          SELECT 'x', 48.8 + i * 0.0001, 2.3, '93066', 1 FROM generate_series(1, 5000) i""")
    got = listener.drain()
    assert len(got) == 1
    assert got[0]["bulk"] is True and got[0]["count"] == 5000 and got[0]["op"] == "INSERT"
    assert got[0]["bbox"][1] == pytest.approx(48.8001) and got[0]["bbox"][3] == pytest.approx(49.3)
    query(migrated_db, "TRUNCATE shantytowns CASCADE")
    assert any(n["op"] == "TRUNCATE" and n["bulk"] for n in listener.drain())
