"""The login limit holds across gunicorn workers when ``REDIS_URL`` is set.

Starts a real ``gunicorn -w 2`` against the Redis on 127.0.0.1:6379 and checks that failed
logins are counted once for the whole server, not once per worker. Skipped, saying so, when
Redis is not reachable (a developer machine without it); CI has it.
"""

import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS = ("127.0.0.1", 6379)


def _reachable(address) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn_two_workers(tmp_path):
    if not _reachable(REDIS):
        pytest.skip("Redis is not reachable on 127.0.0.1:6379: cross-worker limit not tested")
    port = _free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "MATCHMAKER_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'limit.db'}",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RATELIMIT_KEY_PREFIX": "test-" + secrets.token_hex(6),
        "FLASK_APP": "wsgi",
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([bin_dir / "flask", "seed-demo"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    server = subprocess.Popen(
        [bin_dir / "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
         "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not _reachable(("127.0.0.1", port)):
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", access_log
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()


def _failed_login(base: str) -> int:
    # A new browser each time: fresh cookies, fresh connection, so any worker may answer.
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({
        "email": "producer@example.com", "password": "not the password", "csrf_token": token,
    }).encode()
    try:
        return opener.open(base + "/login", data=body, timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code


def _served_by(access_log) -> set[str]:
    return {line.split()[0] for line in access_log.read_text().splitlines()
            if " POST /login " in line}


def test_failed_logins_are_counted_across_two_workers(gunicorn_two_workers):
    base, access_log = gunicorn_two_workers
    # Two attempts at a time: while one worker hashes a password the other must take the
    # next connection, so both workers count attempts. Sent one by one, the kernel tends to
    # give every connection to the same worker, which would prove nothing.
    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = [status for _ in range(8)
                    for status in pool.map(_failed_login, [base, base])]
    assert len(_served_by(access_log)) == 2, "both workers should have answered attempts"
    allowed = statuses.count(200)
    # Counted once for the whole server: 5 pass (6 when two attempts race past the check
    # together). Counted per worker it would be about 10.
    assert allowed in (5, 6), statuses
    assert statuses.count(429) == len(statuses) - allowed
