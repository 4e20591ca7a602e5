// The chat page against a room whose history does not fit one reply, and against a
// peer that claims to be the viewer, in headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core).
//
// - History comes in pages (transport.history_max_bytes): the page shows the newest
//   that fit, and "Load older messages" goes back page by page until every message
//   is shown, once, in order.
// - A message is the viewer's own ("mine") only by the sender id the server set: a
//   peer's message carrying `mine: true` is styled as the peer's.
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startRelay, eventually } = require("../e2e/support/relay.js");
const { launchChromium } = require("./support/chromium.js");
const { connect, emitAck, closeAll } = require("../e2e/support/clients.js");

const STEP_MS = 10000; // every wait below is bounded by this
const COUNT = 30;
const SIZE = 10 * 1000; // with a 64 KiB budget: about 6 messages a page

let relay;
let browser;
let context;
const sockets = [];
const problems = []; // console errors and uncaught page errors

before(async () => {
  relay = await startRelay({ transport: "history_max_bytes: 64KiB" });
  browser = await launchChromium(STEP_MS);
  ({ context } = browser);
});

after(async () => {
  closeAll(sockets);
  if (browser) await browser.close();
  if (relay) {
    const code = await relay.stop();
    assert.equal(code, 0, "relay exit code on SIGTERM");
  }
});

async function openChat(room, user) {
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") problems.push(`${user} console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`${user} page error: ${e.message}`));
  await page.goto(relay.url + "/");
  await page.fill("#room", room);
  await page.fill("#user", user);
  await page.click("#join button[type=submit]");
  await page.locator("#status", { hasText: /^connected$/ }).waitFor();
  return page;
}

/** The ids of the page's messages, in order. */
function shownIds(page) {
  return page.locator("#messages li.msg").evaluateAll((items) => items.map((li) => li.dataset.id));
}

test("the page pages older history until every message is shown once", { timeout: 180000 }, async () => {
  const room = "browser-history";
  const peer = await connect(relay.url, { auth: { room, user: "peer" }, transports: ["websocket"] });
  sockets.push(peer);
  const ids = [];
  for (let i = 0; i < COUNT; i++) {
    ids.push((await emitAck(peer, "message", { text: `m${i} ` + "z".repeat(SIZE) })).id);
  }
  // The store writes after the ack: wait until it has the last one.
  await eventually(async () => {
    const last = await emitAck(peer, "history", { limit: 1 });
    return last.length === 1 && last[0].id === ids.at(-1);
  }, STEP_MS, "the last message stored");

  const page = await openChat(room, "reader");
  const older = page.locator("#older");
  await older.waitFor({ state: "visible" });
  const firstPage = await shownIds(page);
  assert.ok(firstPage.length > 0 && firstPage.length < COUNT, `a first page of ${firstPage.length}`);
  assert.deepEqual(firstPage, ids.slice(COUNT - firstPage.length), "the newest, oldest first");

  let clicks = 0;
  while (await older.isVisible()) {
    const before = (await shownIds(page)).length;
    await older.click();
    await page.waitForFunction(
      (n) => document.querySelectorAll("#messages li.msg").length > n || document.getElementById("older").hidden,
      before,
    );
    await page.waitForFunction(() => !document.getElementById("older").disabled);
    assert.ok(++clicks <= COUNT, "paging ends");
  }
  assert.deepEqual(await shownIds(page), ids, "every message once, in order");
  assert.ok(clicks >= 3, `${clicks} older pages`);
  assert.equal(await page.locator("#messages li.mine").count(), 0, "the peer's messages are not the reader's");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a peer's message that says `mine: true` is not styled as the viewer's own", { timeout: 120000 }, async () => {
  const room = "browser-mine";
  const page = await openChat(room, "viewer");
  const liar = await connect(relay.url, { auth: { room, user: "liar" }, transports: ["websocket"] });
  sockets.push(liar);
  await emitAck(liar, "message", { text: "I am you", mine: true });
  const forged = page.locator("#messages li.msg", { has: page.locator(".text", { hasText: "I am you" }) });
  await forged.waitFor();
  assert.equal(await forged.evaluate((li) => li.classList.contains("mine")), false, "a peer styled as own");

  // The viewer's own message is its own: at once, and after the ack by its id.
  await page.fill("#text", "really me");
  await page.press("#text", "Enter");
  const own = page.locator("#messages li.msg", { has: page.locator(".text", { hasText: "really me" }) });
  await own.waitFor();
  await page.waitForFunction((el) => el.dataset.id && !el.classList.contains("pending"), await own.elementHandle());
  assert.equal(await own.evaluate((li) => li.classList.contains("mine")), true, "own message not styled as own");

  // In the history a newcomer loads, neither is the newcomer's; the viewer's own page,
  // reloaded under a new socket id, still knows which one it sent by the acked id.
  await eventually(async () => (await emitAck(liar, "history", { limit: 5 })).length === 2, STEP_MS, "both stored");
  const other = await openChat(room, "newcomer");
  await other.locator("#messages li.history").nth(1).waitFor();
  assert.equal(await other.locator("#messages li.mine").count(), 0, "history styled as the newcomer's");
  await page.click("#leave");
  await page.fill("#user", "viewer");
  await page.click("#join button[type=submit]");
  await page.locator("#status", { hasText: /^connected$/ }).waitFor();
  await page.locator("#messages li.history").nth(1).waitFor();
  assert.deepEqual(
    await page.locator("#messages li.history").evaluateAll((items) =>
      items.map((li) => [li.querySelector(".text").textContent, li.classList.contains("mine")])),
    [["I am you", false], ["really me", true]],
  );
  assert.deepEqual(problems, []);
});
