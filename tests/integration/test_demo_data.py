"""`rbmap demo-data` against a real PostGIS: counts and open/closed ratio, points inside
their communes, concentration where shantytowns are, the schema's CHECK semantics, date
ranges, sensitive fields, actions of every location type, determinism, idempotence,
--replace, and argument errors.

Territories are imported once per module into a template database (that takes a while
under ASan); every other database is a copy of it (CREATE DATABASE ... TEMPLATE)."""
import hashlib
import json
import select
import time
import uuid

import psycopg2
import pytest

from conftest import SANITIZER_REPORT, dsn_with_db, run_checked, run_rbmap, sql_query, sql_scalar

# The history ends the day before; fixed so that two runs compare on any day.
UNTIL = "2025-06-15"
LISTED_DEPARTEMENTS = ("93", "94", "91", "95", "92", "77", "78", "75", "59", "13", "69", "31", "33",
                       "44", "34", "06", "38", "67", "973", "976", "971", "972", "974")
DEMO_TABLES = ("shantytowns", '"ShantytownHistories"', "shantytown_origins", "shantytown_parcel_owners",
               "shantytown_closing_solutions", "actions", "action_topics", "action_addresses",
               "action_shantytowns", "action_operators", "action_finances", "users", "organizations")


query, scalar = sql_query, sql_scalar


class Databases:
    """Creates databases on the test cluster and drops them all at the end."""

    def __init__(self, demo_dsn):
        self.demo_dsn = demo_dsn
        self.admin = psycopg2.connect(dsn_with_db(demo_dsn, "postgres"))
        self.admin.autocommit = True
        self.names = []

    def create(self, template=None):
        name = "rbmap_test_demo_" + uuid.uuid4().hex[:10]
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        for attempt in range(20):
            try:
                self.admin.cursor().execute(sql)
                break
            except psycopg2.errors.ObjectInUse:
                # A template must have no session; the previous user may still be leaving.
                time.sleep(0.5)
        else:
            raise AssertionError(f"could not create {name} from {template}")
        self.names.append(name)
        return name, dsn_with_db(self.demo_dsn, name)

    def drop_all(self):
        for name in self.names:
            try:
                self.admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except psycopg2.OperationalError:
                # The connection died (a cluster restart): reconnect, keep dropping.
                self.admin = psycopg2.connect(dsn_with_db(self.demo_dsn, "postgres"))
                self.admin.autocommit = True
                self.admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()


@pytest.fixture(scope="module")
def databases(demo_dsn):
    dbs = Databases(demo_dsn)
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="module")
def territories_template(databases, rbmap_bin, shared_data):
    """Schema and territories, no demo data: the template of every other database."""
    name, dsn = databases.create()
    run_checked(rbmap_bin, "migrate", "--db", dsn)
    run_checked(rbmap_bin, "import-territories", "--db", dsn, "--data", shared_data)
    assert scalar(dsn, "SELECT count(*) FROM cities WHERE geom IS NOT NULL") > 30000
    return name


@pytest.fixture(scope="module")
def clone(databases, territories_template):
    def make():
        return databases.create(template=territories_template)[1]
    return make


@pytest.fixture(scope="module")
def default_db(clone, rbmap_bin):
    """The default load: about 600 open and 3,000 closed sites."""
    dsn = clone()
    result = run_checked(rbmap_bin, "demo-data", "--db", dsn, "--until", UNTIL)
    assert "loaded" in result.stdout
    return dsn


@pytest.fixture(scope="module")
def small_db(clone, rbmap_bin):
    dsn = clone()
    run_checked(rbmap_bin, "demo-data", "--db", dsn, "--sites", "500", "--seed", "7", "--until", UNTIL)
    return dsn


def site_dump_md5(dsn):
    """md5 of every generated row of the main tables, in id order (geometry included)."""
    digest = hashlib.md5()
    for table, key in (("shantytowns", "shantytown_id"), ('"ShantytownHistories"', "hid"),
                       ("actions", "action_id"), ("action_addresses", "action_address_id"),
                       ("action_shantytowns", "fk_action, fk_shantytown"), ("users", "user_id"),
                       ("action_finances", "action_finance_id")):
        for (row,) in query(dsn, f"SELECT t::text FROM {table} t ORDER BY {key}"):
            digest.update(row.encode())
            digest.update(b"\n")
    return digest.hexdigest()


