#!/usr/bin/python3
"""The Debian packages tools/package makes (deploy/CMakeLists.txt), as an operator
gets them: what they hold and declare, a relay extracted from them that checks and
serves the packaged pipeline, and install, upgrade, remove and purge through dpkg on
a throwaway root.

Run: /usr/bin/python3 tests/package/deb_test.py [TestClass]
Environment: RELAY_DEB_DIR (the .deb files, from the package.build test),
RELAY_PLUGIN_DIR and RELAY_TEST_PLUGIN_DIR (the build's plugins and test plugins).
"""
import faulthandler
import glob
import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

faulthandler.dump_traceback_later(240, exit=True)

TIMEOUT = 20.0
DEB_DIR = os.environ.get("RELAY_DEB_DIR", "")
# Files of the relay package outside these are a packaging mistake (a tool, a test).
RELAY_PATHS = (
    "./usr/bin/relay",
    "./usr/lib/relay/plugins/",
    "./usr/share/man/man1/relay.1.gz",
    "./usr/share/bash-completion/completions/relay",
    "./usr/lib/sysusers.d/relay.conf",
    "./lib/systemd/system/relay.service",
    "./etc/relay/pipeline.yaml",
)


def run(*args, **kwargs):
    """Runs a command; a failure raises with its output."""
    kwargs.setdefault("timeout", 120)
    proc = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise AssertionError(
            "%s exited with %d:\n%s%s" % (" ".join(args), proc.returncode, proc.stdout, proc.stderr)
        )
    return proc.stdout


def require(tool):
    path = shutil.which(tool)
    if path is None:  # a missing tool fails, never skips
        raise AssertionError("%s not found: run tools/install-deps test" % tool)
    return path


def deb(name):
    found = glob.glob(os.path.join(DEB_DIR, "%s_*.deb" % name))
    if len(found) != 1:
        raise AssertionError(
            "expected one %s_*.deb in RELAY_DEB_DIR=%r, found %s (the package.build test makes them)"
            % (name, DEB_DIR, found)
        )
    return found[0]


def deb_files(path):
    """The paths of the regular files and links a .deb holds ('./usr/bin/relay')."""
    files = []
    for line in run("dpkg-deb", "--contents", path).splitlines():
        if line.startswith("d"):
            continue
        name = line.split(None, 5)[5].split(" -> ")[0]
        files.append(name)
    return files


def field(path, name):
    return run("dpkg-deb", "--field", path, name).strip()


def package_names(depends):
    """Package names of a Depends field, alternatives included, without versions."""
    names = set()
    for item in depends.split(","):
        for alternative in item.split("|"):
            alternative = alternative.strip()
            if alternative:
                names.add(re.split(r"[\s(:]", alternative)[0])
    return names


def library_package(path):
    """The Debian package that ships the library at `path` on this system."""
    # /usr is merged: a package may have shipped it as /lib/...
    for candidate in (path, path.replace("/usr/lib/", "/lib/", 1)):
        proc = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if proc.returncode == 0:
            return proc.stdout.split(":")[0]
    raise AssertionError("no package ships %s" % path)


def needed_libraries(elf):
    """The paths of the libraries `elf` names as NEEDED (not what they need in turn)."""
    names = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run("readelf", "-d", elf))
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+) ", run("ldd", elf), re.M))
    missing = [n for n in names if n not in resolved and not n.startswith("ld-linux")]
    if missing:
        raise AssertionError("%s: ldd does not resolve %s" % (elf, missing))
    return [os.path.realpath(resolved[n]) for n in names if n in resolved]


