"""What the benchmarks that build a database share: a throw-away SQLite file or a given
database (PostgreSQL's schema wiped), a marker table that says "built by this script", and
timing with warm-up calls, each call in its own transaction.
"""

import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from matchmaker.extensions import db


@contextmanager
def bench_database(url: str | None, name: str, keep: bool) -> Iterator[str]:
    """Yield ``url``, or without one a new SQLite file in a temporary folder, removed on the
    way out unless ``keep`` (then its URL is printed for ``--reuse``)."""
    if url:
        yield url
        return
    tmpdir = Path(tempfile.mkdtemp(prefix=f"matchmaker-{name}-bench-"))
    url = f"sqlite:///{tmpdir}/bench.db"
    yield url
    if keep:
        print(f"kept {url} (time it again with --database-url {url} --reuse)")
        return
    for path in tmpdir.iterdir():
        path.unlink()
    tmpdir.rmdir()


def prepare_database(url: str, marker_table: str, empty_hint: str,
                     built: Callable[[sa.Connection, set[str]], bool]) -> bool:
    """Make the database ready; True when ``built(conn, tables)`` says it already holds
    this script's data (the caller checks ``--reuse``).

    A database with tables the script did not make (no ``marker_table``) is refused with
    ``empty_hint``; otherwise PostgreSQL's schema is wiped and a SQLite file must be new.
    """
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            if tables and marker_table not in tables:
                sys.exit(f"{url} has tables that this benchmark did not make; "
                         f"give it an empty database ({empty_hint})")
            if tables and built(conn, tables):
                return True
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            elif tables:
                sys.exit(f"{url}: give a new SQLite file, or --reuse")
    finally:
        engine.dispose()
    return False


def timed(fn: Callable[[], object], repeat: int, warmups: int = 1) -> list[float]:
    """Milliseconds per call of ``fn``, after ``warmups`` calls; each call in its own
    transaction (rolled back)."""
    for _ in range(warmups):
        fn()
        db.session.rollback()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        db.session.rollback()
    return times
