"""``python -m fw``: run, routes, config explain and errors, for one application.

Each command works on the application in the current folder, or the one
given with ``--app DIR``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import errors, routing, server
from .app import Application
from .exceptions import FwError
from .layers import Stack

log = logging.getLogger(__name__)

RELOAD_CHILD = "FW_RELOAD_CHILD"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; return the exit code."""
    parser = _parser()
    args, rest = parser.parse_known_args(argv, argparse.Namespace(app=None))
    if args.command != "errors" and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    _configure_logging()
    try:
        return args.handler(args, rest)
    except FwError as error:
        print(f"fw: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # NOTE: SUPPRESS, or each sub-command would reset an --app given before it.
    common.add_argument(
        "--app", default=argparse.SUPPRESS, help="the application folder"
    )
    parser = argparse.ArgumentParser(prog="python -m fw", parents=[common])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", parents=[common], help="serve the application")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--reload", action="store_true", help="restart on changes")
    run.set_defaults(handler=_run)

    routes = commands.add_parser("routes", parents=[common], help="list presenters")
    routes.add_argument("--host", default=None, help="include this host's layers")
    routes.set_defaults(handler=_routes)

    config = commands.add_parser("config", parents=[common], help="configuration")
    config_commands = config.add_subparsers(dest="action", required=True)
    explain = config_commands.add_parser("explain", parents=[common])
    explain.add_argument("name", help="the configuration's name, without extension")
    explain.add_argument("--host", default=None, help="include this host's layers")
    explain.set_defaults(handler=_explain)

    stored = commands.add_parser(
        "errors", parents=[common], help="list, show or prune stored errors"
    )
    stored.set_defaults(handler=_errors)

    _add_db_commands(commands, common)
    _add_mail_commands(commands, common)
    _add_access_commands(commands, common)
    return parser


def _add_mail_commands(commands: argparse._SubParsersAction, common) -> None:
    mail = commands.add_parser("mail", help="test the mail settings, send queued mail")
    actions = mail.add_subparsers(dest="action", required=True)
    test = actions.add_parser("test", parents=[common], help="send a test message")
    test.add_argument("--to", required=True, help="the address to send it to")
    test.add_argument("--host", default=None, help="instead of the configured host")
    test.add_argument("--port", type=int, default=None, help="instead of the port")
    test.set_defaults(handler=_mail)
    flush = actions.add_parser(
        "flush", parents=[common], help="send due error digests and queued mail"
    )
    flush.set_defaults(handler=_mail)


def _mail(args: argparse.Namespace, rest: list[str]) -> int:
    from .errors import notify
    from .mail import load_settings
    from .mail.commands import mail_test

    app = _application(args)
    settings = load_settings(app.layers.base.config)
    if args.action == "test":
        options = {"host": args.host, "port": args.port, "out": sys.stdout}
        return mail_test(settings, args.to, **options)
    sent = notify.flush(app.root, settings)
    print(f"Sent {sent} message(s).")
    return 0


def _add_access_commands(commands: argparse._SubParsersAction, common) -> None:
    users = commands.add_parser("users", help="add users, set passwords and roles")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser(
        "add", parents=[common], help="add a user; the password comes from stdin"
    )
    add.add_argument("login")
    add.add_argument("--roles", default="", help="comma-separated role names")
    add.set_defaults(handler=_users)
    passwd = actions.add_parser(
        "passwd", parents=[common], help="set a password, read from stdin"
    )
    passwd.add_argument("login")
    passwd.set_defaults(handler=_users)
    roles = actions.add_parser("roles", parents=[common], help="set a user's roles")
    roles.add_argument("login")
    roles.add_argument("roles", help="comma-separated role names")
    roles.set_defaults(handler=_users)

    acl = commands.add_parser("acl", help="explain access decisions")
    acl_actions = acl.add_subparsers(dest="action", required=True)
    explain = acl_actions.add_parser(
        "explain", parents=[common], help="may LOGIN open PRESENTER, and why"
    )
    explain.add_argument("login", help="a user's login, or - for an anonymous visitor")
    explain.add_argument("presenter", help="a presenter name, such as staff/index")
    explain.add_argument("--host", default=None, help="include this host's layers")
    explain.set_defaults(handler=_acl_explain)


