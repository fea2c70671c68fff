"""The arguments, output and exit codes of `python -m admin` (documented in admin/__main__.py)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OK, FAILED, INVALID, REFUSED = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m admin", description="Operator tools for a stage.")
    tools = parser.add_subparsers(dest="tool", required=True)
    clients = tools.add_parser("clients", help="validate, diff and apply a clients file; list, show, pause, resume, "
                                               "resubscribe")
    commands = clients.add_subparsers(dest="command", required=True)

    def command(name: str, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--stage", default=None, help="stage of infra/stages.json (default: APP_STAGE, else local)")
        return sub

    for name, text in (("validate", "check a clients file with every rule the runs apply"),
                       ("diff", "what apply would add, change, pause, resume or remove")):
        command(name, text).add_argument("file", type=Path)
    apply = command("apply", "validate, then write the difference all or nothing")
    apply.add_argument("file", type=Path)
    apply.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    apply.add_argument("--prune", action="store_true", help="also remove clients that have undelivered periods")
    command("list", "every stored client").add_argument("--json", action="store_true")
    show = command("show", "one client: config, deliveries, next period due, recent problems")
    show.add_argument("client_id")
    show.add_argument("--json", action="store_true")
    command("pause", "set a client's status to PAUSED").add_argument("client_id")
    command("resume", "set a client's status to ACTIVE").add_argument("client_id")
    back = command("resubscribe", "send to a recipient again who had unsubscribed (they asked to come back)")
    back.add_argument("client_id")
    back.add_argument("address")
    logo = command("upload-logo", "check a logo (PNG or JPEG, at most 200 KB and 800 px wide) and store it")
    logo.add_argument("client_id", help="the client's id, or _deployment for the deployment's own logo")
    logo.add_argument("file", type=Path)
    logo.add_argument("--name", default=None, help="its name under assets/<client_id>/ (default: logo.png or logo.jpg)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from admin.target import stage_name, use_stage
    from chalicelib.core.errors import CostReportError

    args = build_parser().parse_args(argv)
    stage = stage_name(args.stage)
    try:
        table = use_stage(stage)
    except ValueError as exc:
        return _fail(INVALID, str(exc))
    try:
        return COMMANDS[args.command](args, stage)
    except (CostReportError, BotoCoreError, ClientError) as exc:
        return _fail(FAILED, f"stage {stage} (table {table}): {exc}")


def _fail(code: int, message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _today() -> Any:
    return datetime.now(UTC).date()


def _checked_entries(path: Path) -> tuple[list[Any] | None, int]:
    """The file's entries when every rule holds, else (None, exit code) with each problem printed."""
    from admin import clients

    try:
        entries = clients.read_file(path)
    except clients.ClientsFileError as exc:
        return None, _fail(INVALID, str(exc))
    found = clients.problems(entries)
    for problem in found:
        print(f"problem: {problem}", file=sys.stderr)
    if found:
        return None, _fail(INVALID, f"{path}: {len(found)} problem(s); nothing was written")
    return entries, OK


def validate(args: argparse.Namespace, stage: str) -> int:
    entries, code = _checked_entries(args.file)
    if entries is None:
        return code
    print(f"{args.file}: {len(entries)} client(s), every rule of stage {stage} holds")
    return OK


def diff(args: argparse.Namespace, stage: str) -> int:
    from admin import clients

    entries, code = _checked_entries(args.file)
    if entries is None:
        return code
    changes = clients.plan(entries, _today())
    _print_changes(changes, stage)
    return OK


