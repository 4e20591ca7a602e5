#!/usr/bin/python3
"""The monitoring files under deploy/ against a running relay.

deploy/grafana/relay-dashboard.json and deploy/prometheus/relay-alerts.yml name Relay's
metrics by hand; a renamed metric would leave a panel empty or an alert silent forever.
This test starts tools/mock-kafka and a relay on it (websocket, kafka, local, sqlite,
the admin listener: the pipeline whose /metrics holds every series they name), and
checks that
  - every metric named in an expression is served by that relay's /metrics, and every
    label used (matchers, `by (...)`, legends, `$labels.x` in annotations) is one of
    its series' labels or a label Prometheus adds (instance, job);
  - a label value matched exactly (`result="failed"`) is one a series has;
  - the rules file is valid YAML in Prometheus's rule-file shape (groups, alert, expr,
    `for` durations, a severity label, summary and description annotations), and
    every expression is well formed: balanced brackets and quotes, only PromQL
    functions and aggregations called, valid range durations.
It does not run promtool: Debian's `prometheus` package (which has it) is 96 MB of
server and web assets for one syntax check; these checks catch what goes wrong when
metrics change under the files.

Run: /usr/bin/python3 tests/deploy/monitoring_files_test.py  (env RELAY_BINARY,
RELAY_PLUGIN_DIR; RELAY_MOCK_KAFKA, else mock-kafka beside the relay binary).
"""
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from watched_process import WatchedProcess  # noqa: E402  (the path above comes first)

try:
    import yaml  # python3-yaml
except ImportError as exc:
    sys.stderr.write("FAIL: %s (apt-get install python3-yaml)\n" % exc)
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "relay-dashboard.json")
ALERTS = os.path.join(ROOT, "deploy", "prometheus", "relay-alerts.yml")
RELAY_BINARY = os.environ.get("RELAY_BINARY") or os.path.join(ROOT, "build", "relay")
MOCK_KAFKA = os.environ.get("RELAY_MOCK_KAFKA") or os.path.join(
    os.path.dirname(RELAY_BINARY), "mock-kafka"
)
TIMEOUT = 20.0

# What PromQL may call: functions and aggregation operators.
PROMQL_CALLS = {
    "abs", "absent", "absent_over_time", "avg_over_time", "ceil", "changes", "clamp",
    "clamp_max", "clamp_min", "count_over_time", "delta", "deriv", "exp", "floor",
    "histogram_quantile", "holt_winters", "idelta", "increase", "irate", "label_join",
    "label_replace", "last_over_time", "ln", "log2", "log10", "max_over_time",
    "min_over_time", "predict_linear", "quantile_over_time", "rate", "resets", "round",
    "scalar", "sort", "sort_desc", "sqrt", "stddev_over_time", "sum_over_time", "time",
    "timestamp", "vector", "sum", "min", "max", "avg", "count", "stddev", "stdvar",
    "topk", "bottomk", "quantile", "count_values", "group",
}
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and",
                   "or", "unless", "bool", "offset"}
