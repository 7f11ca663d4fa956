"""When to tell the operator that something broke: often enough to notice, never a flood.

The error handler (handlers/common.py) asks before each alert. The same failure (the same
handler and exception type) is told at most once per SAME_EVERY, and at most PER_HOUR
alerts go out in any hour; what was held back is counted and said with the next alert.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SAME_EVERY = timedelta(minutes=10)
PER_HOUR = 10


@dataclass
class AlertThrottle:
    _last: dict[str, datetime] = field(default_factory=dict)
    _sent: deque[datetime] = field(default_factory=deque)
    suppressed: int = 0

    def allow(self, key: str, now: datetime) -> int | None:
        """None: hold this alert back. Else the number held back since the last one sent
        (to be said with it), and the alert counts as sent."""
        while self._sent and now - self._sent[0] >= timedelta(hours=1):
            self._sent.popleft()
        last = self._last.get(key)
        if (last is not None and now - last < SAME_EVERY) or len(self._sent) >= PER_HOUR:
            self.suppressed += 1
            return None
        self._last[key] = now
        self._sent.append(now)
        held, self.suppressed = self.suppressed, 0
        return held
