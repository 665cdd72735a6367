"""The `modeplan` command: every `flask --app poll` command, configured by the environment alone
(no .env is read; that is a convenience of scripts/ and `flask`)."""

import click
from flask.cli import FlaskGroup, ScriptInfo

from . import create_app
from .config import ConfigError
from .version import __version__


class Commands(FlaskGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        """As FlaskGroup's, but a configuration error is shown as its message (FlaskGroup
        prints the traceback), followed by the commands that need no app."""
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except ConfigError as error:
            error.show()
            self._load_plugin_commands()
            return sorted(click.Group.list_commands(self, ctx))
        return super().list_commands(ctx)


@click.group(cls=Commands, create_app=create_app, load_dotenv=False, add_version_option=False)
@click.version_option(__version__, prog_name="modeplan", message="%(prog)s %(version)s")
def main() -> None:
    """Mødeplan: date poll and year planner for networks of Danish public libraries."""
