#!/usr/bin/env bash
# smoke-deb.sh [DIR]: checks the Debian packages in DIR (default dist/), then
# installs the amd64 one on this machine (as root), runs it, and purges it.
#   - contents and maintainer scripts (dpkg-deb -c / -I), lintian with no
#     error or warning (each override in packaging/debian/lintian-overrides
#     says why);
#   - dpkg -i with no running systemd: the unit is installed, not enabled,
#     not started; the user, the data folder (0750) and the conffile are there;
#   - the binary runs as that user against /var/lib/coffee-shop;
#   - dpkg --purge leaves only the data folder (as the README says), which
#     this test then deletes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

dir=${1:-dist}
fail() {
  echo "smoke-deb: $*" >&2
  exit 1
}
[ "$(id -u)" -eq 0 ] || fail "run as root: it installs the package"
[ -d /run/systemd/system ] && fail "systemd is running here; this test expects a machine without it"

for deb in "$dir"/coffee-shop_*_amd64.deb "$dir"/coffee-shop_*_arm64.deb; do
  [ -f "$deb" ] || fail "no $deb (scripts/build-release.sh makes it)"
  contents=$(dpkg-deb -c "$deb")
  for path in ./usr/bin/coffee-shop ./etc/coffee-shop/config.toml ./lib/systemd/system/coffee-shop.service \
    ./usr/share/doc/coffee-shop/copyright ./usr/share/man/man1/coffee-shop.1.gz; do
    grep -q " $path\$" <<<"$contents" || fail "$deb lacks $path"
  done
  grep -q "var/lib" <<<"$contents" && fail "$deb ships /var/lib: the data folder must be made by postinst, so dpkg never removes it"
  info=$(dpkg-deb -I "$deb")
  for script in postinst prerm postrm conffiles; do
    grep -q " $script" <<<"$info" || fail "$deb has no $script"
  done
  [ "$(dpkg-deb -f "$deb" Package)" = coffee-shop ] || fail "$deb: wrong Package"
  [ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/coffee-shop/config.toml ] \
    || fail "$deb: the config is not the conffile"
  # --fail-on: errors and warnings fail; information tags are printed.
  lintian --fail-on error,warning "$deb" || fail "lintian found problems in $deb"
done
[ "$(dpkg-deb -f "$dir"/coffee-shop_*_arm64.deb Architecture)" = arm64 ] || fail "the arm64 package is not arm64"

deb=$(ls "$dir"/coffee-shop_*_amd64.deb)
dpkg --purge coffee-shop >/dev/null 2>&1 || true
rm -rf /var/lib/coffee-shop
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; dpkg --purge coffee-shop >/dev/null 2>&1; rm -rf /var/lib/coffee-shop' EXIT
dpkg -i "$deb"

user=$(getent passwd coffee-shop) || fail "no coffee-shop user"
uid=$(cut -d: -f3 <<<"$user")
[ "$uid" -lt 1000 ] || fail "coffee-shop is not a system user (uid $uid)"
[[ "$(cut -d: -f7 <<<"$user")" == */nologin ]] || fail "coffee-shop can log in: $user"
getent group coffee-shop >/dev/null || fail "no coffee-shop group"
[ "$(stat -c '%a %U %G' /var/lib/coffee-shop)" = "750 coffee-shop coffee-shop" ] \
  || fail "/var/lib/coffee-shop is $(stat -c '%a %U %G' /var/lib/coffee-shop), not 750 coffee-shop coffee-shop"
[ "$(stat -c '%a %U %G' /etc/coffee-shop/config.toml)" = "640 root coffee-shop" ] \
  || fail "/etc/coffee-shop/config.toml is $(stat -c '%a %U %G' /etc/coffee-shop/config.toml)"
dpkg-query -W -f='${Conffiles}' coffee-shop | grep -q "/etc/coffee-shop/config.toml" \
  || fail "dpkg does not list the config as a conffile"
[ -f /lib/systemd/system/coffee-shop.service ] || fail "the unit is not installed"
[ -e /etc/systemd/system/multi-user.target.wants/coffee-shop.service ] \
  && fail "the unit was enabled without a running systemd"
pgrep -x coffee-shop >/dev/null && fail "the service was started without a running systemd"

# As the service runs it: the unit's user, folder, command and config (only
# the port is this test's, so nothing else on the machine is in the way).
port=$(free_port)
# setpriv, unlike runuser, becomes the program, so SIGTERM reaches it.
(cd /var/lib/coffee-shop && exec env COFFEE_SHOP__SERVER__BIND="127.0.0.1:$port" \
  setpriv --reuid=coffee-shop --regid=coffee-shop --init-groups \
  /usr/bin/coffee-shop --config /etc/coffee-shop/config.toml serve >/tmp/coffee-shop-deb.log 2>&1) &
server=$!
wait_for_url "http://127.0.0.1:$port/drinks" || { cat /tmp/coffee-shop-deb.log >&2; fail "the installed binary did not serve /drinks"; }
curl -fsS "http://127.0.0.1:$port/drinks" | grep -q '"title":"water"' || fail "no sample menu"
[ "$(stat -c %U /var/lib/coffee-shop/coffee-shop.db)" = coffee-shop ] || fail "the database is not the service user's"
kill -TERM "$server"
wait "$server" || fail "the service did not stop cleanly on SIGTERM"
server=
[ -e /var/lib/coffee-shop/coffee-shop.db-wal ] && fail "a -wal file is left: the database was not closed"

dpkg --purge coffee-shop
getent passwd coffee-shop >/dev/null && fail "purge left the user"
getent group coffee-shop >/dev/null && fail "purge left the group"
for gone in /usr/bin/coffee-shop /etc/coffee-shop /lib/systemd/system/coffee-shop.service /usr/share/doc/coffee-shop; do
  [ -e "$gone" ] && fail "purge left $gone"
done
[ -f /var/lib/coffee-shop/coffee-shop.db ] || fail "purge deleted the data; it must be kept"
echo "smoke-deb: both packages pass lintian; the amd64 one installed (user, 0750 data folder, conffile, unit not started), served as coffee-shop, and purged, keeping only /var/lib/coffee-shop"