def _add_db_commands(commands: argparse._SubParsersAction, common) -> None:
    database = argparse.ArgumentParser(add_help=False, parents=[common])
    database.add_argument(
        "--database", default=None, metavar="URL", help="instead of the configured one"
    )
    db = commands.add_parser("db", help="install, compare, upgrade or copy")
    actions = db.add_subparsers(dest="action", required=True)
    actions.add_parser(
        "install", parents=[database], help="create the described tables"
    ).set_defaults(handler=_db, action="install")
    actions.add_parser(
        "status", parents=[database], help="show what differs from the descriptions"
    ).set_defaults(handler=_db, action="status")
    upgrade = actions.add_parser(
        "upgrade", parents=[database], help="apply the descriptions' changes"
    )
    upgrade.add_argument("--dry-run", action="store_true", help="print the SQL only")
    upgrade.add_argument(
        "--allow-data-loss", action="store_true", help="allow drops and narrowing"
    )
    upgrade.set_defaults(handler=_db, action="upgrade")
    copy = actions.add_parser(
        "copy", parents=[database], help="copy every row to another database"
    )
    copy.add_argument("--to", required=True, metavar="URL", help="the target database")
    copy.set_defaults(handler=_db, action="copy")


def _configure_logging() -> None:
    if not logging.getLogger().handlers and not logging.getLogger("fw").handlers:
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)


def _application(args: argparse.Namespace) -> Application:
    return Application(Path(args.app or os.getcwd()))


def _run(args: argparse.Namespace, rest: list[str]) -> int:
    if args.reload and not os.environ.get(RELOAD_CHILD):
        return _reload_loop(args)
    app = _application(args)
    try:
        server.serve(app, args.host, args.port)
    except OSError as error:
        print(f"fw: cannot serve on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


def _stack(args: argparse.Namespace) -> Stack:
    app = _application(args)
    return app.layers.for_host(args.host) if args.host else app.layers.without_host()


def _routes(args: argparse.Namespace, rest: list[str]) -> int:
    for url, found in routing.list_routes(_stack(args).finder):
        kind = "code" if found.path.suffix == ".py" else "content"
        print(f"{url:<32} {kind:<8} {found.layer:<12} {found.path}")
    return 0


def _explain(args: argparse.Namespace, rest: list[str]) -> int:
    stack = _stack(args)
    print(f"server layer: {stack.server or '(none yet)'}")
    print(stack.config.format_explain(args.name))
    return 0 if stack.config.explain(args.name) else 1


def _db(args: argparse.Namespace, rest: list[str]) -> int:
    from .db import commands as db_commands

    app = _application(args)
    options = {"url": args.database, "out": sys.stdout}
    if args.action == "upgrade":
        options.update(dry_run=args.dry_run, allow_data_loss=args.allow_data_loss)
    if args.action == "copy":
        options["to"] = args.to
    return getattr(db_commands, args.action)(app, **options)


def _users(args: argparse.Namespace, rest: list[str]) -> int:
    from .auth import commands as user_commands

    auth = _application(args).authenticator()
    streams = {"out": sys.stdout}
    if args.action == "add":
        return user_commands.users_add(
            auth, args.login, args.roles, password_stream=sys.stdin, **streams
        )
    if args.action == "passwd":
        return user_commands.users_passwd(
            auth, args.login, password_stream=sys.stdin, **streams
        )
    return user_commands.users_roles(auth, args.login, args.roles, **streams)


def _acl_explain(args: argparse.Namespace, rest: list[str]) -> int:
    from . import guard

    app = _application(args)
    allowed, text = guard.explain(app, args.login, args.presenter, host=args.host)
    print(text)
    return 0 if allowed else 1


def _errors(args: argparse.Namespace, rest: list[str]) -> int:
    app = _application(args)
    return errors.run_command(app.errors_folder, rest, out=sys.stdout)


def _reload_loop(args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", "fw", *sys.argv[1:]]
    watched = [Path(args.app or os.getcwd()), Path(__file__).parent]
    environ = {**os.environ, RELOAD_CHILD: "1"}
    signal.signal(signal.SIGTERM, _stop_on_terminate)
    while True:
        before = _snapshot(watched)
        child = subprocess.Popen(command, env=environ)
        try:
            changed = _watch(child, watched, before)
        except (KeyboardInterrupt, SystemExit):
            return 0
        finally:
            _end(child)
        if not changed and not _wait_for_change(watched, before):
            return child.returncode


def _watch(child: subprocess.Popen, watched: list[Path], before: dict) -> bool:
    while child.poll() is None:
        if _snapshot(watched) != before:
            log.info("A file changed; restarting.")
            return True
        time.sleep(1)
    return False


def _end(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.terminate()
        child.wait()


def _stop_on_terminate(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _wait_for_change(watched: list[Path], before: dict) -> bool:
    log.info("The server stopped; waiting for a change to restart it.")
    try:
        while _snapshot(watched) == before:
            time.sleep(1)
    except KeyboardInterrupt:
        return False
    return True


def _snapshot(folders: list[Path]) -> dict[Path, int]:
    """Return the Python files below the folders with their mtimes.

    Templates and configuration are read again when they change anyway;
    only code needs a new process.
    """
    found = {}
    for folder in folders:
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).parts
            if parts[0] == "var" or "__pycache__" in parts:
                continue
            try:
                found[path] = path.stat().st_mtime_ns
            except OSError:
                continue
    return found
