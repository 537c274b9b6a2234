# PSA: two commands do everything.
#   make run    set up .venv, migrate, load demo data, start web + Celery worker + beat (Ctrl-C stops all)
#   make test   install the dev dependencies and run every check, the whole test suite and the bounded schemathesis run
# See README.md.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help
.PHONY: help run test install install-dev chromium check lint format clean-test bench bench-connectwise bench-search bench-itflow bench-instructions fuzz fuzz-bounded

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PSA_PORT ?= 8000
# Tests never touch the data (database, broker, local secrets) of `make run`.
TEST_DATA_DIR := $(CURDIR)/var/test
# kombu's filesystem transport has no fan-out clean-up: keep the worker from creating per-process event queues.
WORKER_FLAGS := --without-gossip --without-mingle --without-heartbeat
PYTEST_ARGS ?=
# The suite runs in this many processes (pytest-xdist), each with data of its own (tests/xdist_isolation.py); a file's
# tests stay in one process, so a module's shared fixtures are built once. PYTEST_WORKERS=0 runs it in this process.
PYTEST_WORKERS ?= 2

# Keep the generated requirement lists and install stamps (make would delete pattern intermediates).
.PRECIOUS: $(VENV)/requirements-%.txt $(VENV)/.installed-%

help:
	@echo "make run    start PSA on http://127.0.0.1:$(PSA_PORT)/ with demo data (web, Celery worker, Celery beat)"
	@echo "make test   checks, linters and the whole test suite (data in var/test)"

# --- environment ---------------------------------------------------------------------------------------

