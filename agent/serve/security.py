"""What keeps the desk safe to leave open.

- Bound to a loopback address (the default), it answers only requests whose Host header
  names localhost, so a web page elsewhere cannot reach it through a DNS name it rebinds
  to 127.0.0.1.
- Bound elsewhere (`--host`), every request needs the token printed at start: in the
  `token` query parameter once (it becomes an HttpOnly cookie), the cookie, or an
  `Authorization: Bearer` header. Comparisons are constant-time (hmac.compare_digest).
  Without it: 401.
- Every form carries a CSRF token equal to an HttpOnly, SameSite=Strict cookie (double
  submit); a POST without the pair is refused with 403 (`form_of`).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import parse_qsl, urlencode

from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import PlainTextResponse, RedirectResponse, Response

CSRF_COOKIE = "synthloop_csrf"
CSRF_FIELD = "csrf"
LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


def new_token() -> str:
    """A token for a non-local bind (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two tokens; False when either is missing."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


def token_cookie(port: int) -> str:
    # cookies are shared by every port of a host: one name per port keeps two desks apart
    return f"synthloop_token_{port}"


class Guard(BaseHTTPMiddleware):
    """The Host check (loopback binds) or the token (other binds), then the CSRF cookie
    (set on the first response, so every page can embed it)."""

    def __init__(self, app, *, token: str | None, port: int):
        super().__init__(app)
        self.token = token
        self.port = port

    async def dispatch(self, request: Request, call_next) -> Response:
        if self.token is None:
            host = request.url.hostname or ""  # from the Host header
            if not is_loopback(host):
                return PlainTextResponse(f"the review desk answers only on localhost, not on "
                                         f"host {host!r}", status_code=421)
        else:
            given = request.query_params.get("token")
            if given is not None:
                if not same(given, self.token):
                    return _unauthorized()
                # the token leaves the URL (history, logs) for an HttpOnly cookie
                rest = urlencode([(k, v) for k, v in parse_qsl(request.url.query)
                                  if k != "token"])
                resp = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), 303)
                resp.set_cookie(token_cookie(self.port), self.token, httponly=True,
                                samesite="strict")
                return resp
            auth = request.headers.get("authorization", "")
            bearer = auth[7:] if auth.lower().startswith("bearer ") else None
            if not (same(request.cookies.get(token_cookie(self.port)), self.token)
                    or same(bearer, self.token)):
                return _unauthorized()
        csrf = request.cookies.get(CSRF_COOKIE)
        if not csrf:
            csrf = secrets.token_urlsafe(24)
        request.state.csrf = csrf
        response = await call_next(request)
        if request.cookies.get(CSRF_COOKIE) != csrf:
            response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'")
        return response


def _unauthorized() -> Response:
    return PlainTextResponse("401: this review desk needs the token printed when it started "
                             "(open the URL it printed, with ?token=...)", status_code=401,
                             headers={"WWW-Authenticate": "Bearer"})


async def form_of(request: Request) -> FormData:
    """The POSTed form, once its CSRF field matches the cookie (403 otherwise). Every route
    that changes something takes its form from here."""
    form = await request.form()
    field = form.get(CSRF_FIELD)
    if not same(request.cookies.get(CSRF_COOKIE), field if isinstance(field, str) else None):
        raise HTTPException(403, "the form's CSRF token is missing or stale: reload the page "
                                 "and submit it again")
    return form
