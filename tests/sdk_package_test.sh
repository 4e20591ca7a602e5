#!/usr/bin/env bash
# The SDK as a plugin author gets it: install Relay into a fresh prefix, build the
# out-of-tree example plugin with find_package(relay_sdk) only, and have the
# installed relay list it.
#   tests/sdk_package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/examples/maxlen" -B "$work/maxlen" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/maxlen" >/dev/null
plugin_dir=$(dirname "$(find "$work/maxlen" -name librelay_maxlen.so | head -1)")
out=$("$work/prefix/bin/relay" plugins --plugin-path "$plugin_dir")
echo "$out" | grep -q "processor maxlen 1.0.0 - rejects messages longer than a limit" || {
  echo "relay plugins did not list the out-of-tree plugin:"; echo "$out"; exit 1; }
echo "$out" | grep -q "queue memory" || {
  echo "the installed relay did not find its own plugins:"; echo "$out"; exit 1; }
echo "1 passed, 0 failed"
