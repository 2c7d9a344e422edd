"""Fixtures of the client tests."""

from __future__ import annotations

import pytest

from tests.client.client_helpers import Rig, make_rig


@pytest.fixture()
def rig(sandbox: object) -> Rig:
    """A client on a freshly reseeded sandbox, with zero-wait sleeps and a fake-clock budget."""
    sandbox.reset()
    sandbox.reset_counters()
    return make_rig(sandbox)
