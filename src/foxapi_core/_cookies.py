"""Cookie extraction only for responses that set a cookie: a workaround in how we drive httpx.

httpx 0.28 offers EVERY response to its cookie jar (``Client._send_single_request`` calls
``Cookies.extract_cookies``), and that builds urllib compatibility wrappers first: a
``urllib.request.Request`` (which parses the URL again) and an ``email.message.Message``. On
loopback py-spy put 9 % of a default-transport call's CPU there (benchmark figure 2: three
responses a call), although a response without ``Set-Cookie`` cannot change the jar. Upstream:
the same check was merged in pydantic/httpx2#1107 (related: encode/httpx#2875, the cost of
merging cookies on every request); httpx itself has not shipped it.

Only the clients this package creates get it; an ``http_client=`` the caller passes in is left as
it is. Cookies keep working exactly as in httpx: a response that sets one still reaches the jar.
"""

from __future__ import annotations

import httpx

__all__ = ["SetCookieOnly", "skip_cookieless_extraction"]


class SetCookieOnly(httpx.Cookies):
    """``httpx.Cookies`` that skips the jar for a response with no ``Set-Cookie`` header."""

    def extract_cookies(self, response: httpx.Response) -> None:
        """Load the response's cookies, if it sets any (httpx's own code does the loading)."""
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


def skip_cookieless_extraction(http: httpx.Client | httpx.AsyncClient) -> None:
    """Give ``http`` a :class:`SetCookieOnly` jar (holding the cookies it already had).

    httpx has no public hook for this (the ``cookies`` setter wraps any value in a plain
    ``Cookies``), so the private ``_cookies`` attribute is replaced, only when it is what httpx
    0.28 puts there; any other layout leaves the client untouched.
    """
    current = getattr(http, "_cookies", None)
    if type(current) is httpx.Cookies:
        http._cookies = SetCookieOnly(current)
