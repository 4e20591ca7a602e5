#!/usr/bin/python3
"""The bash completion the package installs (deploy/bash-completion/relay) offers every
subcommand and option `relay --help` lists, log levels after --log-level, and pipeline
files after run, check and migrate.

Run: /usr/bin/python3 tests/package/bash_completion_test.py  (env RELAY_BINARY,
RELAY_SOURCE_DIR).
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
SCRIPT = os.path.join(os.environ.get("RELAY_SOURCE_DIR", ""), "deploy/bash-completion/relay")


def complete(words, cwd=None):
    """What completing the last of `words` offers, as bash would at the end of the line."""
    if not os.path.exists(BASH_COMPLETION):  # a missing tool fails, never skips
        raise AssertionError("%s missing: run tools/install-deps test" % BASH_COMPLETION)
    program = (
        'source "$1"; source "$2"; shift 2\n'
        'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="${*}"; COMP_POINT=${#COMP_LINE}\n'
        "_relay\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run(
        ["bash", "-c", program, "bash", BASH_COMPLETION, SCRIPT] + words,
        capture_output=True, text=True, cwd=cwd, timeout=30, check=True,
    ).stdout
    return set(out.split())


class BashCompletion(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.help = subprocess.run(
            [os.environ["RELAY_BINARY"], "--help"], capture_output=True, text=True, check=True
        ).stdout

    def test_every_subcommand_of_the_help(self):
        commands = set(re.findall(r"^\s+relay (\w+)", self.help, re.M))
        self.assertTrue({"run", "check", "migrate", "plugins", "version", "help"} <= commands)
        self.assertEqual(complete(["relay", ""]), commands)
        self.assertEqual(complete(["relay", "pl"]), {"plugins"})
        # After an option and its value, still the subcommands.
        self.assertEqual(complete(["relay", "--log-level", "debug", "c"]), {"check"})

    def test_every_option_of_the_help(self):
        options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-h)\b", self.help))
        self.assertTrue({"--log-level", "--plugin-path", "--json", "--version", "--help"} <= options)
        self.assertEqual(complete(["relay", "-"]), options)
        self.assertEqual(complete(["relay", "plugins", "--j"]), {"--json"})

    def test_log_levels(self):
        levels = re.search(r"--log-level LEVEL\s+(.*?); overrides", self.help).group(1)
        expected = set(re.findall(r"\w+", levels)) - {"or"}
        self.assertEqual(complete(["relay", "run", "--log-level", ""]), expected)

    def test_pipeline_files_after_run_check_and_migrate(self):
        work = tempfile.mkdtemp(prefix="relay-completion-")
        self.addCleanup(shutil.rmtree, work)
        for name in ("pipeline.yaml", "other.yml", "notes.txt"):
            open(os.path.join(work, name), "w").close()
        os.mkdir(os.path.join(work, "config"))
        for command in ("run", "check", "migrate"):
            self.assertEqual(
                complete(["relay", command, ""], cwd=work), {"pipeline.yaml", "other.yml", "config"}
            )
        self.assertEqual(complete(["relay", "plugins", ""], cwd=work), set())


if __name__ == "__main__":
    unittest.main(verbosity=2)