def _print_changes(changes: list[Any], stage: str) -> None:
    if not changes:
        print(f"stage {stage}: the table already matches the file")
        return
    for change in changes:
        print(change.describe())
    counts = {kind: sum(c.kind == kind for c in changes) for kind in ("add", "change", "pause", "resume", "remove")}
    print(f"stage {stage}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))


def apply(args: argparse.Namespace, stage: str) -> int:
    from admin import clients

    entries, code = _checked_entries(args.file)
    if entries is None:
        return code
    changes = clients.plan(entries, _today())
    _print_changes(changes, stage)
    if not changes:
        return OK
    held = [c for c in changes if c.kind == "remove" and c.undelivered]
    if held and not args.prune:
        return _fail(REFUSED, f"{', '.join(c.client_id for c in held)} still have undelivered periods: keep them in "
                              "the file (status PAUSED or DISABLED to stop them), or pass --prune; nothing was written")
    if not args.yes:
        if not sys.stdin.isatty():
            return _fail(REFUSED, "not confirmed: pass --yes to apply without a terminal; nothing was written")
        if input(f"apply {len(changes)} change(s) to stage {stage}? [y/N] ").strip().lower() not in ("y", "yes"):
            return _fail(REFUSED, "not confirmed; nothing was written")
    try:
        transactions = clients.apply(changes)
    except clients.ApplyFailed as exc:
        if not exc.rolled_back:
            print(json.dumps([{"client_id": c.client_id, "config_to_restore": c.new} for c in exc.left_over],
                             indent=2), file=sys.stderr)
        return _fail(FAILED, str(exc))
    print(f"applied {len(changes)} change(s) to stage {stage} in {transactions} transaction(s)")
    return OK


def list_clients(args: argparse.Namespace, stage: str) -> int:
    from admin import clients

    rows = clients.overview()
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return OK
    if not rows:
        print(f"stage {stage}: no clients stored")
    for row in rows:
        reports = ",".join(row["reports"]) if isinstance(row["reports"], list) else "-"
        state = "valid" if row["problem"] is None else f"INVALID: {row['problem']}"
        print(f"{row['client_id']:<24} {row['status']!s:<9} {reports:<22} {state}")
    return OK


def show(args: argparse.Namespace, stage: str) -> int:
    from admin import clients

    found = clients.details(args.client_id, _today())
    if found is None:
        return _fail(INVALID, f"client_id: no client {args.client_id!r} is stored in stage {stage}")
    if args.json:
        print(json.dumps(found, indent=2, default=str))
        return OK
    print(f"client {found['client_id']}: " + ("valid" if found["problem"] is None else f"INVALID: {found['problem']}"))
    print(json.dumps(found["config"], indent=2, ensure_ascii=False))
    for report_type, entry in found["reports"].items():
        last = entry["last_delivery"]
        sent = f"last delivered {last['period_start']} at {last['delivered_at']} (run {last['run_id']})" if last else \
            "never delivered"
        due = entry["next_due"]
        if due is None:
            print(f"{report_type:<8} not enabled; {sent}")
            continue
        when = "due now (overdue)" if due.get("overdue") else f"due from {due['due_from']}"
        print(f"{report_type:<8} {sent}; next {due['period']} {when}" + (f"; {due['held']}" if due.get("held") else ""))
    print(f"unsubscribed recipients: {len(found['unsubscribed'])}")
    for row in found["unsubscribed"]:
        print(f"  {row['address']}  since {row['unsubscribed_at']} ({row['method']}); "
              f"to send again: python -m admin clients resubscribe {found['client_id']} {row['address']}")
    print(f"failures and problem skips in the latest {found['runs_looked_at']} run(s): {len(found['recent_problems'])}")
    for problem in found["recent_problems"]:
        print(f"  {problem['started_at']} {problem['run_id']}: {problem['status']} [{problem['kind']}] {problem['reason']}")
    return OK


def _set_status(client_id: str, status: str, stage: str) -> int:
    from admin import clients

    change, why = clients.with_status(client_id, status)
    if change is None and why:
        return _fail(INVALID, why)
    if change is None:
        print(f"client {client_id}: already {status} in stage {stage}")
        return OK
    try:
        clients.apply([change])
    except clients.ApplyFailed as exc:
        return _fail(FAILED, str(exc))
    print(f"client {client_id}: status {status} in stage {stage}")
    return OK


def pause(args: argparse.Namespace, stage: str) -> int:
    return _set_status(args.client_id, "PAUSED", stage)


def resume(args: argparse.Namespace, stage: str) -> int:
    return _set_status(args.client_id, "ACTIVE", stage)


def resubscribe(args: argparse.Namespace, stage: str) -> int:
    from admin import clients
    from chalicelib.core import clients as loader
    from chalicelib.core.errors import DataValidationError

    if loader.stored_config(args.client_id) is None:
        return _fail(INVALID, f"client_id: no client {args.client_id!r} is stored in stage {stage}")
    try:
        removed = clients.resubscribe(args.client_id, args.address)
    except DataValidationError:
        return _fail(INVALID, f"address: {args.address!r} is not an email address")
    if removed is None:
        return _fail(INVALID, f"address: {args.address!r} has not unsubscribed from client {args.client_id} "
                              f"(python -m admin clients show {args.client_id} lists who has)")
    print(f"client {args.client_id}: {removed} receives its reports and alerts again (stage {stage})")
    return OK


def upload_logo(args: argparse.Namespace, stage: str) -> int:
    from pydantic import TypeAdapter, ValidationError

    from chalicelib.core import branding, clients
    from chalicelib.core.models import AssetName
    from chalicelib.core.store.objects import put_bytes

    try:
        logo = branding.check_logo(args.file.read_bytes())
    except OSError as exc:
        return _fail(INVALID, f"{args.file}: cannot read: {exc.strerror or exc}")
    except ValueError as exc:
        return _fail(INVALID, f"{args.file}: {exc}")
    name = args.name or ("logo.png" if logo.subtype == "png" else "logo.jpg")
    try:
        TypeAdapter(AssetName).validate_python(name)
    except ValidationError:
        return _fail(INVALID, f"--name {name!r}: letters, digits, _ and - then .png, .jpg or .jpeg")
    if name.rpartition(".")[2].replace("jpg", "jpeg") != logo.subtype:
        return _fail(INVALID, f"--name {name!r}: the file is a {logo.subtype.upper()}")
    if args.client_id != branding.DEPLOYMENT_ASSETS and not clients.is_stored(args.client_id):
        return _fail(INVALID, f"client_id: no client {args.client_id!r} is stored in stage {stage}")
    key = put_bytes(branding.asset_key(args.client_id, name), logo.data, f"image/{logo.subtype}")
    where = "infra/stages.json's branding" if args.client_id == branding.DEPLOYMENT_ASSETS else "the client's config"
    print(f"stored {key} ({logo.width} x {logo.height} px, {len(logo.data):,} bytes); "
          f'set "branding": {{"logo": "{name}"}} in {where}')
    return OK


COMMANDS = {"validate": validate, "diff": diff, "apply": apply, "list": list_clients, "show": show,
            "pause": pause, "resume": resume, "upload-logo": upload_logo, "resubscribe": resubscribe}
