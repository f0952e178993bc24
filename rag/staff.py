"""The staff tab's door: password checks that resist guessing, and upload tokens for logged-in staff.

Failed logins are counted per browser session, per client address and for the account; after
a few in a window (more for the account, which every address shares), every further try (the
right password too) is refused for a delay that doubles with each failure. The address is the
connection's own unless the app was told to trust a proxy's forwarding headers. The comparison stays constant-time. A successful login hands out a
random token that the browser sends with its uploads; anonymous uploads are refused.
"""
from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass, field

FREE_TRIES = 5  # wrong passwords per session or address before the first lockout
ACCOUNT_TRIES = 4 * FREE_TRIES  # ... and for the account, from any number of sessions and addresses
WINDOW_S = 15 * 60  # failures older than this are forgotten
LOCK_S = float(os.environ.get("PARAGRAF_LOGIN_LOCK_S", "30"))  # the first lockout; it doubles after each failure
MAX_LOCK_S = 15 * 60
TOKEN_TTL_S = 8 * 3600
UPLOADS_PER_TOKEN = 200  # files a staff login may upload before logging in again


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class LoginRefused(Exception):
    """str() is the Swedish reason shown to the user."""


class StaffDoor:
    def __init__(self, password: str, lock_s: float = LOCK_S) -> None:
        self._password = password.encode()
        self._lock_s = lock_s
        self._failures: dict[str, _Failures] = {}
        self._tokens: dict[str, tuple[float, int]] = {}  # token -> (expiry, uploads left)
        self._mutex = threading.Lock()

    def login(self, given: str, session: str, address: str, now: float | None = None) -> str:
        """A fresh upload token for the right password; LoginRefused for a wrong one or while locked."""
        now = time.monotonic() if now is None else now
        keys = [f"session:{session}", f"address:{address}", "account:staff"]
        with self._mutex:
            wait = max(self._entry(k, now).locked_until - now for k in keys)
            if wait > 0:
                raise LoginRefused(f"För många felaktiga försök. Försök igen om {int(wait) + 1} sekunder.")
            if hmac.compare_digest((given or "").encode(), self._password):
                for k in keys:
                    self._failures.pop(k, None)
                token = secrets.token_urlsafe(32)
                self._tokens[token] = (now + TOKEN_TTL_S, UPLOADS_PER_TOKEN)
                return token
            for k in keys:
                self._fail(self._entry(k, now), now, ACCOUNT_TRIES if k.startswith("account:") else FREE_TRIES)
        raise LoginRefused("Fel lösenord.")

    def _entry(self, key: str, now: float) -> _Failures:
        entry = self._failures.setdefault(key, _Failures())
        entry.times = [t for t in entry.times if now - t < WINDOW_S]
        return entry

    def _fail(self, entry: _Failures, now: float, free: int) -> None:
        entry.times.append(now)
        over = len(entry.times) - free
        if over >= 0:
            entry.locked_until = now + min(MAX_LOCK_S, self._lock_s * 2 ** over)

    def allow_upload(self, token: str | None, now: float | None = None) -> bool:
        """One upload request by the holder of `token`; False for no token, an expired or used-up one."""
        now = time.monotonic() if now is None else now
        with self._mutex:
            expiry, left = self._tokens.get(token or "", (0.0, 0))
            if expiry <= now or left <= 0:
                self._tokens.pop(token or "", None)
                return False
            self._tokens[token] = (expiry, left - 1)
            return True

    def valid(self, token: str | None, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._mutex:
            return self._tokens.get(token or "", (0.0, 0))[0] > now

    def logout(self, token: str | None) -> None:
        with self._mutex:
            self._tokens.pop(token or "", None)