# ---- the default load ---------------------------------------------------------------

def test_default_counts_and_ratio(default_db):
    total, opened, closed = query(default_db, "SELECT count(*), count(*) FILTER (WHERE status = 'open'),"
                                              " count(*) FILTER (WHERE status <> 'open') FROM shantytowns")[0]
    assert total == 3600
    assert 500 <= opened <= 700, opened
    assert 2900 <= closed <= 3100, closed
    statuses = {s for (s,) in query(default_db, "SELECT DISTINCT status FROM shantytowns")}
    assert statuses == {"open", "closed_by_justice", "closed_by_pref_admin", "closed_by_city_admin",
                        "resorbed", "other", "unknown"}
    actions = scalar(default_db, "SELECT count(*) FROM actions")
    assert 200 <= actions <= 600, actions
    assert scalar(default_db, 'SELECT count(*) FROM "ShantytownHistories"') > 1000
    assert scalar(default_db, "SELECT count(*) FROM organizations") >= 5
    assert scalar(default_db, "SELECT count(*) FROM users") >= 20


def test_sites_lie_in_their_commune(default_db):
    inside, outside, without_polygon = query(default_db, """
        SELECT count(*) FILTER (WHERE ST_Contains(c.geom, s.geom)),
               count(*) FILTER (WHERE c.geom IS NOT NULL AND NOT ST_Contains(c.geom, s.geom)),
               count(*) FILTER (WHERE c.geom IS NULL)
        FROM shantytowns s JOIN cities c ON c.code = s.fk_city""")[0]
    assert outside == 0
    assert inside >= 3500
    # Communes without a polygon: their own point, jittered by a few hundred metres.
    far = scalar(default_db, """
        SELECT count(*) FROM shantytowns s JOIN cities c ON c.code = s.fk_city
        JOIN departements d ON d.code = c.fk_departement
        WHERE c.geom IS NULL AND NOT ST_DWithin(d.geom, s.geom, 0.02)""")
    assert far == 0, (far, without_polygon)
    # Arrondissements are not used: their commune has the polygon.
    assert scalar(default_db, "SELECT count(*) FROM shantytowns s JOIN cities c ON c.code = s.fk_city"
                              " WHERE c.fk_main IS NOT NULL") == 0


def test_sites_concentrate_where_shantytowns_are(default_db):
    rows = query(default_db, """
        SELECT c.fk_departement, count(*) FILTER (WHERE s.status = 'open'), count(*)
        FROM shantytowns s JOIN cities c ON c.code = s.fk_city GROUP BY 1""")
    open_by_dep = {d: o for d, o, _ in rows}
    all_by_dep = {d: n for d, _, n in rows}
    total_open = sum(open_by_dep.values())
    listed_open = sum(n for d, n in open_by_dep.items() if d in LISTED_DEPARTEMENTS)
    assert listed_open > 0.4 * total_open, (listed_open, total_open)
    assert max(all_by_dep, key=all_by_dep.get) == "93"
    assert "93" in sorted(open_by_dep, key=open_by_dep.get, reverse=True)[:3]
    for overseas in ("973", "976"):
        assert all_by_dep.get(overseas, 0) > 20, overseas
    # Within a département, populous communes first: Marseille leads the Bouches-du-Rhône.
    top13 = query(default_db, """SELECT s.fk_city FROM shantytowns s JOIN cities c ON c.code = s.fk_city
                                 WHERE c.fk_departement = '13' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1""")
    assert top13[0][0] == "13055"


