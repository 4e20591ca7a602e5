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
# The real plugins are installed, the test plugins never.
[ -f "$work/prefix/lib/relay/plugins/librelay_memory.so" ] || {
  echo "librelay_memory.so was not installed into lib/relay/plugins"; exit 1; }
strays=$(find "$work/prefix" -name 'librelay_*.so' | grep -E 'librelay_(testpass|testline|throwing|oldabi|tokentable)\.so' || true)
[ -z "$strays" ] || { echo "test plugins were installed:"; echo "$strays"; exit 1; }
# The sdk component alone is the headers and the CMake package, nothing else.
cmake --install "$build_dir" --component sdk --prefix "$work/sdk-only" >/dev/null
others=$(cd "$work/sdk-only" && find . -type f | grep -v -e '^./include/relay/sdk/' -e '^./lib/cmake/relay_sdk/' || true)
[ -z "$others" ] || { echo "--component sdk installed more than the SDK:"; echo "$others"; exit 1; }
[ -f "$work/sdk-only/lib/cmake/relay_sdk/relay_sdkConfig.cmake" ] || {
  echo "--component sdk did not install the CMake package"; exit 1; }
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
