"""The servers the benchmark suite (bench/suite.py) starts: rbmap, and MapServer 8 as it
is deployed: `mapserv` FastCGI processes started by spawn-fcgi on a Unix socket, behind
nginx (a configuration generated into the work folder, listening on a loopback port).
Each server says which processes serve it (pids(), for CPU and memory), including the
PostgreSQL backends it opened (found by application_name)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import psycopg2
import psycopg2.extensions

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serial(conninfo, app):
    """The connection string for a peer's PostgreSQL connections: without parallel query
    workers (they come and go within a query, so their CPU could not be read from /proc
    between two samples; with 8 concurrent requests on a few cores they gain nothing)
    and named, so that their backends can be found."""
    return psycopg2.extensions.make_dsn(conninfo, application_name=app,
                                        options="-c max_parallel_workers_per_gather=0")


def backend_pids(conninfo, app):
    """PostgreSQL backends whose application_name is `app`."""
    try:
        with psycopg2.connect(conninfo) as c, c.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (app,))
            out = [r[0] for r in cur.fetchall()]
        c.close()
        return out
    except psycopg2.Error:
        return []


def stop_process(proc, sig, timeout):
    """Asks a child to stop with `sig`, kills it after `timeout` seconds."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Rbmap:
    """build/rbmap serve on a loopback port, national scope without credentials (as the
    demo), no access log, the periodic reconcile pushed out of the measurement, and
    sites_minzoom = 0: the peers draw sites at every zoom, so rbmap does too (thinned to
    4,000 per tile) instead of leaving the low zooms of 1M sites to its clusters layer."""

    def __init__(self, binary, conninfo, sites, workdir):
        self.port = free_port()
        config = os.path.join(workdir, "rbmap-suite.conf")
        with open(config, "w") as f:
            f.write("access_log = off\nmigrate = no\nreconcile_interval_s = 3600\ndefault_scope = national\n"
                    "sites_minzoom = 0\n")
        self.logf = open(os.path.join(workdir, f"rbmap-{self.port}.log"), "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--db", conninfo,
                                      "--config", config], stdout=self.logf, stderr=subprocess.STDOUT)
        deadline = time.time() + 900
        while True:
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"rbmap serve did not load {sites} sites; see {self.logf.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=5) as r:
                    layers = json.load(r).get("layers", {})
                if layers.get("listening") and layers.get("sites_in_memory") == sites:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.25)
        self.start_s = time.perf_counter() - t0

    def pids(self):
        return [self.proc.pid]

    def stop(self):
        stop_process(self.proc, signal.SIGTERM, 30)
        self.logf.close()


NGINX_CONF = """daemon off;
master_process on;
worker_processes 1;
{user}
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    fastcgi_temp_path {work}/fastcgi;
    proxy_temp_path {work}/proxy;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    fastcgi_buffers 256 64k;
    fastcgi_read_timeout 600s;
    server {{
        listen 127.0.0.1:{port};
        location /mapserv {{
            fastcgi_split_path_info ^(/mapserv)(/.*)$;
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_NAME $fastcgi_script_name;
            fastcgi_param PATH_INFO $fastcgi_path_info;
            fastcgi_pass unix:{work}/mapserv.sock;
        }}
    }}
}}
"""


class MapServerNginx:
    """MapServer 8 behind nginx. `mapfiles` maps an alias to mapfile text (with
    @CONNECTION@ for the database); requests name the alias: /mapserv?map=ALIAS&... or
    /mapserv/ALIAS/ogcapi/... (MapServer 8's MAPS section)."""

    def __init__(self, conninfo, mapfiles, workdir, processes, tag):
        self.conninfo, self.app = conninfo, f"rbmap_suite_mapserver_{tag}"
        self.work = os.path.join(workdir, f"mapserver-{tag}")
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        maps = []
        for alias, text in mapfiles.items():
            path = os.path.join(self.work, f"{alias}.map")
            with open(path, "w") as f:
                f.write(text.replace("@CONNECTION@", serial(conninfo, self.app)))
            maps.append(f'    "{alias.upper()}" "{path}"\n')
        conf = os.path.join(self.work, "mapserver.conf")
        with open(conf, "w") as f:
            f.write('CONFIG\n  ENV\n    MS_MAP_NO_PATH "1"\n  END\n  MAPS\n' + "".join(maps) + "  END\nEND\n")
        env = dict(os.environ, MAPSERVER_CONFIG_FILE=conf)
        sock = os.path.join(self.work, "mapserv.sock")
        pidfile = os.path.join(self.work, "mapserv.pids")
        # One connection per request from nginx (its default): libfcgi serves one
        # connection at a time per process, so nginx keep-alive could starve the pool.
        subprocess.run(["spawn-fcgi", "-s", sock, "-M", "0666", "-F", str(processes), "-P", pidfile,
                        "--", shutil.which("mapserv")], env=env, check=True, capture_output=True)
        with open(pidfile) as f:
            self.mapserv = [int(p) for p in f.read().split()]
        self.port = free_port()
        nginx_conf = os.path.join(self.work, "nginx.conf")
        with open(nginx_conf, "w") as f:
            f.write(NGINX_CONF.format(work=self.work, port=self.port,
                                      user="user root;" if os.geteuid() == 0 else ""))
        self.nginx = subprocess.Popen(["nginx", "-p", self.work, "-c", nginx_conf, "-e",
                                       os.path.join(self.work, "nginx-error.log")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.time() > deadline or self.nginx.poll() is not None:
                    raise RuntimeError(f"nginx did not start; see {self.work}/nginx-error.log")
                time.sleep(0.1)

    def nginx_pids(self):
        out = [self.nginx.pid]
        try:
            with open(f"/proc/{self.nginx.pid}/task/{self.nginx.pid}/children") as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
        return out

    def pids(self):
        """nginx (master and worker), the mapserv processes and their PostgreSQL backends."""
        return self.nginx_pids() + self.mapserv + backend_pids(self.conninfo, self.app)

    def frontend_pids(self):
        """What holds memory of its own: nginx and mapserv (PostgreSQL backends share
        the cluster's buffers, their RSS says little)."""
        return self.nginx_pids() + self.mapserv

    def stop(self):
        stop_process(self.nginx, signal.SIGQUIT, 10)  # SIGQUIT: nginx's graceful stop
        # libfcgi notes SIGTERM and goes on waiting in accept(): kill outright.
        for pid in self.mapserv:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in self.mapserv:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass  # spawn-fcgi's children are not ours; they are gone once killed
