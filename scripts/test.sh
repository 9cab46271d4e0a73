#!/usr/bin/env bash
# Install what the tests need on a fresh Debian machine, then lint and run the whole suite on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: Chromium for the browser tests (launched from /usr/bin/chromium, never downloaded by a test
# tool), GDAL's ogrinfo as a real OGC API – Features client, CJK fonts so pages render Chinese, and the
# PostgreSQL client for pg_isready.
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/ogrinfo ] || need+=(gdal-bin)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v pg_isready >/dev/null || need+=(postgresql-client)
command -v gpsdecode >/dev/null || need+=(gpsd-clients)  # gpsd's reference AIS decoder (bench and conformance)
command -v pdftotext >/dev/null || need+=(poppler-utils)  # reads the printed vessel file back in a test
ldconfig -p 2>/dev/null | grep -q "libpango-1.0" || need+=(libpango-1.0-0 libpangoft2-1.0-0)  # WeasyPrint
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# PostgreSQL on 127.0.0.1:5432 (database "test"): start the local cluster if it is not answering.
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

# The project and its test tools in a virtual environment.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'

.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
.venv/bin/mypy

# One pytest run covers both databases: every database test is parametrised over sqlite and postgresql.
exec .venv/bin/pytest -n 2 -p no:cacheprovider "$@"
