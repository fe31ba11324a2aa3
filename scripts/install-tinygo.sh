#!/usr/bin/env bash
# install-tinygo.sh — installs TinyGo v0.39.0 for building the certgate filter.
#
# Follows ../shared/TOOLCHAIN.md (measured on these machines):
#   * Debian LLVM 19 packages, wasi-libc and binaryen (apt-get);
#   * Go 1.25.14 as TinyGo's GOROOT (fetched through the Go module proxy);
#   * the tinygo binary built from the module-proxy copy of v0.39.0 (-tags llvm19);
#   * Debian's prebuilt wasi-libc and compiler-rt pre-seeded into TinyGo's cache.
#
# Idempotent: every step checks what is there first. Output lives outside the
# repository, in $CERTGATE_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/certgate).
# On success it writes $CERTGATE_CACHE/tinygo.env, which the Makefile sources.
set -euo pipefail

TINYGO_VERSION=0.39.0
GO_FOR_TINYGO=go1.25.14
LLVM=19
APT_PACKAGES="llvm-${LLVM}-dev libclang-${LLVM}-dev clang-${LLVM} lld-${LLVM} libclang-rt-${LLVM}-dev-wasm32 wasi-libc binaryen"

CACHE="${CERTGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/certgate}"
TGROOT="$CACHE/tinygo-$TINYGO_VERSION"
TGCACHE="$CACHE/xdg"           # XDG_CACHE_HOME for tinygo builds
ENVFILE="$CACHE/tinygo.env"

say() { printf 'tools: %s\n' "$*"; }
die() { printf 'tools: error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$CACHE"

# 1. Debian packages.
missing=()
for p in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"
  else die "need Debian packages (${missing[*]}) but am not root and cannot use sudo without a password; install them as root: apt-get install --no-install-recommends ${missing[*]}"
  fi
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages present (LLVM $LLVM, wasi-libc, binaryen)"
fi
command -v "llvm-config-$LLVM" >/dev/null || [ -x "/usr/lib/llvm-$LLVM/bin/llvm-config" ] || die "llvm-config for LLVM $LLVM not found after install"

# 2. Go 1.25.14 for TinyGo's GOROOT.
GOROOT_TG="$(GOTOOLCHAIN=$GO_FOR_TINYGO go env GOROOT 2>/dev/null)" || die "could not fetch $GO_FOR_TINYGO through the Go module proxy"
[ -x "$GOROOT_TG/bin/go" ] || die "GOROOT for $GO_FOR_TINYGO has no bin/go: $GOROOT_TG"
gv="$("$GOROOT_TG/bin/go" env GOVERSION)"
[ "$gv" = "$GO_FOR_TINYGO" ] || die "expected $GO_FOR_TINYGO for TinyGo, got $gv"
say "TinyGo GOROOT: $GOROOT_TG ($gv)"

# 3. TinyGo source (module-proxy copy) and binary.
if [ -x "$TGROOT/build/tinygo" ] && "$TGROOT/build/tinygo" version 2>/dev/null | grep -q "tinygo version $TINYGO_VERSION"; then
  say "tinygo $TINYGO_VERSION already built in $TGROOT"
else
  say "fetching github.com/tinygo-org/tinygo@v$TINYGO_VERSION from the module proxy"
  src="$(GOFLAGS=-mod=mod go mod download -json "github.com/tinygo-org/tinygo@v$TINYGO_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$src" ] || die "module download gave no directory"
  rm -rf "$TGROOT.tmp"
  cp -r "$src" "$TGROOT.tmp"
  chmod -R u+w "$TGROOT.tmp"
  mkdir -p "$TGROOT.tmp/src/net"   # git submodule missing from the module zip; unused by the filter
  say "building tinygo (go build -tags llvm$LLVM; about a minute)"
  (cd "$TGROOT.tmp" && PATH="/usr/lib/llvm-$LLVM/bin:$PATH" go build -tags "llvm$LLVM" -o build/tinygo .)
  rm -rf "$TGROOT"
  mv "$TGROOT.tmp" "$TGROOT"
fi

# 4. Debian's prebuilt wasi-libc and compiler-rt in TinyGo's cache.
libc_dir="$TGCACHE/tinygo/wasi-libc-wasm32-unknown-wasi-generic"
rt_dir="$TGCACHE/tinygo/compiler-rt-wasm32-unknown-wasi-generic"
mkdir -p "$libc_dir" "$rt_dir"
ln -sfn /usr/lib/wasm32-wasi/libc.a "$libc_dir/lib.a"
ln -sfn /usr/include/wasm32-wasi "$libc_dir/include"
ln -sfn "/usr/lib/llvm-$LLVM/lib/clang/$LLVM/lib/wasi/libclang_rt.builtins-wasm32.a" "$rt_dir/lib.a"
for f in "$libc_dir/lib.a" "$libc_dir/include" "$rt_dir/lib.a"; do
  [ -e "$f" ] || die "prebuilt library missing: $f -> $(readlink "$f")"
done

cat > "$ENVFILE.tmp" <<ENV
export GOROOT=$GOROOT_TG
export TINYGOROOT=$TGROOT
export XDG_CACHE_HOME=$TGCACHE
export PATH=$TGROOT/build:$GOROOT_TG/bin:\$PATH
export GOTOOLCHAIN=local
export GOWORK=off
ENV
mv "$ENVFILE.tmp" "$ENVFILE"
( . "$ENVFILE"; say "ready: $(tinygo version)" )
