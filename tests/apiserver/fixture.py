"""The example cluster served for a test module (pytest only: it skips without openssl)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from tests.apiserver._example import running_example
from tests.apiserver._server import ApiServer
from tests.apiserver._tls import NoOpenSSL


@contextmanager
def example_server() -> Iterator[ApiServer]:
    """The bundled example as a running cluster behind a started server, stopped after;
    the test is skipped when no certificate can be made."""
    objects, groups = running_example()
    try:
        srv = ApiServer(objects, installed=groups).start()
    except NoOpenSSL as e:
        pytest.skip(f"no test API server: {e}")
    try:
        yield srv
    finally:
        srv.stop()
