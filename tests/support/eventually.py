"""Polls a condition until it holds, for the Python tests (every wait bounded)."""
import time


def eventually(condition, what, timeout):
    """Returns condition()'s first truthy value; AssertionError naming `what` after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("%s did not hold within %.0f s" % (what, timeout))
        time.sleep(0.02)
