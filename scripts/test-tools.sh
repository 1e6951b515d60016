#!/bin/sh
# The validators the page crawl runs (tests/e2e/test_validators.py): the Nu Html Checker (vnu-jar, run with the
# machine's java) and axe-core, from npm into tests/tools/node_modules, pinned by tests/tools/package-lock.json.
# `make test` runs this once (again only when the lock file changes); the tests never download anything.
set -eu
cd "$(dirname "$0")/../tests/tools"
if ! command -v npm >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then
    echo "test-tools: npm and java are needed for the page validators: apt-get install -y npm default-jre-headless" >&2
    exit 1
fi
# --ignore-scripts: vnu-jar's postinstall would fetch a Java runtime; the machine's java runs the jar.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
touch node_modules/.installed