# Labels Prometheus puts on every scraped series; `le` is the histogram's.
TARGET_LABELS = {"instance", "job"}
# Metrics that are Prometheus's own, not Relay's.
PROMETHEUS_METRICS = {"up"}
DURATION = re.compile(r"^(\d+(ms|[smhdwy]))+$")
# Grafana's variables, as a query would read once Grafana replaced them.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def served_series():
    """{metric: [ {label: value} per series ]} from a relay on the kafka pipeline."""
    for binary in (RELAY_BINARY, MOCK_KAFKA):
        if not os.access(binary, os.X_OK):
            raise RuntimeError("not an executable: %s (build relay and relay_mock_kafka)" % binary)
    work = tempfile.mkdtemp(prefix="relay-monitoring-")
    kafka = relay = None
    try:
        kafka = WatchedProcess([MOCK_KAFKA, "--brokers", "1", "--topic", "chats:2",
                                "--exit-with-parent"], work, r"^(127\.0\.0\.1:\d+)\s*$", TIMEOUT)
        admin_port = free_port()
        pipeline = os.path.join(work, "pipeline.yaml")
        with open(pipeline, "w") as f:
            f.write("\n".join([
                "node: { id: monitoring, threads: 1 }",
                "transport: { use: websocket, listen: 127.0.0.1:0 }",
                'queue: { use: kafka, brokers: "%s", topic: chats, partitions: 2, '
                "replication_factor: 1 }" % kafka.match.group(1),
                "presence: { use: local }",
                "store: { use: sqlite, path: %s }" % os.path.join(work, "relay.db"),
                "admin: { listen: 127.0.0.1:%d }" % admin_port,
            ]) + "\n")
        argv = [RELAY_BINARY, "run", pipeline]
        if os.environ.get("RELAY_PLUGIN_DIR"):
            argv[1:1] = ["--plugin-path", os.environ["RELAY_PLUGIN_DIR"]]
        relay = WatchedProcess(argv, work, r"Socket\.IO on ", TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin_port,
                                            timeout=5) as r:
                    text = r.read().decode()
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        for p in (relay, kafka):
            if p is not None:
                p.stop()
        shutil.rmtree(work, ignore_errors=True)
    series = {}
    line_pattern = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? \S+$")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = line_pattern.match(line)
        if not m:
            raise AssertionError("not a Prometheus sample line: %r" % line)
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        series.setdefault(m.group(1), []).append(labels)
    return series


def strip_strings(expr):
    """`expr` with each double-quoted string's content blanked (quotes kept) and the
    strings themselves; AssertionError when a quote is left open."""
    out, strings, i = [], [], 0
    while i < len(expr):
        c = expr[i]
        if c == '"':
            j = i + 1
            while j < len(expr) and expr[j] != '"':
                j += 2 if expr[j] == "\\" else 1
            if j >= len(expr):
                raise AssertionError("an unclosed string in %r" % expr)
            strings.append(expr[i + 1:j])
            out.append('""')
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out), strings


def check_expression(expr, served, where):
    """Every problem found in one PromQL expression; the labels its metrics have."""
    problems = []
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    try:
        bare, _ = strip_strings(expr)
    except AssertionError as e:
        return [where + ": " + str(e)], set()
    stack = []
    for c in bare:
        if c in "({[":
            stack.append(c)
        elif c in ")}]":
            if not stack or "({[".index(stack.pop()) != ")}]".index(c):
                problems.append("%s: unbalanced %r in %s" % (where, c, expr))
                break
    if stack:
        problems.append("%s: unclosed %r in %s" % (where, stack[-1], expr))
    for duration in re.findall(r"\[([^\]]*)\]", bare):
        if not DURATION.match(duration.split(":")[0]):
            problems.append("%s: %r is not a range duration" % (where, duration))
    metrics = set()
    labels_used = set()
    # Label names: in matchers {name op "value", ...} and in by/without/on/ignoring (...).
    for body in re.findall(r"\{([^}]*)\}", bare):
        for name, op in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*""', body):
            labels_used.add(name)
    for body in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", bare):
        labels_used.update(n.strip() for n in body.split(",") if n.strip())
    label_context = re.sub(r"\{[^}]*\}", "{}", bare)
    label_context = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", r"\1 ()", label_context)
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", label_context):
        name = m.group(0)
        before = label_context[m.start() - 1] if m.start() else ""
        if before.isdigit() or before == ".":
            continue  # a duration's unit or a number's exponent
        called = label_context[m.end():].lstrip().startswith("(")
        if name in PROMQL_KEYWORDS or name in PROMQL_CALLS:
            continue  # an aggregation may come before its `by (...)`, not its "("
        if called:
            if name not in PROMQL_CALLS:
                problems.append("%s: %s() is not a PromQL function" % (where, name))
            continue
        if name in PROMETHEUS_METRICS:
            metrics.add(name)
        elif name.startswith("relay_"):
            metrics.add(name)
            if name not in served:
                problems.append("%s: %s is not in a running relay's /metrics" % (where, name))
        elif name not in ("e", "inf", "nan", "Inf", "NaN"):
            problems.append("%s: %r is neither a Relay metric nor PromQL" % (where, name))
    have = set(TARGET_LABELS)
    for metric in metrics:
        for labels in served.get(metric, []):
            have.update(labels)
    for label in labels_used - have:
        problems.append("%s: label %r is on none of %s" % (where, label, sorted(metrics)))
    # An exact matcher's value must be one a series has: result="failed".
    for metric, body in re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}", expr):
        for name, value in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"$]*)"', body):
            if metric in served and name not in TARGET_LABELS:
                if not any(s.get(name) == value for s in served[metric]):
                    problems.append('%s: no series %s{%s="%s"}' % (where, metric, name, value))
    return problems, have


