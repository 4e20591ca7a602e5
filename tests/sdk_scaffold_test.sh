#!/usr/bin/env bash
# What relay-new-plugin writes, as a plugin author gets it: install Relay into a fresh
# prefix, run the installed bin/relay-new-plugin for every kind, build each plugin with
# find_package(relay_sdk) only and -Werror, run its tests (its kind's contract kit; a
# start/stop test for a transport), and have the installed relay list each one. Also
# that the tool refuses what it must: an unknown kind, a bad name, a directory in use.
#   tests/sdk_scaffold_test.sh BUILD_DIR
set -euo pipefail
build_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
new_plugin=$work/prefix/bin/relay-new-plugin
[ -x "$new_plugin" ] || fail "relay-new-plugin was not installed into bin/"

"$new_plugin" widget my_widget "$work/bad" 2>"$work/err" && fail "an unknown kind was accepted"
grep -q "unknown kind 'widget'" "$work/err" || { cat "$work/err"; fail "no reason for the unknown kind"; }
"$new_plugin" store My-Store "$work/bad" 2>"$work/err" && fail "a bad name was accepted"
grep -q "is not a plugin name" "$work/err" || { cat "$work/err"; fail "no reason for the bad name"; }
mkdir -p "$work/used" && touch "$work/used/file"
"$new_plugin" store my_store "$work/used" 2>"$work/err" && fail "a directory in use was written to"
[ ! -e "$work/bad" ] || fail "a refused call wrote files"

plugins=
for kind in transport queue presence store processor auth; do
  name=my_$kind
  dir=$work/$name
  "$new_plugin" "$kind" "$name" "$dir" >/dev/null
  cmake -S "$dir" -B "$dir/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >"$dir/build.log" 2>&1 &&
    cmake --build "$dir/build" -j2 >>"$dir/build.log" 2>&1 ||
    { cat "$dir/build.log"; fail "the $kind scaffold did not build against the installed SDK"; }
  ctest --test-dir "$dir/build" --output-on-failure >"$dir/ctest.log" 2>&1 ||
    { cat "$dir/ctest.log"; fail "the $kind scaffold's tests failed"; }
  grep -q "100% tests passed" "$dir/ctest.log" || fail "the $kind scaffold ran no tests"
  cmake --install "$dir/build" --prefix "$work/installed" >/dev/null
  [ -f "$work/installed/lib/relay/plugins/librelay_$name.so" ] ||
    fail "the $kind scaffold did not install into lib/relay/plugins"
  plugins+=" --plugin-path $dir/build/plugins"
done

# shellcheck disable=SC2086
out=$("$work/prefix/bin/relay" plugins $plugins)
for kind in transport queue presence store processor auth; do
  grep -q "$kind my_$kind 0.1.0" <<<"$out" || { echo "$out"; fail "relay plugins did not list my_$kind"; }
done
echo "ok: a scaffold of every kind built against the installed SDK, passed its tests and loaded"
