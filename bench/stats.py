"""Numbers a broadcast benchmark reports, computed from the limited Bot API's record.

Why pure functions: the same summary serves a run against the in-process server and one
against a subprocess (whose /stats JSON has the same rows), and it can be checked by hand
on a few made-up timestamps without any server.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Iterable, Sequence
from typing import Any

WINDOW_S = 1.0
# The same rounding slack the server uses (bench.limited_bot_api.WINDOW_SLACK), so a peak
# counted here is the peak the server enforced.
WINDOW_SLACK = 1e-9


def _chat_key(chat_id: Any) -> Any:
    # /stats JSON and the caller's list may disagree on 123 versus "123".
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return chat_id


def max_in_window(times: Iterable[float], window: float = WINDOW_S) -> int:
    """Most timestamps in any window (t - window, t], the window the server limits on."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window + WINDOW_SLACK:
            start += 1
        best = max(best, end - start + 1)
    return best


def summarize(
    accepted: Iterable[Sequence[Any]],
    expected_chat_ids: Iterable[Any],
    limit_per_second: float = 30,
) -> dict[str, Any]:
    """Summarize accepted messages: rows of (time, method, chat_id, ...).

    The caller keeps only the methods that deliver the broadcast (sendMessage,
    sendDocument). Returns:
    - messages: how many were accepted;
    - duration_s: first to last accepted, 0.0 for fewer than two;
    - rate_per_s: (messages - 1) / duration_s, the intervals per second; None when it is
      undefined (fewer than two messages, or all at the same instant);
    - share_of_limit: rate_per_s / limit_per_second, or None with rate_per_s;
    - lost: sorted expected chat ids that got no message;
    - duplicates: over the chats, the messages beyond the first one;
    - max_in_any_1s_window: the peak the overall limit constrains.
    """
    rows = list(accepted)
    times = sorted(float(row[0]) for row in rows)
    messages = len(times)
    duration = times[-1] - times[0] if messages > 1 else 0.0
    rate = (messages - 1) / duration if messages > 1 and duration > 0 else None

    per_chat = collections.Counter(_chat_key(row[2]) for row in rows)
    expected = {_chat_key(chat_id) for chat_id in expected_chat_ids}
    lost = sorted((c for c in expected if per_chat[c] == 0), key=lambda c: (str(type(c)), c))

    return {
        "messages": messages,
        "duration_s": duration,
        "rate_per_s": rate,
        "share_of_limit": rate / limit_per_second if rate is not None else None,
        "lost": lost,
        "duplicates": sum(count - 1 for count in per_chat.values() if count > 1),
        "max_in_any_1s_window": max_in_window(times),
    }


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile (0-100), interpolating linearly between ranks like numpy's default.

    Raises ValueError for no values: a latency percentile of nothing is a bug in the
    benchmark, not a zero.
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} outside 0..100")
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
