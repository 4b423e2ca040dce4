"""support-ops: the operator CLI. Settings come from the environment; the flags here override."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import ValidationError

from ops import cmd_backbone, cmd_privacy, cmd_publish, cmd_retention
from ops.settings import OpsSettings

app = typer.Typer(
    name="support-ops",
    help="Operate the support-data platform: publish contract events, data-subject rights, "
    "retention status, dead letters, the plaintext scanner, health.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(cmd_publish.app, name="publish")
app.add_typer(cmd_privacy.erasure, name="erasure")
app.add_typer(cmd_privacy.export, name="export")
app.add_typer(cmd_retention.retention, name="retention")
app.add_typer(cmd_backbone.dlq, name="dlq")
app.command("status")(cmd_retention.status)
app.command("scan")(cmd_backbone.scan)
app.command("health")(cmd_backbone.health)


@app.callback()
def root(
    ctx: typer.Context,
    kafka: Annotated[
        str | None,
        typer.Option(help="Kafka bootstrap servers [KAFKA_BOOTSTRAP_SERVERS].", show_default=False),
    ] = None,
    mongodb: Annotated[
        str | None, typer.Option(help="MongoDB URL [MONGODB_URL].", show_default=False)
    ] = None,
    intake_url: Annotated[str | None, typer.Option(help="[INTAKE_URL]", show_default=False)] = None,
    access_url: Annotated[str | None, typer.Option(help="[ACCESS_URL]", show_default=False)] = None,
    retention_url: Annotated[
        str | None, typer.Option(help="[RETENTION_URL]", show_default=False)
    ] = None,
    surveys_url: Annotated[
        str | None, typer.Option(help="[SURVEYS_URL]", show_default=False)
    ] = None,
    instance_prefix: Annotated[
        str | None, typer.Option(help="[INSTANCE_PREFIX]", show_default=False)
    ] = None,
) -> None:
    """Settings from the environment (STAFF_TOKEN, KEY_ENCRYPTION_KEY, ...); flags override."""
    given: dict[str, Any] = {
        "kafka_bootstrap_servers": kafka,
        "mongodb_url": mongodb,
        "intake_url": intake_url,
        "access_url": access_url,
        "retention_url": retention_url,
        "surveys_url": surveys_url,
        "instance_prefix": instance_prefix,
    }
    try:
        ctx.obj = OpsSettings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as error:
        fields = ", ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in error.errors())
        typer.echo(f"error: invalid settings: {fields}", err=True)
        raise typer.Exit(2) from None


def main() -> None:
    """The console script's entry point."""
    app()
