#!/bin/sh
# The Debian packages that `make test` and `make run` need, installed when missing:
#   chromium                  the Playwright journeys (tests/e2e) and the page crawl
#   libreoffice-writer-nogui  .docx -> PDF (documents, the PDF layout test)
#   fonts-liberation2         fonts metric-compatible with Times New Roman
#   poppler-utils             pdftotext / pdfinfo in the PDF tests
#   softhsm2                  a PKCS#11 token for the signing tests
#   nginx                     the production layout run whole (tests/security/test_nginx_layout.py);
#                             its service is not used: the test starts its own, as the current user
#   default-jre-headless      only when `java` is missing (the Nu Html Checker, npm vnu-jar)
#   nodejs npm                only when `node` / `npm` are missing
# Nothing missing: exit 0 at once. Missing and root with apt-get: apt-get install. Otherwise one line on
# stderr naming the packages and the command, and exit 1, before any test runs.
# DOITHOAI_SKIP_SYSTEM_PACKAGES=1 skips the check (a machine that provides these some other way).
set -eu

[ "${DOITHOAI_SKIP_SYSTEM_PACKAGES:-}" = "1" ] && exit 0

has() { command -v "$1" >/dev/null 2>&1; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

need=""
has chromium || need="$need chromium"
has soffice || need="$need libreoffice-writer-nogui"
# fonts: the package, or the font files themselves on a system without dpkg
if ! installed fonts-liberation2 && ! ls /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf >/dev/null 2>&1
then need="$need fonts-liberation2"; fi
has pdftotext || need="$need poppler-utils"
has softhsm2-util || need="$need softhsm2"
# nginx is in /usr/sbin, which a user's PATH may lack
has nginx || [ -x /usr/sbin/nginx ] || need="$need nginx"
has java || need="$need default-jre-headless"
has node || need="$need nodejs"
has npm || need="$need npm"
need="${need# }"

[ -z "$need" ] && exit 0

if [ "$(id -u)" = "0" ] && has apt-get; then
  echo "system-packages: installing $need" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $need >/dev/null
  exit 0
fi

echo "system-packages: missing $need; install them with: sudo apt-get install -y --no-install-recommends $need" >&2
exit 1
