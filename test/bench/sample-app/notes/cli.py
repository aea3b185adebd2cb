"""`flask init-db`: create the tables (click command on the Flask CLI)."""
import click

from notes import db


def register_cli(app) -> None:
    @app.cli.command("init-db")
    @click.option("--quiet", is_flag=True, help="print nothing")
    def init_db(quiet: bool) -> None:
        db.create_schema()
        if not quiet:
            click.echo("tables created")
