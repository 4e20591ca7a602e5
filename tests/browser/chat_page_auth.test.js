// The chat page against a relay with an auth plugin, in headless Chromium: a token
// given in the address (?token=) joins under the identity's name and leaves the
// address bar; a refused token shows the refusal's reason on the join form; a page
// of another origin cannot open a session (the origin policy), while the page served
// by the relay itself, same origin, works. The test plugin `tokentable` spells the
// identity out in the token: "<user>|<room pattern>|<permissions>|<lifetime ms>".
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const http = require("node:http");
const { startRelay } = require("../e2e/support/relay.js");
const { launchChromium } = require("./support/chromium.js");

const STEP_MS = 10000;

let relay;
let browser;

before(async () => {
  const dir = process.env.RELAY_TEST_PLUGIN_DIR;
  assert.ok(dir, "RELAY_TEST_PLUGIN_DIR must name the test plugins' directory");
  relay = await startRelay({ extra: `plugins: { path: [${dir}] }\nauth: { use: tokentable }` });
  browser = await launchChromium(STEP_MS);
});

after(async () => {
  if (browser) await browser.close();
  if (relay) await relay.stop();
});

test("a token in the address joins under the identity's name, and leaves the address bar", async () => {
  const page = await browser.context.newPage();
  const token = encodeURIComponent("ada|auth-*|jphs|0");
  await page.goto(`${relay.url}/?token=${token}#auth-room`);
  assert.equal(new URL(page.url()).search, "", "the token stayed in the address bar");
  assert.equal(await page.inputValue("#room"), "auth-room");
  await page.click("#join button[type=submit]");
  await page.locator("#status", { hasText: /^connected$/ }).waitFor();
  await page.fill("#text", "hello with a token");
  await page.press("#text", "Enter");
  // The presence list shows the name the identity gives, not anything typed.
  await page.locator("#members li", { hasText: "name-of-ada" }).waitFor();
  await page.locator("#messages li:not(.pending)", { hasText: "hello with a token" }).waitFor();
  await page.close();
});

test("a refused token shows the reason on the join form", async () => {
  const page = await browser.context.newPage();
  await page.goto(`${relay.url}/#auth-room`);
  await page.fill("#token", "deny:account suspended");
  await page.click("#join button[type=submit]");
  const error = page.locator("#join-error");
  await error.waitFor({ state: "visible" });
  assert.equal(await error.textContent(), "cannot join: account suspended");
  // Without a token at all: the plugin's reason too.
  await page.fill("#token", "");
  await page.fill("#user", "someone");
  await page.click("#join button[type=submit]");
  await page.locator("#join-error", { hasText: "cannot join: token missing" }).waitFor();
  await page.close();
});

test("a page of another origin cannot open a session; the relay's own page can", async (t) => {
  // A page served from another port is another origin: its socket.io client gets 403.
  const foreign = http.createServer((req, res) => {
    res.setHeader("content-type", "text/html");
    res.end(`<!doctype html><script src="${relay.url}/assets/socket.io.min.js"></script>
<script>
  window.result = new Promise((resolve) => {
    const s = io("${relay.url}", { auth: { room: "auth-x", token: "eve|*|jphs|0" }, reconnection: false, transports: ["polling"] });
    s.on("connect", () => resolve("connected"));
    s.on("connect_error", (e) => resolve("refused: " + e.message));
  });
  window.wsResult = new Promise((resolve) => {
    const s = io("${relay.url}", { auth: { room: "auth-x", token: "eve|*|jphs|0" }, reconnection: false, transports: ["websocket"] });
    s.on("connect", () => resolve("connected"));
    s.on("connect_error", (e) => resolve("refused: " + e.message));
  });
</script>`);
  });
  await new Promise((r) => foreign.listen(0, "127.0.0.1", r));
  t.after(() => foreign.close());
  const page = await browser.context.newPage();
  await page.goto(`http://127.0.0.1:${foreign.address().port}/`);
  assert.match(await page.evaluate(() => window.result), /^refused: /);
  assert.match(await page.evaluate(() => window.wsResult), /^refused: /);
  await page.close();
});
