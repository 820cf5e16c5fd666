"""A throwaway PostgreSQL cluster for tests that stop, restart or lock the database
(never the shared one on 54329). Created under a private temporary directory on a free
port, owned and run by `postgres` when we are root (as scripts/pg.sh does), loaded with
the schema and a small copy of the demo data, removed at the end."""
import glob
import os
import shutil
import subprocess
import tempfile
import time

import psycopg2

from conftest import free_port, run_checked

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
IS_ROOT = os.getuid() == 0

# Tables copied from the demo database, with the subset each keeps (two départements).
DEPTS = "('13', '93')"
SUBSET = [
    ("regions", ""),
    ("departements", ""),
    ("epci", f"WHERE code IN (SELECT fk_epci FROM cities WHERE fk_departement IN {DEPTS})"),
    ("cities", f"WHERE fk_departement IN {DEPTS}"),
    ("field_types", ""), ("owner_types", ""), ("electricity_types", ""), ("social_origins", ""),
    ("organizations", ""), ("users", ""), ("topics", ""), ("closing_solutions", ""),
    ("shantytowns", f"WHERE fk_city IN (SELECT code FROM cities WHERE fk_departement IN {DEPTS})"),
]


def _as_owner(cmd):
    return ["runuser", "-u", "postgres", "--", *cmd] if IS_ROOT else cmd


class PrivateCluster:
    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="rbmap-pg-")
        os.chmod(self.base, 0o755)
        if IS_ROOT:
            shutil.chown(self.base, "postgres")
        self.data = os.path.join(self.base, "data")
        self.run_dir = os.path.join(self.base, "run")
        self.log = os.path.join(self.base, "postgres.log")
        self.port = free_port()
        self.user = "postgres" if IS_ROOT else os.environ.get("USER", "postgres")
        self.dsn = f"host=127.0.0.1 port={self.port} dbname=rbmap user={self.user}"
        subprocess.run(_as_owner([f"{PG_BIN}/initdb", "-D", self.data, "-A", "trust", "-U", self.user,
                                  "-E", "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True, timeout=120)
        subprocess.run(_as_owner(["mkdir", "-p", self.run_dir]), check=True)
        self.start()
        subprocess.run([f"{PG_BIN}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "rbmap"],
                       check=True, capture_output=True, timeout=60)

    def pg_ctl(self, *args, timeout=60):
        return subprocess.run(_as_owner([f"{PG_BIN}/pg_ctl", "-D", self.data, *args]), capture_output=True,
                              text=True, timeout=timeout)

    def start(self):
        r = self.pg_ctl("-l", self.log, "-w", "-t", "60", "start", "-o",
                        f"-p {self.port} -k {self.run_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        assert r.returncode == 0, r.stdout + r.stderr + open(self.log).read()[-2000:]

    def stop(self, mode="fast"):
        r = self.pg_ctl("-m", mode, "-w", "stop")
        assert r.returncode == 0, r.stdout + r.stderr

    def load_demo_subset(self, rbmap_bin, demo_dsn):
        """Schema by `rbmap migrate`, then two départements of the demo data."""
        run_checked(rbmap_bin, "migrate", "--db", self.dsn)
        src = psycopg2.connect(demo_dsn)
        dst = psycopg2.connect(self.dsn)
        try:
            with src.cursor() as s, dst.cursor() as d:
                for table, where in SUBSET:
                    s.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'"
                              " AND table_name = %s AND is_generated = 'NEVER' ORDER BY ordinal_position", (table,))
                    cols = ", ".join(f'"{c}"' for (c,) in s.fetchall())
                    buf = tempfile.TemporaryFile()
                    s.copy_expert(f"COPY (SELECT {cols} FROM {table} {where}) TO STDOUT", buf)
                    buf.seek(0)
                    # Reference tables come seeded by the migrations: keep their rows.
                    d.execute(f"CREATE TEMP TABLE incoming AS SELECT {cols} FROM {table} WITH NO DATA")
                    d.copy_expert(f"COPY incoming FROM STDIN", buf)
                    d.execute(f"INSERT INTO {table} ({cols}) SELECT * FROM incoming ON CONFLICT DO NOTHING")
                    d.execute("DROP TABLE incoming")
            dst.commit()
        finally:
            src.close()
            dst.close()

    def start_replica(self):
        """A streaming replica of this cluster (pg_basebackup -R) on its own port;
        returns its conninfo. Stopped by destroy()."""
        self.replica_data = os.path.join(self.base, "replica")
        self.replica_port = free_port()
        subprocess.run(_as_owner([f"{PG_BIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U",
                                  self.user, "-D", self.replica_data, "-R", "-X", "stream", "-c", "fast"]),
                       check=True, capture_output=True, timeout=120)
        r = subprocess.run(_as_owner([f"{PG_BIN}/pg_ctl", "-D", self.replica_data, "-l", self.log + ".replica", "-w",
                                      "-t", "60", "start", "-o",
                                      f"-p {self.replica_port} -k {self.run_dir} -c listen_addresses=127.0.0.1"]),
                           capture_output=True, text=True, timeout=90)
        assert r.returncode == 0, r.stdout + r.stderr
        return f"host=127.0.0.1 port={self.replica_port} dbname=rbmap user={self.user}"

    def destroy(self):
        if getattr(self, "replica_data", None):
            subprocess.run(_as_owner([f"{PG_BIN}/pg_ctl", "-D", self.replica_data, "-m", "immediate", "-w", "stop"]),
                           capture_output=True, timeout=60)
        self.pg_ctl("-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


def wait_until(predicate, timeout, step=0.05):
    """Seconds until predicate() is true, or None after timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if predicate():
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(step)
    return None
