// failover.test.js's load tests on the production pipeline: kafka (tools/mock-kafka,
// three brokers), valkey presence, postgres. A node stopped (SIGTERM) or killed
// (SIGKILL) under load: its clients fail over on their own through the balancer and
// recover, nothing missed or doubled, every acked message stored (a killed node's
// store partitions go to the others after store_session_timeout).
"use strict";
const test = require("node:test");
const { underLoad } = require("./support/failover");

test("kafka: SIGTERM of a node under load: its clients fail over on their own and recover", { timeout: 120000 }, (t) =>
  underLoad(t, "SIGTERM", "kafka"));

test("kafka: kill -9 of a node under load: its clients fail over on their own and recover", { timeout: 120000 }, (t) =>
  underLoad(t, "SIGKILL", "kafka"));
