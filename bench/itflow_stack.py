"""An ITFlow of its own for bench_itflow.py: MariaDB, PHP-FPM and nginx on loopback under one work directory.

Nothing here touches the system services the Debian packages install: every server runs from a configuration
written into the work directory (its own socket, port, pid file and logs) and is stopped by ``Stack.stop``.
ITFlow is installed by its own headless installer (``scripts/setup_cli.php``: ``config.php``, ``db.sql``, the
seed rows) into a copy of the source, so the source directory itself is never written to.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

# Packages (Debian/Ubuntu) that provide each tool, for the message that says what is missing.
PACKAGES = {
    "mariadbd": "mariadb-server", "mariadb-install-db": "mariadb-server", "mariadb": "mariadb-client",
    "php": "php-cli", "php-fpm": "php-fpm", "nginx": "nginx",
}  # fmt: skip
# Tools and the names they go by (older MariaDB and MySQL packages use the mysql names).
TOOL_NAMES = {
    "mariadbd": ("mariadbd", "mysqld"),
    "mariadb-install-db": ("mariadb-install-db", "mysql_install_db"),
    "mariadb": ("mariadb", "mysql"),
    "php": ("php",),
    "php-fpm": ("php-fpm", "php-fpm8.4", "php-fpm8.3", "php-fpm8.2", "php-fpm8.1"),
    "nginx": ("nginx",),
}
PHP_EXTENSIONS = {"mysqli": "php-mysql", "mbstring": "php-mbstring"}  # what ITFlow's API path calls
SOURCE_FILES = (
    "db.sql", "scripts/setup_cli.php", "api/v1/validate_api_key.php", "api/v1/clients/read.php",
    "api/v1/assets/read.php", "api/v1/tickets/read.php",
)  # fmt: skip
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/local/sbin"])
# One nginx worker in front of PHP-FPM, keep-alive to the client (nginx's default), no access log
# (gunicorn writes none either).
NGINX_CONF = """{user}
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    keepalive_timeout 65;
    keepalive_requests 1000000;
{temp_paths}    server {{
        listen 127.0.0.1:{port};
        root {root};
        location ~ \\.php$ {{
            fastcgi_pass unix:{work}/php-fpm.sock;
{params}        }}
    }}
}}
"""
NGINX_TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
# Debian's fastcgi_params, and HTTP_USER_AGENT: ITFlow reads it unguarded, so it is defined (empty) when wrk sends
# none and PHP logs no warning per request.
FASTCGI_PARAMS = (
    ("SCRIPT_FILENAME", "$document_root$fastcgi_script_name"), ("SCRIPT_NAME", "$fastcgi_script_name"),
    ("QUERY_STRING", "$query_string"), ("REQUEST_METHOD", "$request_method"), ("CONTENT_TYPE", "$content_type"),
    ("CONTENT_LENGTH", "$content_length"), ("REQUEST_URI", "$request_uri"), ("DOCUMENT_ROOT", "$document_root"),
    ("SERVER_PROTOCOL", "$server_protocol"), ("REMOTE_ADDR", "$remote_addr"), ("REMOTE_PORT", "$remote_port"),
    ("SERVER_ADDR", "$server_addr"), ("SERVER_PORT", "$server_port"), ("SERVER_NAME", "$server_name"),
    ("HTTP_USER_AGENT", "$http_user_agent"),
)  # fmt: skip


def find_tools() -> tuple[dict[str, str], list[str]]:
    """Each tool's path, and a line per tool that is not installed."""
    found, missing = {}, []
    for tool, names in TOOL_NAMES.items():
        path = next((p for p in (shutil.which(n, path=SEARCH_PATH) for n in names) if p), None)
        if path:
            found[tool] = path
        else:
            missing.append(f"{tool}: not installed (apt-get install -y {PACKAGES[tool]})")
    if "php-fpm" in found:
        modules = subprocess.run([found["php-fpm"], "-m"], capture_output=True, text=True).stdout.split()
        for extension, package in PHP_EXTENSIONS.items():
            if extension not in modules:
                missing.append(f"PHP extension {extension}: not loaded by php-fpm (apt-get install -y {package})")
    return found, missing