class Contents(unittest.TestCase):
    """What relay and relay-dev hold, and what relay declares."""

    @classmethod
    def setUpClass(cls):
        require("dpkg-deb")
        cls.relay = deb("relay")
        cls.dev = deb("relay-dev")
        cls.files = deb_files(cls.relay)

    def test_relay_holds_the_binary_every_plugin_and_the_system_files(self):
        plugins = sorted(os.path.basename(p) for p in glob.glob(os.environ["RELAY_PLUGIN_DIR"] + "/*.so"))
        self.assertGreater(len(plugins), 5)
        for plugin in plugins:
            self.assertIn("./usr/lib/relay/plugins/" + plugin, self.files)
        for path in RELAY_PATHS:
            if not path.endswith("/"):
                self.assertIn(path, self.files)

    def test_relay_holds_nothing_else_and_no_test_plugin(self):
        strays = [f for f in self.files if not f.startswith(RELAY_PATHS)]
        self.assertEqual(strays, [])
        test_plugins = {os.path.basename(p) for p in glob.glob(os.environ["RELAY_TEST_PLUGIN_DIR"] + "/*.so")}
        self.assertIn("librelay_testpass.so", test_plugins)
        packaged = {os.path.basename(f) for f in self.files}
        self.assertEqual(packaged & test_plugins, set())

    def test_the_pipeline_is_the_only_conffile(self):
        conffiles = run("dpkg-deb", "--info", self.relay, "conffiles").split()
        self.assertEqual(conffiles, ["/etc/relay/pipeline.yaml"])

    def test_relay_depends_on_exactly_the_packages_of_the_libraries_it_links(self):
        root = tempfile.mkdtemp(prefix="relay-deb-")
        self.addCleanup(shutil.rmtree, root)
        run("dpkg-deb", "-x", self.relay, root)
        elves = [root + "/usr/bin/relay"] + glob.glob(root + "/usr/lib/relay/plugins/*.so")
        needed = set()
        for elf in elves:
            for library in needed_libraries(elf):
                needed.add(library_package(library))
        # Those a plugin links and the host does not (checked by the host's own test).
        for library in ("librdkafka1", "libhiredis0.14", "libpq5", "libsqlite3-0", "libssl3"):
            self.assertIn(library, needed)
        # The maintainer scripts create the user with either.
        depends = package_names(field(self.relay, "Depends")) - {"adduser", "systemd"}
        # A shlibs file may name a virtual package the library's package provides
        # (libspdlog1.10 provides libspdlog1.10-fmt9).
        satisfied_by = {}
        for package in needed:
            provides = run("dpkg-query", "-W", "-f=${Provides}", package)
            for name in package_names(provides) | {package}:
                satisfied_by[name] = package
        unneeded = {name for name in depends if name not in satisfied_by}
        self.assertEqual(unneeded, set())
        self.assertEqual({satisfied_by[name] for name in depends}, needed)

    def test_relay_dev_holds_the_sdk_only(self):
        files = deb_files(self.dev)
        self.assertIn("./usr/include/relay/sdk/plugin.hpp", files)
        self.assertIn("./usr/lib/cmake/relay_sdk/relay_sdkConfig.cmake", files)
        self.assertIn("./usr/lib/cmake/relay_sdk/RelayPlugin.cmake", files)
        self.assertIn("./usr/bin/relay-new-plugin", files)
        strays = [f for f in files if not f.startswith(("./usr/include/relay/", "./usr/lib/cmake/relay_sdk/"))
                  and f != "./usr/bin/relay-new-plugin"]
        self.assertEqual(strays, [])
        self.assertEqual(field(self.dev, "Architecture"), "all")
        self.assertIn("libboost-dev", package_names(field(self.dev, "Depends")))

    def test_the_man_page_is_the_help_text(self):
        root = tempfile.mkdtemp(prefix="relay-deb-")
        self.addCleanup(shutil.rmtree, root)
        run("dpkg-deb", "-x", self.relay, root)
        with gzip.open(root + "/usr/share/man/man1/relay.1.gz", "rt") as f:
            page = f.read()
        self.assertIn(".TH RELAY", page)
        version = field(self.relay, "Version").split("-")[0]
        self.assertIn(version, page)
        for text in ("relay check FILE", "plugin\\-path", "Exit codes", ".SH FILES"):
            self.assertIn(text, page)
        self.assertIn("/etc/relay/pipeline.yaml", page.split(".SH FILES")[1])


