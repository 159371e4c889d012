"""Reading numbers from forms strictly: ASCII digits only, bounded length."""

import re

WHOLE = re.compile(r"[0-9]{1,9}")


def whole_number(raw: str | None) -> int | None:
    """A non-negative whole number, or None: '²', '١٢', ' 3', '1e3' and huge values are not."""
    return int(raw) if raw is not None and WHOLE.fullmatch(raw) else None
