#!/usr/bin/env python3
"""Runs the contract suites on plugins broken on purpose (broken_plugins_test.cpp) and
passes only when every test failed, each for the reason listed here: proof that the
SDK's kits catch what they promise to.

    expect_failures.py BINARY
"""
import json
import os
import re
import subprocess
import sys
import tempfile

# (suite, test) patterns, and words one of the test's failures must contain.
OFF_EXECUTOR = "callbacks ran off the plugin's executor, the first: "
OFF_HOST = "callbacks ran off the host's executors, the first: "
EXPECTED = [
    # The breakage of the issue: append() answered on the caller's thread. These two
    # tests passed it before the kit checked every callback's thread.
    (r"InlineAppend/StoreContract/0", r"ConcurrentAppendsFromManyThreads|StopFinishesQueuedAppends",
     OFF_EXECUTOR + "append()"),
    (r"InlineAppend/StoreContract/0", r".*", "append()'s callback ran off the plugin's executor"),
    (r"OwnThreadAck/QueueContract/0", r".*", OFF_EXECUTOR + "publish()"),
    (r"OwnThreadJoin/PresenceContract/0", r"ConcurrentJoinsFromManyThreads", OFF_EXECUTOR + "join()"),
    (r"OwnThreadJoin/PresenceContract/0", r".*", "join()'s callback ran off the plugin's executor"),
    (r"OwnThreadAnswer/AuthContract/0", r".*", OFF_HOST + "authenticate()"),
    (r"OwnThreadVerdict/ProcessorContract/0", r".*", OFF_HOST + "process()'s done"),
    (r"ArrayPayload/ProcessorContract/0", r".*",
     "a processor made the payload something other than a JSON object"),
    (r"Twice/ProcessorContract/0", r".*", "done ran 2 times"),
    (r"RoomChanging/ProcessorContract/0", r".*", "a processor must keep the room"),
    (r"AttachmentDropping/ProcessorContract/0", r".*",
     "a processor left a binary placeholder without its attachment"),
]


def expectation(suite, test):
    for suite_pattern, test_pattern, words in EXPECTED:
        if re.fullmatch(suite_pattern, suite) and re.fullmatch(test_pattern, test):
            return words
    return None


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as work:
        report_file = os.path.join(work, "report.json")
        run = subprocess.run([binary, f"--gtest_output=json:{report_file}"],
                             capture_output=True, text=True, timeout=600)
        if not os.path.exists(report_file):
            print(run.stdout[-4000:], run.stderr[-4000:])
            print(f"{binary} wrote no report (exit {run.returncode})")
            return 1
        with open(report_file) as f:
            report = json.load(f)
    problems = []
    seen = 0
    for suite in report["testsuites"]:
        for test in suite["testsuite"]:
            seen += 1
            name = f"{suite['name']}.{test['name']}"
            words = expectation(suite["name"], test["name"])
            failures = [f["failure"] for f in test.get("failures", [])]
            if words is None:
                problems.append(f"{name}: no expectation listed for it")
            elif not failures:
                problems.append(f"{name}: passed, but the kit should have caught: {words}")
            elif not any(words in failure for failure in failures):
                problems.append(f"{name}: failed, but not with \"{words}\":\n    " +
                                "\n    ".join(failures))
    if seen == 0:
        problems.append("no tests ran")
    for problem in problems:
        print(problem)
    print(f"{seen - len(problems)} caught as expected, {len(problems)} not")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
