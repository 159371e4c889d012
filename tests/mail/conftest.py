"""Mail fixtures: the real local SMTP server and the scheduling world (a sitting, a bank)."""

from tests.coordinator.conftest import bank, coordinator, proctor, sitting, window  # noqa: F401
from tests.smtp import smtp  # noqa: F401
