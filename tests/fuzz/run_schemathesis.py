"""Schema fuzzing (``make fuzz``, ``make fuzz-bounded``): schemathesis, every check, against a live server with seeded data.

1. A throwaway database: SQLite in ``$PSA_DATA_DIR/fuzz``, or, when ``PSA_DATABASE_URL`` names PostgreSQL, a
   database of its own beside it (``<name>_fuzz``, dropped afterwards).
2. ``migrate``, then ``tests/fuzz/seed.py``: the route harness's objects, an administrator key holding ``*``, and
   the ids that fill every operation's path parameters. The seed process stays up for the whole run: it serves the
   ConnectWise, UniFi and Hudu simulators (free loopback ports) that the world's sources point at.
3. gunicorn on a free loopback port, with rate limits raised out of the way (the fuzzer is not an abuser).
4. ``schemathesis run`` with all checks, a fixed seed, a bounded number of examples per operation and a time limit,
   and the reviewed exceptions of ``tests/fuzz/exceptions.toml``.

Exits non-zero on any failure (set ``PSA_FUZZ_STRICT=false`` to report failures without failing). Settings, all
optional: ``PSA_FUZZ_MAX_EXAMPLES`` (per operation and phase, default 10), ``PSA_FUZZ_SEED`` (default 1),
``PSA_FUZZ_WORKERS`` (default 2), ``PSA_FUZZ_TIMEOUT`` (seconds for the whole run, default 1200),
``PSA_FUZZ_PHASES`` (default ``examples,coverage,fuzzing,stateful``), ``PSA_FUZZ_INCLUDE`` (a regex on
``METHOD /path``, to fuzz a few operations while fixing them). Reports land in ``$PSA_DATA_DIR/fuzz/report``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
EXCEPTIONS_FILE = HERE / "exceptions.toml"
PY = sys.executable
BIN = Path(PY).parent

# Far above anything the fuzzer sends: the rate limits have their own tests, and a 429 here would hide real answers.
UNLIMITED_ENV = {
    "PSA_API_RATE_LIMIT": "1000000/min",
    "PSA_API_BAD_KEY_LIMIT": "1000000/min",  # ignored_auth sends bad keys on purpose
    "PSA_VAULT_REVEAL_LIMIT": "1000000",
}
# Every check schemathesis has, switched on in the config file rather than with --checks: options given on the
# command line would take precedence over the per-operation and per-phase exceptions.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "valid_data_accepted",  # positive_data_acceptance that knows the reviewed rules (tests/fuzz/hooks.py)
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
)
# Built-in checks replaced by one of tests/fuzz/hooks.py: an exception naming the built-in applies to the hook's.
REPLACED_CHECKS = {"positive_data_acceptance": "valid_data_accepted"}
HOOKS_FILE = HERE / "hooks.py"


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in {"1", "true", "yes", "on"}


def log(message: str) -> None:
    print(f"fuzz: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=ROOT, check=True, **kwargs)


class Database:
    """The fuzz run's own database, so nothing it writes reaches the test suite's or ``make run``'s."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.url = os.environ.get("PSA_DATABASE_URL", "").strip()
        self.admin_url = self.name = None
        if self.url:
            parts = urlsplit(self.url)
            if not parts.scheme.startswith("postgres"):
                raise SystemExit(f"fuzz: PSA_DATABASE_URL scheme {parts.scheme!r} is not supported (PostgreSQL only)")
            self.admin_url = self.url
            self.name = parts.path.lstrip("/") + "_fuzz"
            self.url = urlunsplit(parts._replace(path="/" + self.name))

    def _execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(statement)

    def create(self) -> None:
        if self.name:
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.name:
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def env(self) -> dict[str, str]:
        return {"PSA_DATABASE_URL": self.url} if self.url else {}


class RedisDatabase:
    """The fuzz run's own Redis database (``PSA_FUZZ_REDIS_DB`` on ``PSA_REDIS_URL``'s server, default 15): the
    server's cache entries and the Celery messages its sync routes queue never land in a developer's database.
    It is emptied before and after the run, as the throwaway SQL database is dropped."""

    def __init__(self) -> None:
        self.url = os.environ.get("PSA_REDIS_URL", "").strip()
        if self.url:
            number = env_int("PSA_FUZZ_REDIS_DB", 15)
            self.url = urlunsplit(urlsplit(self.url)._replace(path=f"/{number}"))

    def flush(self) -> None:
        if self.url:
            import redis

            client = redis.Redis.from_url(self.url)
            try:
                client.flushdb()
            finally:
                client.close()

    def env(self) -> dict[str, str]:
        return {"PSA_REDIS_URL": self.url} if self.url else {}


