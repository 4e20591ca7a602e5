"""A child process of a Python test: its output collected as it comes, ready once a
line matches a pattern, stopped by its pid. Shared by the Python tests that start relay
or mock-kafka (tests/e2e/*_test.py, tests/deploy/*_test.py)."""
import re
import signal
import subprocess
import threading


class WatchedProcess:
    """Starts `argv` in `cwd` and waits up to `timeout` s for a line matching `ready`
    (`match` holds that match); raises RuntimeError with the output when it exits or
    the time runs out first."""

    def __init__(self, argv, cwd, ready, timeout, env=None):
        self._output = []
        self._lock = threading.Lock()
        self._pattern = re.compile(ready)
        self._ready = threading.Event()
        self.match = None
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout) or self.match is None:
            self.kill()
            raise RuntimeError("`%s` did not start in %.0f s:\n%s"
                               % (" ".join(argv), timeout, self.log()))

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            with self._lock:
                self._output.append(line)
            if self.match is None:
                self.match = self._pattern.search(line)
                if self.match:
                    self._ready.set()
        self._ready.set()  # exited before it was ready: stop waiting

    def log(self):
        """Everything it printed so far (stdout and stderr)."""
        with self._lock:
            return "".join(self._output)

    def stop(self):
        """SIGTERM, then SIGKILL after 15 s; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(5)
        self.proc.stdout.close()
        return self.proc.returncode

    def kill(self):
        """SIGKILL at once."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._reader.join(5)