def test_check_semantics_and_consistency(default_db):
    bad = query(default_db, """
        SELECT count(*) FILTER (WHERE (status = 'open') <> (closed_at IS NULL)),
               count(*) FILTER (WHERE closed_at <= built_at),
               count(*) FILTER (WHERE built_at > declared_at),
               count(*) FILTER (WHERE (status = 'open') <> (closed_with_solutions IS NULL)),
               count(*) FILTER (WHERE status = 'resorbed' AND closed_with_solutions <> 'yes'),
               count(*) FILTER (WHERE char_length(name) > 35),
               count(*) FILTER (WHERE population_minors > population_total
                                   OR population_couples > population_total),
               count(*) FILTER (WHERE population_minors_0_3 + population_minors_3_6 + population_minors_6_12
                                      + population_minors_12_16 + population_minors_16_18 <> population_minors),
               count(*) FILTER (WHERE updated_at < created_at),
               count(*) FILTER (WHERE living_conditions_version <> 2)
        FROM shantytowns""")[0]
    assert bad == (0,) * 10, bad
    # Addresses are street labels ending with the commune's name.
    mismatched = scalar(default_db, "SELECT count(*) FROM shantytowns s JOIN cities c ON c.code = s.fk_city"
                                    " WHERE right(s.address, length(c.name) + 1) <> ' ' || c.name"
                                    " OR s.address !~ '^([0-9]+ )?[A-ZÉ][a-zé]+ .* [0-9]{5} '")
    assert mismatched == 0
    named = scalar(default_db, "SELECT count(*) FROM shantytowns WHERE name IS NOT NULL")
    assert 0.5 * 3600 < named < 0.9 * 3600


def test_dates_in_range(default_db):
    out_of_range = query(default_db, """
        SELECT count(*) FILTER (WHERE built_at < DATE '2018-01-01' OR built_at >= DATE %(u)s),
               count(*) FILTER (WHERE declared_at < DATE '2018-01-01' OR declared_at >= DATE %(u)s),
               count(*) FILTER (WHERE closed_at < TIMESTAMPTZ '2018-01-01 00:00+00'
                                   OR closed_at >= (DATE %(u)s)::timestamp AT TIME ZONE 'UTC'),
               count(*) FILTER (WHERE GREATEST(created_at, updated_at, population_updated_at)
                                   >= (DATE %(u)s)::timestamp AT TIME ZONE 'UTC'),
               count(*) FILTER (WHERE GREATEST(justice_rendered_at, police_requested_at, police_granted_at,
                                               census_conducted_at, insalubrity_order_at) >= DATE %(u)s)
        FROM shantytowns""", {"u": UNTIL})[0]
    assert out_of_range == (0, 0, 0, 0, 0), out_of_range
    assert scalar(default_db, "SELECT count(*) FROM actions WHERE started_at < DATE '2018-01-01'"
                              " OR started_at >= DATE %s", (UNTIL,)) == 0
    # Procedures happen between the declaration and the closing, in order.
    out_of_order = scalar(default_db, """
        SELECT count(*) FROM shantytowns WHERE
            justice_rendered_at < declared_at OR justice_rendered_at >= closed_at::date
            OR police_requested_at < justice_rendered_at OR police_granted_at < police_requested_at
            OR police_granted_at >= closed_at::date OR administrative_order_decision_at < declared_at
            OR administrative_order_decision_at >= closed_at::date
            OR (police_status = 'granted') <> (police_granted_at IS NOT NULL)""")
    assert out_of_order == 0
    # Open sites are spread over the years, more of them recent.
    recent = scalar(default_db, "SELECT count(*) FROM shantytowns WHERE status = 'open'"
                                " AND declared_at >= DATE %s - 730", (UNTIL,))
    old = scalar(default_db, "SELECT count(*) FROM shantytowns WHERE status = 'open'"
                             " AND declared_at < DATE %s - 1460", (UNTIL,))
    assert recent > old > 0


