#!/usr/bin/env bash
# build-deb.sh ARCH BINARY OUTPUT: a Debian package of a static binary, with
# dpkg-deb alone (no debhelper, no cargo-deb: the layout is six files):
#   /usr/bin/coffee-shop                    the binary
#   /etc/coffee-shop/config.toml            a conffile: commented, the settings a café touches
#   /lib/systemd/system/coffee-shop.service the hardened unit
#   /usr/share/doc/coffee-shop/             copyright, changelog
#   /usr/share/man/man1/coffee-shop.1.gz    the manual page
#   /usr/share/lintian/overrides/coffee-shop  why a static binary is right here
# and the maintainer scripts in packaging/debian/ (the user, the data folder,
# the service; README: "Debian and Ubuntu" says what install, remove and
# purge do).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

arch=$1 binary=$2 output=$3
version=$(crate_version)
# Reproducible: every date in the package is the commit's.
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"
install -D -m 0755 "$binary" "$root/usr/bin/coffee-shop"
install -D -m 0644 packaging/debian/config.toml "$root/etc/coffee-shop/config.toml"
install -D -m 0644 packaging/debian/coffee-shop.service "$root/lib/systemd/system/coffee-shop.service"
install -D -m 0644 packaging/debian/copyright "$root/usr/share/doc/coffee-shop/copyright"
# lintian sees a static binary (aarch64) and a static-pie one (x86_64) as
# different problems; each override file says why it is none.
kind=static
file -b "$binary" | grep -q "static-pie linked" && kind=static-pie
install -D -m 0644 "packaging/debian/lintian-overrides.$kind" "$root/usr/share/lintian/overrides/coffee-shop"
mkdir -p "$root/usr/share/man/man1"
gzip -9n <packaging/debian/coffee-shop.1 >"$root/usr/share/man/man1/coffee-shop.1.gz"
{
  echo "coffee-shop ($version) unstable; urgency=medium"
  echo
  echo "  * Release $version: see the README for what is in it."
  echo
  echo " -- coffee-shop maintainers <maintainers@coffee-shop.invalid>  $(date -R -u -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$root/usr/share/doc/coffee-shop/changelog.gz"

mkdir -p "$root/DEBIAN"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
echo /etc/coffee-shop/config.toml >"$root/DEBIAN/conffiles"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
installed_kib=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: coffee-shop
Version: $version
Architecture: $arch
Maintainer: coffee-shop maintainers <maintainers@coffee-shop.invalid>
Installed-Size: $installed_kib
Depends: adduser
Section: web
Priority: optional
Description: drinks menu server for a café, in one binary
 coffee-shop serves a café's drinks menu: a JSON API for the mobile app,
 admin pages for managers, HTTPS with certificates from Let's Encrypt,
 scheduled backups (also to an S3 bucket) and Prometheus metrics, from one
 static binary and one SQLite file. Sign-in is delegated to Auth0 or another
 OpenID Connect provider.
 .
 The package runs it as the coffee-shop service, as the user of the same
 name, with its data in /var/lib/coffee-shop (kept when the package is
 removed or purged) and its settings in /etc/coffee-shop/config.toml.
EOF
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$root" "$output" >/dev/null
echo "build-deb: $output ($(stat -c %s "$output") bytes)"
