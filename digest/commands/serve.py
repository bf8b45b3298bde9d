"""``digest serve``: the subscription web app under uvicorn."""

from __future__ import annotations

import logging
import os

import click

from digest.commands.app import App, pass_app
from digest.tokens import TokenSigner, secret_key

FORWARDED_ENV = "FORWARDED_ALLOW_IPS"


def _quiet_tokens() -> None:
    """Log requests through digest's logging, without the signed links (secrets)."""
    from digest.web.security import RedactTokens

    for name in ("uvicorn", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.INFO)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in access.filters):
        access.addFilter(RedactTokens())


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
@click.option(
    "--forwarded-allow-ips",
    default=lambda: os.environ.get(FORWARDED_ENV, "127.0.0.1"),
    show_default="$FORWARDED_ALLOW_IPS or 127.0.0.1",
    help="Reverse proxies whose X-Forwarded-For/-Proto are believed (comma-separated).",
)
@pass_app
def serve(app: App, host: str, port: int, forwarded_allow_ips: str) -> None:
    """Run the sign-up, preferences and unsubscribe pages and the SendGrid webhook.

    Needs DIGEST_SECRET_KEY (the key that signs the links in every mail). Put it
    behind a TLS-terminating reverse proxy; see docs/web.md.
    """
    import uvicorn

    from digest.web import create_app

    signer = TokenSigner(secret_key())  # refuses to start without the key
    web = create_app(app.config, app.store, signer=signer, regions=app.regions)
    _quiet_tokens()
    click.echo(f"digest: serving {app.config.site.title} on http://{host}:{port}", err=True)
    uvicorn.run(
        web,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        log_config=None,
        access_log=True,
    )