def test_sensitive_fields_for_a_fraction(default_db):
    n = 3600
    complaint, rendered, granted, orders, insalubrity = query(default_db, """
        SELECT count(*) FILTER (WHERE owner_complaint), count(*) FILTER (WHERE justice_rendered),
               count(*) FILTER (WHERE police_status = 'granted'),
               count(*) FILTER (WHERE administrative_order_decision_at IS NOT NULL),
               count(*) FILTER (WHERE insalubrity_order) FROM shantytowns""")[0]
    assert 0.15 * n < complaint < 0.7 * n
    assert 0.05 * n < rendered < complaint
    assert 0 < granted < rendered
    assert 0.05 * n < orders < 0.5 * n
    assert 0 < insalubrity < 0.2 * n
    # Sites closed by justice mostly had a decision and the police.
    share = scalar(default_db, "SELECT avg((justice_rendered IS TRUE)::int) FROM shantytowns"
                               " WHERE status = 'closed_by_justice'")
    assert share > 0.7
    assert scalar(default_db, "SELECT count(*) FROM shantytown_parcel_owners") > 0.3 * n
    assert scalar(default_db, "SELECT count(*) FROM action_finances") > 100


def test_children_and_history(default_db):
    assert scalar(default_db, "SELECT count(DISTINCT fk_shantytown) FROM shantytown_origins") > 0.6 * 3600
    # Closing solutions only for closed sites, never more people than lived there.
    bad = scalar(default_db, """
        SELECT count(*) FROM (
            SELECT s.shantytown_id FROM shantytown_closing_solutions cs
            JOIN shantytowns s ON s.shantytown_id = cs.fk_shantytown
            GROUP BY s.shantytown_id, s.status, s.population_total
            HAVING s.status = 'open' OR sum(cs.number_of_people_affected) > s.population_total) x""")
    assert bad == 0
    assert scalar(default_db, "SELECT count(*) FROM shantytown_closing_solutions") > 500
    # History: earlier versions, archived when replaced; before a closing, the site was open.
    bad_history = scalar(default_db, """
        SELECT count(*) FROM "ShantytownHistories" h JOIN shantytowns s USING (shantytown_id)
        WHERE h."archivedAt" < h.updated_at OR h."archivedAt" > s.updated_at OR h.updated_at < s.created_at
           OR h.fk_city <> s.fk_city OR h.geom IS NULL""")
    assert bad_history == 0
    last_before_close = query(default_db, """
        SELECT DISTINCT ON (h.shantytown_id) h.status FROM "ShantytownHistories" h
        JOIN shantytowns s USING (shantytown_id) WHERE s.status <> 'open'
        ORDER BY h.shantytown_id, h.hid DESC""")
    assert last_before_close and {s for (s,) in last_before_close} == {"open"}
    # Multi-line free text went through COPY's escaping intact.
    assert scalar(default_db, "SELECT count(*) FROM shantytowns WHERE address_details LIKE"
                              " 'Entrée par le portail vert,' || chr(10) || 'à côté du terrain de sport'") > 0


def test_actions_of_every_location_type(default_db):
    counts = dict(query(default_db, "SELECT location_type, count(*) FROM actions GROUP BY 1"))
    assert set(counts) == {"eti", "sur_site", "logement", "autre"}
    assert all(n >= 10 for n in counts.values()), counts
    assert scalar(default_db, "SELECT count(*) FROM actions"
                              " WHERE (location_type = 'autre') <> (location_other IS NOT NULL)") == 0
    # ETI: 1-3 own points, in communes of the action's département, inside the commune.
    per_eti = query(default_db, """
        SELECT a.action_id, count(aa.*) FROM actions a LEFT JOIN action_addresses aa ON aa.fk_action = a.action_id
        WHERE a.location_type = 'eti' GROUP BY 1""")
    assert all(1 <= n <= 3 for _, n in per_eti)
    misplaced = scalar(default_db, """
        SELECT count(*) FROM action_addresses aa JOIN actions a ON a.action_id = aa.fk_action
        JOIN cities c ON c.code = aa.fk_city
        WHERE a.location_type <> 'eti' OR c.fk_departement <> a.fk_departement
           OR (c.geom IS NOT NULL AND NOT ST_Contains(c.geom, aa.geom))""")
    assert misplaced == 0
    # sur_site: 1-3 sites of the same département.
    per_site_action = query(default_db, """
        SELECT a.action_id, count(x.*) FROM actions a LEFT JOIN action_shantytowns x ON x.fk_action = a.action_id
        WHERE a.location_type = 'sur_site' GROUP BY 1""")
    assert all(1 <= n <= 3 for _, n in per_site_action)
    wrong_dep = scalar(default_db, """
        SELECT count(*) FROM action_shantytowns x JOIN actions a ON a.action_id = x.fk_action
        JOIN shantytowns s ON s.shantytown_id = x.fk_shantytown JOIN cities c ON c.code = s.fk_city
        WHERE a.location_type <> 'sur_site' OR c.fk_departement <> a.fk_departement""")
    assert wrong_dep == 0
    # Every action has a topic and an operator from an association.
    assert scalar(default_db, "SELECT count(*) FROM actions a WHERE NOT EXISTS"
                              " (SELECT 1 FROM action_topics t WHERE t.fk_action = a.action_id)") == 0
    assert scalar(default_db, "SELECT count(*) FROM actions a WHERE NOT EXISTS"
                              " (SELECT 1 FROM action_operators o WHERE o.fk_action = a.action_id)") == 0
    assert {t for (t,) in query(default_db, "SELECT DISTINCT fk_topic FROM action_topics")} == \
        {"health", "school", "work", "housing", "safety"}
    # Finances only for the years the action ran.
    assert scalar(default_db, """
        SELECT count(*) FROM action_finances f JOIN actions a ON a.action_id = f.fk_action
        WHERE f.year < extract(year FROM a.started_at)
           OR f.year > extract(year FROM COALESCE(a.ended_at, DATE %s))""", (UNTIL,)) == 0


