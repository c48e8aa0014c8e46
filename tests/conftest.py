"""Shared test configuration: Hypothesis profiles (``HYPOTHESIS_PROFILE=dev|ci``)."""

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=200, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden files under tests/golden/ instead of comparing")


GOLDEN_DIR = Path(__file__).parent / "golden"
REPO = Path(__file__).parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``golden(name, actual)``: compare with tests/golden/<name>; --update-golden rewrites.

    A missing golden file fails, so a new output is always reviewed once.
    """

    def check(name: str, actual: str) -> None:
        path = GOLDEN_DIR / name
        if request.config.getoption("--update-golden"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"golden file {path} is missing: run pytest --update-golden, review it")
        assert actual == path.read_text(encoding="utf-8"), \
            f"output differs from {path} (run pytest --update-golden to accept)"

    return check
