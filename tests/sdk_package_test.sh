#!/usr/bin/env bash
# The SDK as a plugin author gets it: install Relay into a fresh prefix (its plugins,
# never the test plugins; the sdk component alone is the SDK and relay-new-plugin),
# build every out-of-tree example with find_package(relay_sdk) only, run their own
# tests, and have the installed relay load them: `relay plugins` lists them, `relay
# check` reports a bad keys file by file and line, a client with an API key gets in
# while one without is refused, and a message sent through word_filter into the jsonl
# store reaches the other member, history and the file masked.
# (tests/sdk_scaffold_test.sh does the same for what relay-new-plugin writes.)
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
# The sdk component alone is the headers, the CMake package and the scaffold, nothing else.
cmake --install "$build_dir" --component sdk --prefix "$work/sdk-only" >/dev/null
others=$(cd "$work/sdk-only" && find . -type f | grep -v -e '^./include/relay/sdk/' -e '^./lib/cmake/relay_sdk/' \
  -e '^./bin/relay-new-plugin$' || true)
[ -z "$others" ] || { echo "$others"; fail "--component sdk installed more than the SDK"; }
[ -f "$work/sdk-only/lib/cmake/relay_sdk/relay_sdkConfig.cmake" ] || fail "--component sdk did not install the CMake package"
[ -x "$work/sdk-only/bin/relay-new-plugin" ] || fail "--component sdk did not install relay-new-plugin"
relay=$work/prefix/bin/relay
for example in maxlen api_keys word_filter jsonl_store; do
  cmake -S "$source_dir/examples/$example" -B "$work/$example" -DCMAKE_PREFIX_PATH="$work/prefix" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >"$work/${example}_build.log" 2>&1 &&
    cmake --build "$work/$example" -j2 >>"$work/${example}_build.log" 2>&1 ||
    { cat "$work/${example}_build.log"; fail "the $example example did not build against the installed SDK"; }
done
for example in api_keys word_filter jsonl_store; do
  ctest --test-dir "$work/$example" --output-on-failure >"$work/${example}_ctest.log" 2>&1 ||
    { cat "$work/${example}_ctest.log"; fail "the $example example's own tests failed"; }
  grep -q "100% tests passed" "$work/${example}_ctest.log" || fail "$example ran no tests"
done

plugins="--plugin-path $work/maxlen/plugins --plugin-path $work/api_keys/plugins"
plugins+=" --plugin-path $work/word_filter/plugins --plugin-path $work/jsonl_store/plugins"
# shellcheck disable=SC2086
out=$("$relay" plugins $plugins)
grep -q "processor maxlen 1.0.0 - rejects messages longer than a limit" <<<"$out" ||
  { echo "$out"; fail "relay plugins did not list the out-of-tree processor"; }
grep -q "auth api_keys 1.0.0" <<<"$out" ||
  { echo "$out"; fail "relay plugins did not list the out-of-tree auth plugin"; }
grep -q "processor word_filter 1.0.0" <<<"$out" ||
  { echo "$out"; fail "relay plugins did not list word_filter"; }
grep -q "store jsonl 1.0.0" <<<"$out" || { echo "$out"; fail "relay plugins did not list the jsonl store"; }
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
kill "$relay_pid"; wait "$relay_pid" 2>/dev/null || true; relay_pid=

# The examples' own pipelines validate as shipped (on a free port, a scratch directory).
for example in word_filter jsonl_store; do
  sed -e "s|127.0.0.1:3000|127.0.0.1:$port|" -e "s|path: relay.db|path: $work/relay.db|" \
      -e "s|path: history.jsonl|path: $work/check.jsonl|" \
      "$source_dir/examples/$example/pipeline.yaml" >"$work/$example.yaml"
  # shellcheck disable=SC2086
  "$relay" check "$work/$example.yaml" $plugins >"$work/check.log" 2>&1 ||
    { cat "$work/check.log"; fail "relay check refused examples/$example/pipeline.yaml"; }
done

# word_filter masks a message on its way into the jsonl store: the other member, history
# and the file all get it masked.
cat >"$work/filtered.yaml" <<YAML
transport:
  use: websocket
  listen: 127.0.0.1:$port
store:
  use: jsonl
  path: $work/history.jsonl
processors:
  - use: word_filter
    words: [darn, heck]
YAML
# shellcheck disable=SC2086
"$relay" run "$work/filtered.yaml" $plugins --log-level warn >"$work/relay.log" 2>&1 &
relay_pid=$!
NODE_PATH=$source_dir/node_modules node - "$port" >"$work/clients.log" 2>&1 <<'JS' || { cat "$work/clients.log" "$work/relay.log"; fail "word_filter and jsonl clients"; }
const { io } = require("socket.io-client");
const url = `http://127.0.0.1:${process.argv[2]}`;
function connect(user) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { auth: { room: "general", user }, reconnection: false, timeout: 5000 });
    socket.on("connect", () => resolve(socket));
    socket.on("connect_error", (e) => { socket.close(); reject(e); });
  });
}
(async () => {
  let alice;
  for (let i = 0; ; i++) {  // relay starting
    try { alice = await connect("alice"); break; } catch (e) {
      if (i === 49) throw e;
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  const bob = await connect("bob");
  const received = new Promise((ok) => bob.on("message", ok));
  const ack = await alice.timeout(5000).emitWithAck("message", { text: "oh darn it, HECK", n: 1.50 });
  if (!ack.id) throw new Error(`no id in the ack: ${JSON.stringify(ack)}`);
  const got = await received;
  if (got.text !== "oh *** it, ***" || got.n !== 1.5) throw new Error(`bob got ${JSON.stringify(got)}`);
  const history = await alice.timeout(5000).emitWithAck("history", { limit: 10 });
  const last = history[history.length - 1];
  if (!last || last.id !== ack.id || last.text !== "oh *** it, ***") {
    throw new Error(`history: ${JSON.stringify(history)}`);
  }
  alice.close(); bob.close();
  console.log("clients ok");
})().catch((e) => { console.error(e.message); process.exit(1); });
JS
grep -q '"payload":{"text":"oh \*\*\* it, \*\*\*","n":1.5}' "$work/history.jsonl" ||
  { cat "$work/history.jsonl"; fail "the jsonl file does not hold the masked message"; }
echo "ok: every example built against the installed SDK, tested, listed, checked and run"