# ---- determinism, idempotence, --replace -------------------------------------------

def test_same_seed_same_rows_other_seed_other_rows(clone, small_db, rbmap_bin):
    same = clone()
    run_checked(rbmap_bin, "demo-data", "--db", same, "--sites", "500", "--seed", "7", "--until", UNTIL)
    other = clone()
    run_checked(rbmap_bin, "demo-data", "--db", other, "--sites", "500", "--seed", "8", "--until", UNTIL)
    reference = site_dump_md5(small_db)
    assert site_dump_md5(same) == reference
    assert site_dump_md5(other) != reference
    # Ids start at 1 in a fresh database, and the sequences continue after them.
    assert query(small_db, "SELECT min(shantytown_id), max(shantytown_id) FROM shantytowns")[0] == (1, 500)
    assert scalar(small_db, "SELECT nextval(pg_get_serial_sequence('shantytowns', 'shantytown_id'))") == 501


def test_rerun_without_replace_keeps_the_data(small_db, rbmap_bin):
    before = site_dump_md5(small_db)
    result = run_checked(rbmap_bin, "demo-data", "--db", small_db, "--sites", "800", "--until", UNTIL)
    assert "already loaded" in result.stdout
    assert scalar(small_db, "SELECT count(*) FROM shantytowns") == 500
    assert site_dump_md5(small_db) == before


def test_replace_resets_and_keeps_the_schema(clone, rbmap_bin):
    dsn = clone()
    catalog_sql = """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = ANY(%s::regclass[])
        UNION ALL
        SELECT indrelid::regclass::text, indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
        WHERE indrelid = ANY(%s::regclass[]) ORDER BY 1, 2, 3"""
    tables = list(DEMO_TABLES)
    catalog_before = query(dsn, catalog_sql, (tables, tables))
    run_checked(rbmap_bin, "demo-data", "--db", dsn, "--sites", "400", "--seed", "3", "--until", UNTIL)
    result = run_checked(rbmap_bin, "demo-data", "--db", dsn, "--sites", "300", "--seed", "4", "--until", UNTIL,
                         "--replace")
    assert "loaded" in result.stdout
    assert query(dsn, "SELECT count(*), min(shantytown_id), max(shantytown_id) FROM shantytowns")[0] == (300, 1, 300)
    assert scalar(dsn, "SELECT min(user_id) FROM users") == 1
    assert scalar(dsn, "SELECT count(*) FROM action_shantytowns x LEFT JOIN shantytowns s"
                       " ON s.shantytown_id = x.fk_shantytown WHERE s.shantytown_id IS NULL") == 0
    # Same rows as a fresh load with that seed: nothing of the first load survives.
    fresh = clone()
    run_checked(rbmap_bin, "demo-data", "--db", fresh, "--sites", "300", "--seed", "4", "--until", UNTIL)
    assert site_dump_md5(dsn) == site_dump_md5(fresh)
    # The foreign keys and indexes dropped for the bulk load are all back, unchanged.
    assert query(dsn, catalog_sql, (tables, tables)) == catalog_before
    # Territories untouched.
    assert scalar(dsn, "SELECT count(*) FROM cities WHERE geom IS NOT NULL") > 30000


