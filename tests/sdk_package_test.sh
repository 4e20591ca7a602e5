#!/usr/bin/env bash
# The SDK as a plugin author gets it: install Relay into a fresh prefix (its plugins,
# never the test plugins; the sdk component alone is the SDK alone), build the
# out-of-tree examples with find_package(relay_sdk) only, run their own tests, and have
# the installed relay load them: `relay plugins` lists them, `relay check` reports a bad
# keys file by file and line, and a client with an API key gets in while one without
# is refused.
#   tests/sdk_package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
relay_pid=
cleanup() {
  if [[ -n $relay_pid ]]; then kill "$relay_pid" 2>/dev/null || true; wait "$relay_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
# The real plugins are installed, the test plugins never.
[ -f "$work/prefix/lib/relay/plugins/librelay_memory.so" ] || fail "librelay_memory.so was not installed into lib/relay/plugins"
strays=$(for f in "$build_dir"/test-plugins/librelay_*.so; do find "$work/prefix" -name "$(basename "$f")"; done)
[ -z "$strays" ] || { echo "$strays"; fail "test plugins were installed"; }
# The sdk component alone is the headers and the CMake package, nothing else.
cmake --install "$build_dir" --component sdk --prefix "$work/sdk-only" >/dev/null
others=$(cd "$work/sdk-only" && find . -type f | grep -v -e '^./include/relay/sdk/' -e '^./lib/cmake/relay_sdk/' || true)
[ -z "$others" ] || { echo "$others"; fail "--component sdk installed more than the SDK"; }
[ -f "$work/sdk-only/lib/cmake/relay_sdk/relay_sdkConfig.cmake" ] || fail "--component sdk did not install the CMake package"
relay=$work/prefix/bin/relay
for example in maxlen api_keys; do
  cmake -S "$source_dir/examples/$example" -B "$work/$example" -DCMAKE_PREFIX_PATH="$work/prefix" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
  cmake --build "$work/$example" -j2 >/dev/null
done
ctest --test-dir "$work/api_keys" --output-on-failure >"$work/api_keys_ctest.log" 2>&1 ||
  { cat "$work/api_keys_ctest.log"; fail "the api_keys example's own tests failed"; }
grep -q "100% tests passed" "$work/api_keys_ctest.log" || fail "api_keys ran no tests"

plugins="--plugin-path $work/maxlen/plugins --plugin-path $work/api_keys/plugins"
# shellcheck disable=SC2086
out=$("$relay" plugins $plugins)
grep -q "processor maxlen 1.0.0 - rejects messages longer than a limit" <<<"$out" ||
  { echo "$out"; fail "relay plugins did not list the out-of-tree processor"; }
grep -q "auth api_keys 1.0.0" <<<"$out" ||
  { echo "$out"; fail "relay plugins did not list the out-of-tree auth plugin"; }
grep -q "queue memory" <<<"$out" || { echo "$out"; fail "the installed relay did not find its own plugins"; }

# The example's pipeline, on a free port and a scratch database, with its keys file.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s|127.0.0.1:3000|127.0.0.1:$port|" -e "s|path: relay.db|path: $work/relay.db|" \
    -e "s|file: examples/api_keys/example.keys|file: $work/keys|" \
    "$source_dir/examples/api_keys/pipeline.yaml" >"$work/pipeline.yaml"
printf 'k1 alice general=join\nk-secret-2 bob general=join,shout\n' >"$work/keys"
# shellcheck disable=SC2086
if out=$("$relay" check "$work/pipeline.yaml" $plugins 2>&1); then
  echo "$out"; fail "relay check accepted a keys file with an unknown permission"
fi
grep -q "$work/keys:2: unknown permission" <<<"$out" || { echo "$out"; fail "relay check did not name the bad line"; }
grep -q "k-secret-2" <<<"$out" && { echo "$out"; fail "relay check printed a key"; }
cp "$source_dir/examples/api_keys/example.keys" "$work/keys"
# shellcheck disable=SC2086
"$relay" check "$work/pipeline.yaml" $plugins | grep -q "auth 'api_keys'" || fail "relay check did not show the auth plugin"

# shellcheck disable=SC2086
"$relay" run "$work/pipeline.yaml" $plugins --log-level warn >"$work/relay.log" 2>&1 &
relay_pid=$!
NODE_PATH=$source_dir/node_modules node - "$port" >"$work/clients.log" 2>&1 <<'JS' || { cat "$work/clients.log" "$work/relay.log"; fail "clients"; }
const { io } = require("socket.io-client");
const url = `http://127.0.0.1:${process.argv[2]}`;
function attempt(headers) {
  return new Promise((resolve) => {
    const socket = io(url, { auth: { room: "general" }, extraHeaders: headers,
                             reconnection: false, timeout: 5000 });
    socket.on("connect", () => { socket.close(); resolve("connected"); });
    socket.on("connect_error", (e) => { socket.close(); resolve(`refused: ${e.message}`); });
  });
}
(async () => {
  for (let i = 0; i < 50; i++) {  // relay starting
    const r = await attempt({ "x-api-key": "k-example-bot-9d2b47aa" });
    if (r === "connected") break;
    if (i === 49) throw new Error(`the listed key: ${r}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  const bearer = await attempt({ authorization: "Bearer k-example-alice-0c1f6a3e" });
  if (bearer !== "connected") throw new Error(`a bearer key: ${bearer}`);
  const unknown = await attempt({ "x-api-key": "k-not-listed" });
  if (unknown !== "refused: unknown API key") throw new Error(`an unlisted key: ${unknown}`);
  const none = await attempt({});
  if (none !== "refused: API key missing") throw new Error(`no key: ${none}`);
  console.log("clients ok");
})().catch((e) => { console.error(e.message); process.exit(1); });
JS
echo "ok: both examples built against the installed SDK, tested, listed, checked and run"