def load_exceptions() -> list[dict]:
    """The reviewed exceptions: each names an operation (or a phase), a check and why the check is wrong about us.

    Also validates the ``[[rule]]`` entries that tests/fuzz/hooks.py reads: an operation, fields and a reason.
    """
    document = tomllib.loads(EXCEPTIONS_FILE.read_text())
    entries = document.get("exception", [])
    for entry in entries:
        missing = {"check", "reason"} - set(entry)
        if not {"operation", "phase"} & set(entry):
            missing.add("operation or phase")
        if missing:
            raise SystemExit(f"fuzz: an exception in {EXCEPTIONS_FILE.name} lacks {', '.join(sorted(missing))}")
        entry["check"] = REPLACED_CHECKS.get(entry["check"], entry["check"])
    for rule in document.get("rule", []):
        missing = {"operation", "fields", "reason"} - set(rule)
        if missing:
            raise SystemExit(f"fuzz: a rule in {EXCEPTIONS_FILE.name} lacks {', '.join(sorted(missing))}")
    return entries


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def write_config(path: Path, seeded: dict, exceptions: list[dict], report_dir: Path) -> None:
    """A schemathesis.toml: generation bounds, the key, seeded path parameters and the exceptions per operation."""
    per_operation: dict[str, dict] = {}
    for operation in seeded["operations"]:
        name = f"{operation['method']} {operation['path']}"
        per_operation.setdefault(name, {})["parameters"] = operation["parameters"]
    for entry in exceptions:
        if "operation" in entry:
            per_operation.setdefault(entry["operation"], {}).setdefault("checks", {})[entry["check"]] = False
    phase_lines = [
        f"[phases.{entry['phase']}.checks.{entry['check']}]\nenabled = false\n"
        for entry in exceptions
        if "operation" not in entry
    ]
    lines = [
        "# Written by tests/fuzz/run_schemathesis.py for one run; edit that script or exceptions.toml instead.",
        f"seed = {env_int('PSA_FUZZ_SEED', 1)}",
        f"workers = {env_int('PSA_FUZZ_WORKERS', 2)}",
        "request-timeout = 30",
        "continue-on-failure = true",
        # Hypothesis's health checks time data generation: on a loaded machine "too slow" comes and goes, which
        # would make the result depend on the load. The bounds above keep generation finite without them.
        'suppress-health-check = ["all"]',
        "color = false",
        "",
        "[generation]",
        f"max-examples = {env_int('PSA_FUZZ_MAX_EXAMPLES', 10)}",
        # No example database: each run starts from the seed alone, so two runs send the same requests.
        'database = "none"',
        "",
        "[parameters]",
        *(f"{toml_value(key)} = {toml_value(value)}" for key, value in sorted(seeded["body"].items())),
        "",
        "[checks]",
        *(f"{check}.enabled = true" for check in CHECKS),
        *(f"{check}.enabled = false" for check in REPLACED_CHECKS),
        "",
        "[auth.openapi.ApiKeyHeader]",
        'api_key = "${PSA_FUZZ_API_KEY}"',
        "",
        "[reports]",
        f"directory = {toml_value(str(report_dir))}",
        "",
        *phase_lines,
    ]
    for name, settings in sorted(per_operation.items()):
        lines += ["[[operations]]", f"include-name = {toml_value(name)}"]
        if "parameters" in settings:
            lines.append(f"parameters = {toml_value(settings['parameters'])}")
        for check in settings.get("checks", {}):
            lines.append(f"checks.{check}.enabled = false")
        lines.append("")
    path.write_text("\n".join(lines))