class MonitoringFilesTest(unittest.TestCase):
    served = None

    @classmethod
    def setUpClass(cls):
        cls.served = served_series()

    def test_the_dashboard_names_only_served_metrics_and_labels(self):
        with open(DASHBOARD) as f:
            dashboard = json.load(f)
        problems = []
        targets = 0

        def panels(items):
            for p in items:
                yield p
                yield from panels(p.get("panels", []))

        for panel in panels(dashboard["panels"]):
            for target in panel.get("targets", []):
                targets += 1
                where = "panel %r" % panel["title"]
                found, labels = check_expression(target["expr"], self.served, where)
                problems += found
                for legend_label in re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")):
                    if legend_label not in labels:
                        problems.append("%s: legend label %r is on no series" % (where, legend_label))
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                m = re.match(r"label_values\((\w+),\s*(\w+)\)", variable["definition"])
                self.assertTrue(m, variable["definition"])
                self.assertIn(m.group(1), self.served)
        self.assertGreater(targets, 20)
        self.assertEqual(problems, [])

    def test_the_rules_parse_and_name_only_served_metrics_and_labels(self):
        with open(ALERTS) as f:
            rules = yaml.safe_load(f)
        self.assertEqual(set(rules), {"groups"})
        problems = []
        names = []
        for group in rules["groups"]:
            self.assertIsInstance(group.get("name"), str)
            for rule in group["rules"]:
                self.assertLessEqual(set(rule), {"alert", "expr", "for", "labels", "annotations"}, rule)
                name = rule["alert"]
                names.append(name)
                self.assertRegex(name, r"^[A-Z][A-Za-z0-9]+$")
                if "for" in rule:
                    self.assertRegex(rule["for"], DURATION, name)
                self.assertIn(rule["labels"].get("severity"), {"critical", "warning"}, name)
                self.assertEqual(set(rule["annotations"]), {"summary", "description"}, name)
                found, labels = check_expression(rule["expr"], self.served, "alert " + name)
                problems += found
                labels = labels | set(re.findall(r"\bby\s*\(([^)]*)\)", rule["expr"]))
                for text in rule["annotations"].values():
                    for label in re.findall(r"\$labels\.(\w+)", text):
                        if label not in labels:
                            problems.append("alert %s: $labels.%s is on no series" % (name, label))
        self.assertEqual(len(names), len(set(names)), "alert names repeat")
        # What the issue asks an operator to be told about, at least.
        for wanted in ("RelayPluginDegraded", "RelayPluginUnavailable", "RelayPublishFailures",
                       "RelaySlowConsumerDrops"):
            self.assertIn(wanted, names)
        self.assertEqual(problems, [])

    def test_the_checks_catch_a_renamed_metric_and_a_broken_expression(self):
        self.assertTrue(check_expression("rate(relay_no_such_total[5m])", self.served, "x")[0])
        self.assertTrue(check_expression("rate(relay_publish_failures_total[5m]", self.served, "x")[0])
        self.assertTrue(check_expression("rates(relay_publish_failures_total[5m])", self.served, "x")[0])
        self.assertTrue(check_expression("sum by (nope) (relay_plugin_up)", self.served, "x")[0])
        self.assertTrue(check_expression('relay_config_reloads_total{result="nope"}', self.served, "x")[0])
        self.assertTrue(check_expression("rate(relay_publish_failures_total[5x])", self.served, "x")[0])
        self.assertEqual(check_expression(
            'sum by (plugin) (relay_plugin_up{plugin=~"queue/.*"}) == 0', self.served, "x")[0], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
