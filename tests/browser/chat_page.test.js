// The chat page the websocket transport serves at `/`, in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core; no browser is ever downloaded).
//
// Two pages join one room under two names, see each other in the presence list,
// exchange messages (one of them HTML that must stay text), a third page joins later
// and sees the history, and its leaving updates the others. A screenshot is saved to
// $RELAY_ARTIFACT_DIR (else the temp dir) as chat_page.png.
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { startRelay } = require("../e2e/support/relay.js");
const { launchChromium } = require("./support/chromium.js");

const STEP_MS = 10000; // every wait below is bounded by this
const ROOM = "browser-room";

let relay;
let browser;
let context;
const problems = []; // console errors and uncaught page errors, from every page

before(async () => {
  relay = await startRelay();
  browser = await launchChromium(STEP_MS);
  ({ context } = browser);
});

after(async () => {
  if (browser) await browser.close();
  if (relay) {
    const code = await relay.stop();
    assert.equal(code, 0, "relay exit code on SIGTERM");
  }
});

async function openChat(user) {
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") problems.push(`${user} console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`${user} page error: ${e.message}`));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`${user} HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(relay.url + "/");
  // Before joining only the join form shows.
  await page.locator("#join").waitFor({ state: "visible" });
  assert.equal(await page.locator("#chat").isVisible(), false, "chat visible before joining");
  await page.fill("#room", ROOM);
  await page.fill("#user", user);
  await page.click("#join button[type=submit]");
  await page.locator("#status", { hasText: /^connected$/ }).waitFor();
  assert.equal(await page.locator("#join").isVisible(), false, "join form still visible after joining");
  assert.equal(await page.textContent("#room-name"), ROOM);
  return page;
}

/** Waits until the page's presence list holds exactly `names` (in any order). */
async function presenceIs(page, names) {
  const want = [...names].sort();
  let last;
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    last = (await page.locator("#members li").allTextContents()).map((t) => t.replace(/ \(you\)$/, "")).sort();
    if (JSON.stringify(last) === JSON.stringify(want) && (await page.textContent("#count")) === String(want.length)) return;
    if (Date.now() > deadline) assert.fail(`presence ${JSON.stringify(last)}, want ${JSON.stringify(want)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function send(page, text) {
  await page.fill("#text", text);
  await page.press("#text", "Enter");
  // Our own message shows at once and is confirmed (an id, not pending) on its ack.
  const mine = page.locator("#messages li.mine", { has: page.locator(".text", { hasText: text }) }).last();
  await mine.waitFor();
  await page.waitForFunction((el) => el.dataset.id && !el.classList.contains("pending"), await mine.elementHandle());
  assert.equal(await mine.evaluate((el) => el.classList.contains("failed")), false, `"${text}" failed to send`);
}

/** The [user, text] pairs of the page's messages, in order. */
async function messagesOf(page, selector = "#messages li.msg") {
  return page.locator(selector).evaluateAll((items) =>
    items.map((li) => [li.querySelector(".who").textContent, li.querySelector(".text").textContent]));
}

async function seesMessage(page, user, text) {
  await page.locator("#messages li.msg", {
    has: page.locator(".text", { hasText: text }),
  }).filter({ has: page.locator(".who", { hasText: user }) }).first().waitFor();
}

test("two pages chat, a late page sees history, presence follows", { timeout: 180000 }, async () => {
  const alice = await openChat("alice");
  const bob = await openChat("bob");

  await presenceIs(alice, ["alice", "bob"]);
  await presenceIs(bob, ["alice", "bob"]);
  assert.equal(await alice.textContent("#members li.you"), "alice (you)");
  assert.equal(await bob.textContent("#members li.you"), "bob (you)");
  await alice.locator("#messages li.system", { hasText: "bob joined" }).waitFor();

  await send(alice, "hello bob");
  await seesMessage(bob, "alice", "hello bob");

  // Message text is text: markup from a peer must not become elements or run.
  const evil = `<img src=x onerror="window.__pwned=1"><b>bold</b> & "quotes"`;
  await send(bob, evil);
  await seesMessage(alice, "bob", "bold");
  assert.deepEqual((await messagesOf(alice)).at(-1), ["bob", evil]);
  assert.equal(await alice.locator("#messages img, #messages b").count(), 0, "message HTML was rendered");
  assert.equal(await alice.evaluate(() => window.__pwned), undefined, "message HTML ran script");

  await send(alice, "third, from alice");
  await seesMessage(bob, "alice", "third, from alice");
  const conversation = [["alice", "hello bob"], ["bob", evil], ["alice", "third, from alice"]];
  assert.deepEqual(await messagesOf(alice), conversation);
  assert.deepEqual(await messagesOf(bob), conversation);

  // A late joiner gets the history, oldest first (the store writes after the ack:
  // the page asks once, on connect, so let the store catch up first).
  await new Promise((r) => setTimeout(r, 300));
  const carol = await openChat("carol");
  await carol.locator("#messages li.history").nth(conversation.length - 1).waitFor();
  assert.deepEqual(await messagesOf(carol, "#messages li.history"), conversation);
  assert.equal(await carol.locator("#messages img, #messages b").count(), 0, "history HTML was rendered");
  await presenceIs(carol, ["alice", "bob", "carol"]);
  await presenceIs(alice, ["alice", "bob", "carol"]);
  await presenceIs(bob, ["alice", "bob", "carol"]);

  await send(carol, "hi all, I read the backlog");
  await seesMessage(alice, "carol", "hi all, I read the backlog");
  await seesMessage(bob, "carol", "hi all, I read the backlog");

  // Leaving: the Leave button for bob, closing the tab for carol.
  await bob.click("#leave");
  await bob.locator("#join").waitFor({ state: "visible" });
  await alice.locator("#messages li.system", { hasText: "bob left" }).waitFor();
  await presenceIs(alice, ["alice", "carol"]);
  await carol.close();
  await alice.locator("#messages li.system", { hasText: "carol left" }).waitFor();
  await presenceIs(alice, ["alice"]);

  // Bob comes back under the same name: history again, presence again.
  await bob.fill("#user", "bob");
  await bob.click("#join button[type=submit]");
  await bob.locator("#status", { hasText: /^connected$/ }).waitFor();
  await bob.locator("#messages li.history").nth(3).waitFor();
  await presenceIs(alice, ["alice", "bob"]);
  await send(bob, "back again");
  await seesMessage(alice, "bob", "back again");

  const dir = process.env.RELAY_ARTIFACT_DIR || os.tmpdir();
  fs.mkdirSync(dir, { recursive: true });
  const shot = path.join(dir, "chat_page.png");
  await alice.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);

  assert.deepEqual(problems, [], "console errors or page errors");
});