class ExtractedRoot(unittest.TestCase):
    """relay from the package, in a fresh directory: it finds its plugins beside it,
    accepts the packaged pipeline and serves the chat page on it."""

    def setUp(self):
        require("dpkg-deb")
        self.root = tempfile.mkdtemp(prefix="relay-root-")
        self.addCleanup(shutil.rmtree, self.root)
        run("dpkg-deb", "-x", deb("relay"), self.root)
        self.relay = self.root + "/usr/bin/relay"
        self.pipeline = self.root + "/etc/relay/pipeline.yaml"
        # Nothing of the build: only what is beside the binary.
        self.env = {k: v for k, v in os.environ.items() if k != "RELAY_PLUGIN_PATH"}

    def test_version(self):
        out = run(self.relay, "--version", env=self.env)
        self.assertRegex(out, r"^relay \d+\.\d+\.\d+ \(SDK ABI version \d+\)\n$")

    def test_plugins_come_from_the_package(self):
        out = run(self.relay, "plugins", cwd=self.root, env=self.env)
        for line in ("transport websocket", "queue memory", "store sqlite", "presence local"):
            self.assertIn(line, out)
        self.assertIn(self.root + "/usr/lib/relay/plugins", out)
        self.assertNotIn("testpass", out)

    def test_check_accepts_the_packaged_pipeline(self):
        out = run(self.relay, "check", self.pipeline, cwd=self.root, env=self.env)
        self.assertIn(
            "ok (transport 'websocket', queue 'memory', presence 'local', store 'sqlite'", out
        )

    def test_serves_the_chat_page_and_stops_on_sigterm(self):
        data = self.root + "/var/lib/relay"
        os.makedirs(data)
        env = dict(self.env, RELAY_LISTEN="127.0.0.1:0", RELAY_SQLITE_PATH=data + "/relay.db")
        log = open(os.path.join(self.root, "relay.log"), "w+")
        self.addCleanup(log.close)
        proc = subprocess.Popen(
            [self.relay, "run", self.pipeline], cwd=self.root, env=env, stdout=log, stderr=log
        )
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        deadline = time.monotonic() + TIMEOUT
        port = None
        while port is None:
            log.seek(0)
            found = re.search(r"Socket\.IO on [^:\s]+:(\d+)/", log.read())
            port = found and int(found.group(1))
            if port is None and (proc.poll() is not None or time.monotonic() > deadline):
                log.seek(0)
                self.fail("relay did not serve:\n" + log.read())
            time.sleep(0.01)
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=TIMEOUT) as answer:
            self.assertEqual(answer.status, 200)
            page = answer.read().decode()
        self.assertIn("<html", page.lower())
        self.assertIn("socket.io", page)
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=TIMEOUT), 0)
        self.assertTrue(os.path.exists(data + "/relay.db"))


