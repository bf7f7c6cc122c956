"""Integration layer: the real adapters and handlers against moto, tables created from infra/."""
import pytest
from moto import mock_aws

from chalicelib.local.stack import create_resources


@pytest.fixture(autouse=True)
def virtual_start():
    """Each test starts on the virtual clock at the suite's chosen instant (tests/conftest.py)."""
    from chalicelib.clock import clock
    from chalicelib.local import runtime
    from tests.helpers import CLOCK_START

    from chalicelib.services import switches

    clock.start_at(CLOCK_START)
    runtime.reset()
    switches.forget()  # a sequence switched off in one test's stand-in is not off in the next
    from chalicelib.content import versions

    versions.forget()  # nor a template version live in one test's stand-in live in the next
    yield clock


@pytest.fixture
def aws():
    from chalicelib.people import directory

    with mock_aws():
        create_resources()
        directory.forget()  # this test's pool, nobody remembered from the last
        yield


@pytest.fixture
def ctx(aws):
    from chalicelib.config import settings
    from chalicelib.services.context import Context

    return Context(settings())


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield client


@pytest.fixture
def auth():
    return {"Authorization": "Bearer test-token", "Content-Type": "application/json"}