def test_bulk_load_sends_one_notification(clone, rbmap_bin):
    dsn = clone()
    listener = psycopg2.connect(dsn)
    listener.autocommit = True
    listener.cursor().execute("LISTEN rbmap_changes")
    run_checked(rbmap_bin, "demo-data", "--db", dsn, "--sites", "1500", "--until", UNTIL)
    deadline = time.time() + 5
    site_notes = []
    while time.time() < deadline:
        if select.select([listener], [], [], 0.5)[0]:
            listener.poll()
            site_notes += [n.payload for n in listener.notifies if '"site"' in n.payload]
            listener.notifies.clear()
        elif site_notes:
            break
    listener.close()
    assert len(site_notes) == 1, site_notes[:5]
    note = json.loads(site_notes[0])
    assert note["kind"] == "site" and note["op"] == "INSERT" and note["bulk"] is True and note["count"] == 1500


def test_loads_without_owning_the_tables(databases, clone, rbmap_bin):
    """A role that may write the tables but not alter them gets the row-by-row load,
    with the same rows."""
    dsn = clone()
    role = "rbmap_test_writer_" + uuid.uuid4().hex[:8]
    databases.admin.cursor().execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        owner = psycopg2.connect(dsn)
        owner.autocommit = True
        owner.cursor().execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}";'
                               f' GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
        owner.close()
        writer = " ".join([p for p in dsn.split() if not p.startswith("user=")] + [f"user={role}"])
        result = run_checked(rbmap_bin, "demo-data", "--db", writer, "--sites", "300", "--seed", "4",
                             "--until", UNTIL)
        assert "keeping indexes and foreign keys" in result.stderr
        fresh = clone()
        run_checked(rbmap_bin, "demo-data", "--db", fresh, "--sites", "300", "--seed", "4", "--until", UNTIL)
        assert site_dump_md5(dsn) == site_dump_md5(fresh)
    finally:
        owner = psycopg2.connect(dsn)
        owner.autocommit = True
        owner.cursor().execute(f'DROP OWNED BY "{role}"')
        owner.close()
        databases.admin.cursor().execute(f'DROP ROLE IF EXISTS "{role}"')


# ---- errors -------------------------------------------------------------------------

@pytest.mark.parametrize("args, flag", [
    (("--sites", "-5"), "--sites"),
    (("--sites", "abc"), "--sites"),
    (("--sites", "0"), "--sites"),
    (("--sites", "12x"), "--sites"),
    (("--seed", "-1"), "--seed"),
    (("--until", "2017-05-01"), "--until"),
    (("--until", "2025-02-30"), "--until"),
])
def test_bad_arguments_name_the_flag(rbmap_bin, args, flag):
    result = run_rbmap(rbmap_bin, "demo-data", "--db", "host=127.0.0.1 port=1 dbname=none", *args)
    assert result.returncode != 0
    assert flag in result.stderr, result.stderr
    assert not SANITIZER_REPORT.search(result.stderr)


def test_help(rbmap_bin):
    result = run_rbmap(rbmap_bin, "demo-data", "--help")
    assert result.returncode == 0
    for flag in ("--db", "--sites", "--seed", "--replace"):
        assert flag in result.stdout


def test_without_territories_says_what_to_do(scratch_db, rbmap_bin):
    run_checked(rbmap_bin, "migrate", "--db", scratch_db)
    result = run_rbmap(rbmap_bin, "demo-data", "--db", scratch_db, "--sites", "10")
    assert result.returncode != 0
    assert "import-territories" in result.stderr
    assert not SANITIZER_REPORT.search(result.stderr)
    assert scalar(scratch_db, "SELECT count(*) FROM shantytowns") == 0