class DpkgRoot(unittest.TestCase):
    """dpkg itself installs, upgrades, removes and purges relay on a throwaway root.
    Its maintainer scripts run without chroot with DPKG_ROOT set (Debian's way to
    install into a root one cannot chroot into), so they touch only that root."""

    def setUp(self):
        require("dpkg")
        require("systemd-sysusers")
        self.root = tempfile.mkdtemp(prefix="relay-dpkg-")
        self.addCleanup(shutil.rmtree, self.root)
        for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "var/log", "etc"):
            os.makedirs(os.path.join(self.root, d))
        open(os.path.join(self.root, "var/lib/dpkg/status"), "w").close()
        with open(os.path.join(self.root, "etc/passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\n")
        with open(os.path.join(self.root, "etc/group"), "w") as f:
            f.write("root:x:0:\n")

    def dpkg(self, *args):
        # --force-depends: the root's status database knows no libc6 & co.
        return run(
            "dpkg", "--root=" + self.root, "--force-script-chrootless", "--force-depends",
            "--force-not-root", *args, stdin=subprocess.DEVNULL
        )

    def path(self, relative):
        return os.path.join(self.root, relative)

    def status(self):
        proc = subprocess.run(
            ["dpkg-query", "--admindir=" + self.path("var/lib/dpkg"), "-W", "-f=${Status}", "relay"],
            capture_output=True, text=True,
        )
        return proc.stdout.strip() if proc.returncode == 0 else "unknown"

    def test_install_upgrade_remove_purge(self):
        relay = deb("relay")
        self.dpkg("--install", relay)
        self.assertEqual(self.status(), "install ok installed")
        self.assertTrue(os.access(self.path("usr/bin/relay"), os.X_OK))
        # The postinst made the user (sysusers.d/relay.conf) and its data directory.
        with open(self.path("etc/passwd")) as f:
            users = {line.split(":")[0]: line.strip().split(":") for line in f}
        self.assertIn("relay", users)
        self.assertEqual(users["relay"][5:], ["/var/lib/relay", "/usr/sbin/nologin"])
        data = os.stat(self.path("var/lib/relay"))
        self.assertEqual(data.st_uid, int(users["relay"][2]))
        self.assertEqual(data.st_mode & 0o777, 0o750)
        # ... and enabled the service.
        wants = self.path("etc/systemd/system/multi-user.target.wants/relay.service")
        self.assertEqual(os.readlink(wants), "/lib/systemd/system/relay.service")

        # An operator's edit survives an upgrade, and so does the data.
        conffile = self.path("etc/relay/pipeline.yaml")
        with open(conffile, "a") as f:
            f.write("# edited here\n")
        with open(self.path("var/lib/relay/relay.db"), "w") as f:
            f.write("history")
        self.dpkg("--install", relay)
        self.assertEqual(self.status(), "install ok installed")
        with open(conffile) as f:
            self.assertTrue(f.read().endswith("# edited here\n"))

        # remove: the program goes; the conffile (edited) and the data stay.
        self.dpkg("--remove", "relay")
        self.assertEqual(self.status(), "deinstall ok config-files")
        self.assertFalse(os.path.exists(self.path("usr/bin/relay")))
        self.assertFalse(os.path.exists(self.path("lib/systemd/system/relay.service")))
        with open(conffile) as f:
            self.assertTrue(f.read().endswith("# edited here\n"))
        self.assertTrue(os.path.exists(self.path("var/lib/relay/relay.db")))

        # purge: the conffile and the data go; the user stays (Debian policy).
        self.dpkg("--purge", "relay")
        self.assertEqual(self.status(), "unknown")
        self.assertFalse(os.path.exists(conffile))
        self.assertFalse(os.path.exists(self.path("var/lib/relay")))
        self.assertFalse(os.path.lexists(wants))
        with open(self.path("etc/passwd")) as f:
            self.assertIn("relay:", f.read())


class Unit(unittest.TestCase):
    """systemd accepts the unit the package installs, on a root that holds the package
    and what it needs of the system: Debian's own units (the targets it orders itself
    after) and /bin/kill (ExecReload)."""

    def verify(self, remove=None):
        analyze = require("systemd-analyze")
        root = tempfile.mkdtemp(prefix="relay-unit-")
        self.addCleanup(shutil.rmtree, root)
        run("dpkg-deb", "-x", deb("relay"), root)
        units = "/lib/systemd/system"
        for name in os.listdir(units):
            target = os.path.join(root, "lib/systemd/system", name)
            if not os.path.lexists(target):
                if os.path.islink(os.path.join(units, name)):
                    os.symlink(os.readlink(os.path.join(units, name)), target)
                elif os.path.isfile(os.path.join(units, name)):
                    shutil.copy(os.path.join(units, name), target)
        os.makedirs(root + "/bin")
        shutil.copy("/bin/kill", root + "/bin/kill")
        if remove:
            os.remove(root + remove)
        # --root: ExecStart's /usr/bin/relay is the package's, not this machine's.
        return subprocess.run(
            [analyze, "verify", "--root=" + root, "--man=no", root + "/lib/systemd/system/relay.service"],
            capture_output=True, text=True, timeout=60,
        )

    def test_systemd_analyze_verify(self):
        proc = self.verify()
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(proc.stdout + proc.stderr, "")  # not even a warning

    def test_verify_refuses_a_unit_whose_binary_is_missing(self):
        """The check above can fail."""
        proc = self.verify(remove="/usr/bin/relay")
        self.assertNotEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("/usr/bin/relay", proc.stderr)

if __name__ == "__main__":
    unittest.main(verbosity=2)