class Seeder:
    """``tests/fuzz/seed.py``: seeds, then serves the simulators until its standard input is closed (``stop``)."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.process = subprocess.Popen(
            args,
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_path.open("w"),
            text=True,
            start_new_session=True,  # a Ctrl-C reaches this script, whose clean-up stops it
        )

    def wait_ready(self, marker: str = "READY") -> None:
        """Until the seed printed ``marker`` (its other output is passed on); fails if it exits before."""
        for line in self.process.stdout:
            if line.strip() == marker:
                return
            print(line, end="", flush=True)
        self.process.wait()
        raise SystemExit(f"fuzz: the seed exited (status {self.process.returncode}); see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # its signal to stop serving
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()


class Server:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        args = [str(BIN / "gunicorn"), "psa.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        args += ["--workers", "2", "--timeout", "60", "--error-logfile", "-"]
        self.process = subprocess.Popen(
            args,
            env=env,
            cwd=ROOT,
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, seconds: int = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"fuzz: gunicorn exited at start-up; see {self.log_path}")
            try:
                urllib.request.urlopen(f"{self.url}/api/v1/teapot", timeout=2)
            except urllib.error.HTTPError as error:
                if error.code == 418:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"fuzz: gunicorn does not answer on {self.url} after {seconds} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def summarize(junit_path: Path) -> tuple[int, int, Counter]:
    """Operations tested, operations failing, and failures counted by check, read from the JUnit report."""
    import xml.etree.ElementTree as ET

    by_check: Counter = Counter()
    if not junit_path.exists():
        return 0, 0, by_check
    try:
        suites = ET.parse(junit_path).getroot()
    except ET.ParseError:  # schemathesis was stopped before it wrote the report
        return 0, 0, by_check
    cases = list(suites.iter("testcase"))
    failing = 0
    for case in cases:
        problems = case.findall("failure") + case.findall("error")
        if problems:
            failing += 1
        for problem in problems:
            text = problem.text or ""
            # Each failure reads "- ST202 Schema-valid request rejected" (or "... schema (2 violations)").
            for code in re.findall(r"^- (ST\d+ [^(\n]+)", text, flags=re.M) or [problem.tag]:
                by_check[code.strip()] += 1
    return len(cases), failing, by_check


def main() -> int:
    base_dir = Path(os.environ.get("PSA_DATA_DIR") or ROOT / "var" / "test").resolve()
    data_dir = base_dir / "fuzz"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, mode=0o700)
    report_dir = data_dir / "report"
    database, redis_database = Database(data_dir), RedisDatabase()
    env = {**os.environ, "PSA_DATA_DIR": str(data_dir), "PSA_LOG_LEVEL": "WARNING", **UNLIMITED_ENV}
    env.update(database.env())
    env.update(redis_database.env())
    env.pop("PSA_CELERY_EAGER", None)
    started = time.monotonic()
    database.create()
    redis_database.flush()
    server = seeder = None
    try:
        log("migrating and seeding a throwaway database")
        run([PY, "manage.py", "migrate", "--noinput"], env, stdout=subprocess.DEVNULL)
        run([PY, "manage.py", "createcachetable"], env)
        seed_path = data_dir / "seed.json"
        seeder = Seeder([PY, str(HERE / "seed.py"), str(seed_path)], env, data_dir / "seed.log")
        seeder.wait_ready()
        seeded = json.loads(seed_path.read_text())
        schema_path = data_dir / "openapi.json"
        run([PY, "manage.py", "spectacular", "--format", "openapi-json", "--file", str(schema_path)], env)
        config_path = data_dir / "schemathesis.toml"
        exceptions = load_exceptions()
        write_config(config_path, seeded, exceptions, report_dir)
        server = Server(env, data_dir / "server.log")
        server.wait_ready()
        args = [str(BIN / "schemathesis"), "--config-file", str(config_path), "run", str(schema_path)]
        args += ["--url", server.url, "--report", "junit,ndjson"]
        args += ["--report-junit-path", str(report_dir / "junit.xml")]
        args += ["--report-ndjson-path", str(report_dir / "events.ndjson")]
        args += ["--phases", os.environ.get("PSA_FUZZ_PHASES", "examples,coverage,fuzzing,stateful")]
        include = os.environ.get("PSA_FUZZ_INCLUDE", "").strip()
        if include:
            args += ["--include-name-regex", include]
        log(f"schemathesis against {server.url} ({len(exceptions)} reviewed exceptions)")
        timeout = env_int("PSA_FUZZ_TIMEOUT", 1200)
        st_env = {**env, "PSA_FUZZ_API_KEY": seeded["api_key"], "SCHEMATHESIS_HOOKS": str(HOOKS_FILE)}
        st_env["PSA_FUZZ_SCHEMA"] = str(schema_path)  # the hooks read which fields are references
        try:
            result = subprocess.run(args, env=st_env, cwd=data_dir, timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"schemathesis did not finish within PSA_FUZZ_TIMEOUT={timeout} s")
            return 1
    finally:
        if server is not None:
            server.stop()
        if seeder is not None:
            seeder.stop()
        database.drop()
        redis_database.flush()
    tested, failing, by_check = summarize(report_dir / "junit.xml")
    log(f"{tested} operations, {failing} failing, in {time.monotonic() - started:.0f} s")
    for title, count in by_check.most_common():
        log(f"  {count:4d}  {title}")
    if result.returncode != 0:
        strict = env_bool("PSA_FUZZ_STRICT", True)
        log(f"schemathesis reported failures (exit {result.returncode}); report in {report_dir}")
    # A closing line in the plain "N passed, N failed" form, one per operation, for whoever reads the log's end.
    print(f"fuzz: {tested - failing} passed, {failing} failed", flush=True)
    if result.returncode != 0:
        return 1 if strict else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