$(PY):
	@py="$(PYTHON)"
	if [ -z "$$py" ]; then echo "error: Python 3.11 not found (looked for python3.11, then python3)" >&2; exit 1; fi
	if ! "$$py" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)'; then
	  echo "error: PSA needs Python 3.11; $$py is $$("$$py" -V 2>&1)" >&2; exit 1
	fi
	echo "==> creating $(VENV) with $$("$$py" -V 2>&1)"
	if ! "$$py" -m venv $(VENV); then
	  rm -rf $(VENV)
	  ver=$$("$$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	    echo "==> installing python$$ver-venv (Debian splits venv out of Python)"
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python$$ver-venv" >/dev/null
	    "$$py" -m venv $(VENV)
	  else
	    echo "error: '$$py -m venv' failed; on Debian/Ubuntu install python$$ver-venv" >&2; exit 1
	  fi
	fi

# The pins live in pyproject.toml; install exactly those (runtime, or runtime + dev) without building a wheel.
$(VENV)/requirements-%.txt: pyproject.toml | $(PY)
	@$(PY) -c 'import sys, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; extra = p["optional-dependencies"]["dev"] if sys.argv[1] == "dev" else []; print("\n".join(p["dependencies"] + extra))' $* > $@

$(VENV)/.installed-%: $(VENV)/requirements-%.txt
	@echo "==> installing $* dependencies into $(VENV)"
	$(PY) -m pip install --disable-pip-version-check --quiet -r $<
	touch $@

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

# Browser tests (tests/e2e) drive Debian's chromium through Playwright (executable_path=/usr/bin/chromium).
chromium:
	@if command -v chromium >/dev/null 2>&1; then exit 0; fi
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	  echo "==> installing chromium with apt-get (browser tests)"
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	else
	  echo "warning: chromium is missing and cannot be installed here (needs root and apt-get); browser tests will fail" >&2
	fi

# --- make run ------------------------------------------------------------------------------------------

run: install
	@umask 077
	export PSA_DATA_DIR="$${PSA_DATA_DIR:-$(CURDIR)/var}"
	data="$$PSA_DATA_DIR"; port="$(PSA_PORT)"; url="http://127.0.0.1:$$port"
	logs="$$data/log"
	mkdir -p "$$logs"
	echo "==> migrating the database"
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	echo "==> demo data, admin and API key"
	# Held in memory only: the API key is never written anywhere.
	boot="$$($(PY) manage.py bootstrap_demo --url "$$url" --show-saved-password)"
	pids=()
	stop() {
	  trap - EXIT INT TERM HUP
	  echo; echo "==> stopping web, worker and beat"
	  kill -TERM "$${pids[@]}" 2>/dev/null || true
	  wait "$${pids[@]}" 2>/dev/null || true
	}
	trap stop EXIT
	trap 'exit 0' INT  # Ctrl-C is the normal way to stop
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	echo "==> starting gunicorn, Celery worker and Celery beat (logs in $$logs)"
	# Each in a session of its own (setsid), so Ctrl-C reaches this shell only and its trap stops all three;
	# otherwise bash would take a child's clean exit on SIGINT as "the child handled it" and not run the trap.
	detach=(); if command -v setsid >/dev/null 2>&1; then detach=(setsid); fi
	"$${detach[@]}" $(BIN)/gunicorn psa.wsgi:application --bind "127.0.0.1:$$port" --workers 2 --timeout 60 \
	  --worker-class gthread --threads 4 --keep-alive 5 \
	  --access-logfile - --error-logfile - >>"$$logs/web.log" 2>&1 &
	pids+=($$!)
	"$${detach[@]}" $(BIN)/celery -A psa worker --loglevel INFO --concurrency 2 $(WORKER_FLAGS) >>"$$logs/worker.log" 2>&1 &
	pids+=($$!)
	"$${detach[@]}" $(BIN)/celery -A psa beat --loglevel INFO >>"$$logs/beat.log" 2>&1 &
	pids+=($$!)
	# The ConnectWise simulator behind the demo source (PSA_DEMO_INTEGRATIONS=false: not started).
	cw_port="$${PSA_DEMO_CONNECTWISE_PORT:-8011}"; demo_cw=0
	case "$${PSA_DEMO_INTEGRATIONS:-true}" in 0|false|no|off|FALSE|False) ;; *) demo_cw=1 ;; esac
	if [ "$$demo_cw" = 1 ]; then
	  "$${detach[@]}" $(PY) manage.py simulate connectwise --port "$$cw_port" >>"$$logs/connectwise-simulator.log" 2>&1 &
	  pids+=($$!)
	  # And the Hudu simulator behind the demo Hudu source.
	  hudu_port="$${PSA_DEMO_HUDU_PORT:-8012}"
	  "$${detach[@]}" $(PY) manage.py simulate hudu --port "$$hudu_port" >>"$$logs/hudu-simulator.log" 2>&1 &
	  pids+=($$!)
	  "$${detach[@]}" $(PY) manage.py simulate unifi --port "$${PSA_DEMO_UNIFI_PORT:-8013}" >>"$$logs/unifi-simulator.log" 2>&1 &
	  pids+=($$!)
	fi
	ready=0
	for _ in $$(seq 60); do
	  if (exec 3<>"/dev/tcp/127.0.0.1/$$port") 2>/dev/null; then ready=1; break; fi
	  for pid in "$${pids[@]}"; do
	    kill -0 "$$pid" 2>/dev/null || { echo "error: a process exited at start-up; see $$logs/" >&2; tail -n 20 "$$logs"/*.log >&2; exit 1; }
	  done
	  sleep 1
	done
	if [ "$$ready" != 1 ]; then echo "error: nothing listens on 127.0.0.1:$$port after 60 s; see $$logs/web.log" >&2; exit 1; fi
	# Beat's first heartbeat comes one interval after start: send one now so /healthz is green at once.
	$(BIN)/celery -A psa call psa.tasks.heartbeat >/dev/null
	# Likewise the integrations' dispatcher: the demo source's first sync starts now, not a minute later.
	$(BIN)/celery -A psa call integrations.tasks.dispatch_due >/dev/null
	line() { printf '  %-16s %s\n' "$$1" "$$2"; }
	echo
	echo "  PSA is running. Open $$url/ and sign in."
	echo
	line "Web UI:" "$$url/"
	line "API:" "$$url/api/v1/  (Swagger UI: $$url/api/docs/, schema: $$url/api/v1/schema/)"
	line "Health:" "$$url/healthz"
	echo "$$boot" | sed 's/^/  /'
	line "Data:" "$$data/  (local secrets, logs, beat schedule; the database and broker are named above)"
	line "Local secrets:" "$$data/secret_key, api_key_pepper, vault_master_key, demo-admin-password  (mode 0600)"
	line "Logs:" "$$logs/web.log, worker.log, beat.log"
	if [ "$$demo_cw" = 1 ]; then line "CW simulator:" "http://127.0.0.1:$$cw_port/ (demo ConnectWise; log connectwise-simulator.log)"; fi
	if [ "$$demo_cw" = 1 ]; then line "Hudu simulator:" "http://127.0.0.1:$$hudu_port/ (demo Hudu; log hudu-simulator.log)"; fi
	if [ "$$demo_cw" = 1 ]; then line "UniFi simulator:" "http://127.0.0.1:$${PSA_DEMO_UNIFI_PORT:-8013}/ (demo UniFi OS; log unifi-simulator.log)"; fi
	echo
	echo "  Press Ctrl-C to stop web, worker and beat. Running make run again keeps the data."
	status=0
	wait -n "$${pids[@]}" || status=$$?
	echo "error: a process stopped unexpectedly (status $$status); see $$logs/" >&2
	exit 1

# --- make test -----------------------------------------------------------------------------------------

test: install-dev chromium
	@export PSA_DATA_DIR="$(TEST_DATA_DIR)"
	mkdir -p "$$PSA_DATA_DIR"
	echo "==> manage.py check";                 $(PY) manage.py check
	echo "==> makemigrations --check";          $(PY) manage.py makemigrations --check --dry-run
	echo "==> spectacular --validate";          $(PY) manage.py spectacular --validate --fail-on-warn --file "$$PSA_DATA_DIR/openapi.yaml"
	echo "==> ruff check";                      $(BIN)/ruff check .
	echo "==> ruff format --check";             $(BIN)/ruff format --check .
	echo "==> pytest";                          $(PY) -m pytest -p tests.xdist_isolation -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
	echo "==> schemathesis (bounded)";          $(FUZZ_BOUNDED) $(PY) tests/fuzz/run_schemathesis.py

# Schemathesis against a seeded live server (tests/fuzz), strict: exits non-zero on any failure. `make fuzz` runs
# every phase (examples, coverage, fuzzing, stateful); `make fuzz-bounded` the FUZZ_BOUNDED profile: a few seeded
# examples per operation in one worker, so it takes minutes, not tens of minutes, and sends the same requests.
FUZZ_BOUNDED ?= PSA_FUZZ_PHASES=fuzzing PSA_FUZZ_MAX_EXAMPLES=4 PSA_FUZZ_WORKERS=1 PSA_FUZZ_TIMEOUT=1200
fuzz-bounded: install-dev
	@export PSA_DATA_DIR="$(TEST_DATA_DIR)"
	mkdir -p "$$PSA_DATA_DIR"
	$(FUZZ_BOUNDED) $(PY) tests/fuzz/run_schemathesis.py

fuzz: install-dev
	@export PSA_DATA_DIR="$(TEST_DATA_DIR)"
	mkdir -p "$$PSA_DATA_DIR"
	$(PY) tests/fuzz/run_schemathesis.py

clean-test:
	rm -rf "$(TEST_DATA_DIR)"

# --- helpers -------------------------------------------------------------------------------------------

# Issue 14's table at a large MSP's scale (sizes are arguments; the data is generated once per database).
BENCH_TICKETS_ARGS ?= --clients 2000 --tickets 250000 --comments 2500000 --assets 50000
bench: install
	$(PY) bench/bench_api.py $(BENCH_ARGS)
	env -u PSA_DATABASE_URL -u PSA_REDIS_URL PSA_DATA_DIR=$(CURDIR)/var/bench-tickets \
	  $(PY) bench/bench_tickets.py --floor $(BENCH_TICKETS_ARGS)
	$(PY) bench/bench_http.py --data-dir $(CURDIR)/var/bench-tickets
	$(PY) bench/bench_itflow.py --skip-if-missing --itflow-src "$(ITFLOW_SRC)" --data-dir $(CURDIR)/var/bench-tickets
	if [ -n "$${PSA_DATABASE_URL:-}" ]; then
	  PSA_DATA_DIR=$(CURDIR)/var/bench-tickets-pg $(PY) bench/bench_tickets.py --floor $(BENCH_TICKETS_ARGS)
	  $(PY) bench/bench_http.py --data-dir $(CURDIR)/var/bench-tickets-pg --database-url "$$PSA_DATABASE_URL" \
	    --redis-url "$${PSA_REDIS_URL:-}"
	fi
	$(MAKE) bench-connectwise
	$(MAKE) bench-search

# Issue 14's HTTP comparison with ITFlow on the same rows (bench/bench_itflow.py; README "Continuous integration and
# benchmarks"). Needs ITFlow's source (ITFLOW_SRC=<checkout>) and php-fpm, php-mysql, php-mbstring, mariadb-server
# and nginx installed; it says what is missing instead of starting. `make bench` runs it only when all is there.
ITFLOW_SRC ?=
BENCH_ITFLOW_DATA ?= $(CURDIR)/var/bench-tickets
bench-itflow: install
	$(PY) bench/bench_itflow.py --itflow-src "$(ITFLOW_SRC)" --data-dir $(BENCH_ITFLOW_DATA) $(BENCH_ITFLOW_ARGS)

# Issue 11's ConnectWise first sync at its goal's scale: SQLite, and PostgreSQL when PSA_DATABASE_URL is set.
# The search goals of issue 14 at a large MSP's scale (250,000 tickets, 2,500,000 comments): generated once per engine
# into its own data directory, then reused.
# Instructions per request under valgrind (bench/request_instructions.py): steady on a loaded machine, where times
# are not. On the ticket data of `make bench` (SQLite); needs valgrind (apt-get install valgrind).
BENCH_INSTRUCTIONS_ARGS ?= --routes asset,clients,tickets
bench-instructions: install
	env -u PSA_DATABASE_URL -u PSA_REDIS_URL PSA_DATA_DIR=$(CURDIR)/var/bench-tickets \
	  $(PY) bench/request_instructions.py $(BENCH_INSTRUCTIONS_ARGS)

bench-search: install
	env -u PSA_DATABASE_URL -u PSA_REDIS_URL PSA_DATA_DIR=$(CURDIR)/var/bench-search $(PY) bench/bench_search.py
	if [ -n "$${PSA_DATABASE_URL:-}" ]; then
	  PSA_DATA_DIR=$(CURDIR)/var/bench-search-pg $(PY) bench/bench_search.py
	fi

bench-connectwise: install
	$(PY) bench/bench_connectwise.py
	if [ -n "$${PSA_DATABASE_URL:-}" ]; then
	  $(PY) bench/bench_connectwise.py --database-url "$$PSA_DATABASE_URL"
	fi
