#!/usr/bin/env bash
# Creates bench/.venv and installs the pinned dbt and SQLMesh versions the peer benchmark compares
# sluice with. Idempotent: a second run only checks the pins and says so.
#
#   bash bench/peers/install.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
venv="$(cd "$here/.." && pwd)/.venv"
python="${PYTHON:-python3.11}"

pins=(
  "dbt-core==1.11.16"
  "dbt-duckdb==1.11.1"
  "dbt-postgres==1.11.0"
  "sqlmesh[postgres]==0.236.4"
  "duckdb==1.5.6"
)

if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv with $($python --version)"
  "$python" -m venv "$venv"
else
  echo "using existing $venv ($("$venv/bin/python" --version))"
fi

if "$venv/bin/python" -m pip show --quiet dbt-core dbt-duckdb dbt-postgres sqlmesh duckdb >/dev/null 2>&1 \
  && "$venv/bin/python" - "${pins[@]}" <<'PY'
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    name = name.split("[")[0]
    if version(name) != want:
        sys.exit(1)
PY
then
  echo "pinned versions already installed"
else
  echo "installing ${pins[*]}"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet "${pins[@]}"
fi

echo "installed:"
"$venv/bin/dbt" --version | sed 's/^/  /'
echo "  sqlmesh $("$venv/bin/sqlmesh" --version)"
echo "  duckdb (python) $("$venv/bin/python" -c 'import duckdb; print(duckdb.__version__)')"
