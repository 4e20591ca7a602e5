// What the admin page's browser tests share: a page whose problems are collected, and a
// bounded wait for what the page shows.
"use strict";
const assert = require("node:assert/strict");

/**
 * A new page of `context` that pushes onto `problems` every console error, uncaught page
 * error and HTTP error, except the 401s of /admin/stats: those are the page finding out
 * that it needs the token (Chromium logs them as console errors too).
 */
async function watchedPage(context, problems) {
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 400 && !(r.status() === 401 && r.url().endsWith("/admin/stats"))) {
      problems.push(`HTTP ${r.status()}: ${r.url()}`);
    }
  });
  return page;
}

/**
 * Polls `check` every `pollMs` until it returns true, failing with `what` and the last
 * thing it returned once `ms` have passed.
 */
async function eventually(what, check, ms, pollMs) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await check();
    if (last === true) return;
    if (Date.now() > deadline) assert.fail(`${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

module.exports = { watchedPage, eventually };
