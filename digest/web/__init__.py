"""Web: HTTP requests in, subscriptions and pages out (sign-up, preferences, webhook, health).

The subscription web app served by ``digest serve``: sign-up with double
opt-in, preferences, one-click unsubscribe, SendGrid event webhook, health.

Modules: :mod:`~digest.web.app` (factory, routes, error pages),
:mod:`~digest.web.signup`, :mod:`~digest.web.manage`, :mod:`~digest.web.webhook`
(request handlers), :mod:`~digest.web.mail` (the app's own mails),
:mod:`~digest.web.records` (store access), :mod:`~digest.web.security`
(headers, CSRF, rate limits), :mod:`~digest.web.context` (shared state).
"""

from __future__ import annotations

from digest.web.app import create_app
from digest.web.security import RateLimits

__all__ = ["RateLimits", "create_app"]