def check_source(src: str | None) -> list[str]:
    """A line per thing missing from the ITFlow source directory (empty: it looks like ITFlow)."""
    hint = "get it with: git clone https://github.com/itflow-org/itflow /tmp/itflow/src"
    if not src:
        return [f"ITFlow source: --itflow-src not given ({hint})"]
    root = Path(src)
    if not root.is_dir():
        return [f"ITFlow source: {src} is not a directory ({hint})"]
    absent = [name for name in SOURCE_FILES if not (root / name).is_file()]
    return [f"ITFlow source: {src} has no {', '.join(absent)} (not an ITFlow checkout?)"] if absent else []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(check, what: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited at start-up:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)
    raise SystemExit(f"{what} did not come up in {seconds:.0f} s; see {log}")


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes and their direct children have used so far."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        for each in [str(pid), *children]:
            try:
                fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class Stack:
    """The three servers; ``start_*`` in order, ``stop`` in any state (it stops what was started)."""

    tools: dict[str, str]
    work: Path
    root_flags: bool = field(default_factory=lambda: os.geteuid() == 0)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: list = field(default_factory=list)

    @property
    def socket(self) -> Path:
        return self.work / "mariadb.sock"

    @property
    def app(self) -> Path:
        return self.work / "itflow"

    def _popen(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.work / f"{name}.log", "ab")  # noqa: SIM115  (closed in stop())
        self.logs.append(log)
        self.procs[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self.procs[name]

    # --- MariaDB --------------------------------------------------------------------------------------------

    def start_mariadb(self) -> None:
        data = self.work / "mariadb"
        user = ["--user=root"] if self.root_flags else []
        subprocess.run(
            [self.tools["mariadb-install-db"], "--no-defaults", f"--datadir={data}", "--skip-test-db",
             "--auth-root-authentication-method=normal", *user],
            check=True, capture_output=True,
        )  # fmt: skip
        self.mariadb_port = free_port()
        proc = self._popen("mariadb", [
            self.tools["mariadbd"], "--no-defaults", f"--datadir={data}", f"--socket={self.socket}",
            f"--port={self.mariadb_port}", "--bind-address=127.0.0.1", f"--pid-file={self.work / 'mariadb.pid'}",
            "--skip-name-resolve", "--local-infile=1", "--innodb-buffer-pool-size=512M",
            "--innodb-flush-log-at-trx-commit=2", "--skip-log-bin", *user,
        ])  # fmt: skip
        _wait_for(lambda: self.socket.exists(), "mariadbd", proc, self.work / "mariadb.log")
        self.db_password = secrets.token_urlsafe(18)
        self.sql(
            "CREATE DATABASE itflow CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci; "
            f"CREATE USER 'itflow'@'localhost' IDENTIFIED BY '{self.db_password}'; "
            "GRANT ALL ON itflow.* TO 'itflow'@'localhost';",
            database="mysql",
        )

    def sql(self, statements: str, database: str = "itflow") -> str:
        """Run SQL through the MariaDB client as its root (tab-separated output, no header)."""
        done = subprocess.run(
            [self.tools["mariadb"], "--no-defaults", f"--socket={self.socket}", "-uroot", "--local-infile=1",
             "--batch", "--skip-column-names", database],
            input=statements, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(f"MariaDB refused: {done.stderr.strip()}\n{statements[:500]}")
        return done.stdout

    def load_tsv(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        """Bulk-load rows with LOAD DATA (one file, one statement)."""
        path = self.work / f"{table}.tsv"
        with open(path, "w", encoding="utf-8") as out:
            for row in rows:
                out.write("\t".join(_tsv(value) for value in row) + "\n")
        self.sql(
            f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE {table} CHARACTER SET utf8mb4 "
            f"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({', '.join(columns)});"
        )
        path.unlink()

    # --- ITFlow ----------------------------------------------------------------------------------------------

    def install_itflow(self, src: Path) -> None:
        """Copy the source and run ITFlow's own CLI installer against the database (config.php, schema, seeds)."""
        shutil.copytree(src, self.app, ignore=shutil.ignore_patterns(".git", "config.php"), symlinks=True)
        done = subprocess.run(
            [self.tools["php"], "-d", f"mysqli.default_socket={self.socket}", str(self.app / "scripts/setup_cli.php"),
             "--non-interactive", "--host=localhost", "--username=itflow", f"--password={self.db_password}",
             "--database=itflow", "--base-url=127.0.0.1", "--locale=en_US", "--timezone=UTC", "--currency=USD",
             "--company-name=Bench MSP", "--country=United States", "--user-name=Bench Admin",
             "--user-email=admin@msp.example", f"--user-password={secrets.token_urlsafe(18)}"],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode or "Setup complete" not in done.stdout:
            raise SystemExit(f"ITFlow's setup_cli.php failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")

    def add_api_key(self, user_id: int) -> str:
        """A key the way ITFlow's admin page makes one: 32 random URL-safe characters, stored as given and looked
        up by equality with an expiry date, run as the given user. The decrypt hash only unlocks credentials (its
        form needs a signed-in session's master key), so it stays empty."""
        secret = secrets.token_urlsafe(24)[:32]
        self.sql(
            "INSERT INTO api_keys SET api_key_name = 'bench', "
            f"api_key_secret = '{secret}', api_key_decrypt_hash = '', api_key_expire = '2099-12-31', "
            f"api_key_user_id = {user_id};"
        )
        return secret

    # --- PHP-FPM and nginx -------------------------------------------------------------------------------------

    def start_php_fpm(self, children: int) -> None:
        fpm_socket = self.work / "php-fpm.sock"
        config = self.work / "php-fpm.conf"
        config.write_text(
            f"[global]\npid = {self.work / 'php-fpm.pid'}\nerror_log = {self.work / 'php-fpm-error.log'}\n"
            "daemonize = no\n\n"
            f"[itflow]\nlisten = {fpm_socket}\nlisten.mode = 0666\npm = static\npm.max_children = {children}\n"
            f"php_admin_value[mysqli.default_socket] = {self.socket}\n"
            f"php_admin_value[error_log] = {self.work / 'php-errors.log'}\nphp_admin_flag[log_errors] = on\n"
        )
        flags = ["--allow-to-run-as-root"] if self.root_flags else []
        proc = self._popen("php-fpm", [self.tools["php-fpm"], "--nodaemonize", "--fpm-config", str(config), *flags])
        _wait_for(fpm_socket.exists, "php-fpm", proc, self.work / "php-fpm.log")

    def start_nginx(self) -> int:
        self.nginx_port = free_port()
        config = self.work / "nginx.conf"
        temp = self.work / "nginx-temp"
        temp.mkdir(exist_ok=True)
        config.write_text(
            NGINX_CONF.format(
                user="user root;" if self.root_flags else "",
                work=self.work,
                temp_paths="".join(f"    {kind}_temp_path {temp / kind};\n" for kind in NGINX_TEMP_PATHS),
                port=self.nginx_port,
                root=self.app,
                params="".join(f"            fastcgi_param {name} {value};\n" for name, value in FASTCGI_PARAMS),
            )
        )
        proc = self._popen(
            "nginx",
            [self.tools["nginx"], "-e", str(self.work / "nginx-error.log"), "-p", str(self.work), "-c", str(config),
             "-g", "daemon off;"],
        )  # fmt: skip
        _wait_for(lambda: _listening(self.nginx_port), "nginx", proc, self.work / "nginx-error.log")
        return self.nginx_port

    def server_pids(self) -> list[int]:
        """The processes that serve a request: nginx, PHP-FPM (masters; their workers are counted with them)
        and MariaDB."""
        return [self.procs[name].pid for name in ("nginx", "php-fpm", "mariadb") if name in self.procs]

    def php_errors(self) -> str:
        path = self.work / "php-errors.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop every server started (web first, the database last), then close their logs."""
        for name in ("nginx", "php-fpm", "mariadb"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)  # nginx: graceful
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()


def _tsv(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
