"""`jointcase audit`: verify the log against its chain, keep its head, issue signed checkpoints,
prove an event's inclusion or two checkpoints' consistency, and check a proof offline with the
checkpoint and the public key alone (docs/CHAIN.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from jointcase.console import fail
from jointcase.console import load_settings as _settings
from jointcase.console import open_app_and_views as _views
from jointcase.storage import ConfigurationError, resolve_database

audit_app = typer.Typer(help="Tamper evidence.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    public_key: Annotated[
        str | None,
        typer.Option(
            help="Base64 public key to check signatures with (default: the configured key's)."
        ),
    ] = None,
    anchor: Annotated[
        str | None,
        typer.Option(
            help="POSITION:LINK kept outside (from `audit head`): the chain must still hold it."
        ),
    ] = None,
) -> None:
    """Check the events table against the chain written with it: names the first event altered,
    removed, inserted, reordered or appended without the key. Exit status 1 when one is found."""
    from domain.chain import ChainVerifier
    from jointcase.storage import chain_signer
    from projections.chain import Anchor, verify

    settings = _settings()
    try:
        db = resolve_database(settings)
        verifier = (
            ChainVerifier.from_text(public_key)
            if public_key
            else chain_signer(settings, db).verifier
        )
        kept = None
        if anchor:
            at, link = anchor.split(":", 1)
            kept = Anchor(int(at), bytes.fromhex(link))
    except ConfigurationError as e:
        fail(str(e))
        return
    except ValueError as e:
        fail(f"--public-key or --anchor: {e}")
        return
    result = verify(db.conninfo(), verifier, schema=db.schema or "public", anchor=kept)
    if result.ok:
        typer.echo(
            f"ok: {result.checked} events verified up to position {result.head_position}, "
            f"signed by key {verifier.key_id}; chain head {result.head_link}"
        )
        for stretch in result.stretches:
            typer.echo(f"  {stretch.describe()}")
        return
    f = result.finding
    assert f is not None
    typer.echo(
        f"TAMPERED: {f.kind} at position {f.position} (aggregate {f.aggregate_id} version "
        f"{f.version}): {f.detail}; {result.checked} events checked up to position "
        f"{result.head_position}",
        err=True,
    )
    for stretch in result.stretches:
        typer.echo(f"  {stretch.describe()}", err=True)
    raise typer.Exit(1)


@audit_app.command("head")
def audit_head(
    position: Annotated[int | None, typer.Option(help="Chain link at this log position.")] = None,
) -> None:
    """Print the chain head (position and link) to keep outside the system as an anchor."""
    settings = _settings()
    try:
        app_, views = _views(settings)
    except ConfigurationError as e:
        fail(str(e))
        return
    head = views.audit.head(position)
    views.close()
    app_.close()
    if head is None:
        fail("the audit chain is empty")
        return
    typer.echo(f"{head['position']} {head['link']}")


def _checkpoints() -> tuple[Any, Any]:
    from jointcase.checkpoints import Checkpoints
    from jointcase.storage import chain_signer

    settings = _settings()
    try:
        db = resolve_database(settings)
        signer = chain_signer(settings, db)
    except ConfigurationError as e:
        fail(str(e))
        raise
    return Checkpoints(db.conninfo(), db.schema or "public"), signer


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        fail(f"{path}: {e}")
        raise
    if not isinstance(data, dict):
        fail(f"{path}: not a JSON object")
    return dict(data)


@audit_app.command("public-key")
def audit_public_key() -> None:
    """Print the public key that checks the chain's signatures (base64), for auditors."""
    _, signer = _checkpoints()
    typer.echo(signer.verifier.text())


@audit_app.command("checkpoint")
def audit_checkpoint(
    issue: Annotated[
        bool, typer.Option(help="Sign a checkpoint of the log as it is now first.")
    ] = False,
    tree_size: Annotated[int | None, typer.Option(help="The checkpoint of this tree size.")] = None,
) -> None:
    """Print a signed checkpoint (JSON; default: the latest) to keep outside the system."""
    checkpoints, signer = _checkpoints()
    if issue:
        checkpoints.issue(signer, datetime.now(UTC))
    found = checkpoints.checkpoint(tree_size)
    if found is None:
        fail("no checkpoint yet: issue one with --issue")
        return
    typer.echo(json.dumps(found.as_dict(signer.verifier)))


@audit_app.command("prove")
def audit_prove(
    position: Annotated[int, typer.Argument(help="The event's log position.")],
    tree_size: Annotated[
        int | None, typer.Option(help="Against this checkpoint (default: latest).")
    ] = None,
) -> None:
    """Print an inclusion proof (JSON) of the event at a position in a checkpoint's tree."""
    from jointcase.checkpoints import ProofError

    checkpoints, _ = _checkpoints()
    found = checkpoints.checkpoint(tree_size)
    if found is None:
        fail("no such checkpoint")
        return
    try:
        typer.echo(json.dumps(checkpoints.inclusion(position, found)))
    except ProofError as e:
        fail(str(e))


@audit_app.command("prove-consistency")
def audit_prove_consistency(
    first_size: Annotated[int, typer.Argument(help="Tree size of the earlier checkpoint.")],
    second_size: Annotated[
        int | None, typer.Argument(help="Of the later one (default: latest).")
    ] = None,
) -> None:
    """Print a consistency proof (JSON): the later checkpoint's log contains the earlier one's."""
    from jointcase.checkpoints import ProofError

    checkpoints, _ = _checkpoints()
    first, second = checkpoints.checkpoint(first_size), checkpoints.checkpoint(second_size)
    if first is None or second is None:
        fail("no such checkpoint")
        return
    try:
        typer.echo(json.dumps(checkpoints.consistency(first, second)))
    except ProofError as e:
        fail(str(e))


@audit_app.command("check-proof")
def audit_check_proof(
    proof: Annotated[
        Path, typer.Argument(help="A proof file from `audit prove` or `prove-consistency`.")
    ],
    checkpoint: Annotated[Path, typer.Option(help="The (later) checkpoint file.")],
    public_key: Annotated[str, typer.Option(help="Base64 public key (`audit public-key`).")],
    earlier: Annotated[
        Path | None, typer.Option(help="The earlier checkpoint (consistency).")
    ] = None,
) -> None:
    """Check a proof offline: needs no database, only the checkpoint(s) and the public key."""
    from domain.chain import ChainVerifier
    from jointcase.checkpoints import (
        CONSISTENCY,
        Checkpoint,
        ProofError,
        check_consistency,
        check_inclusion,
    )

    try:
        verifier = ChainVerifier.from_text(public_key)
        data = _load(proof)
        later = Checkpoint.from_dict(_load(checkpoint))
        if data.get("format") == CONSISTENCY:
            if earlier is None:
                fail("a consistency proof needs --earlier CHECKPOINT")
                return
            check_consistency(data, Checkpoint.from_dict(_load(earlier)), later, verifier)
            typer.echo(f"ok: the log of {later.tree_size} events contains the earlier checkpoint's")
        else:
            check_inclusion(data, later, verifier)
            typer.echo(
                f"ok: the event at position {data['position']} is in the checkpoint of "
                f"{later.tree_size} events, signed by key {verifier.key_id}"
            )
    except (ProofError, ValueError) as e:
        fail(str(e))
