"""The analysis layer is pure pandas: its tests need no app and no database."""

import pytest


@pytest.fixture(autouse=True)
def _empty_database():
    """Override the suite-wide table cleaner: nothing here touches the database."""
    yield
