"""Response models of the log's proofs: signed checkpoints, inclusion and consistency proofs
(the same JSON as the CLI's files, docs/CHAIN.md)."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Public


class PublicKeyPublic(Public):
    """The key that checks the chain's and the checkpoints' signatures."""

    public_key: str = Field(description="Ed25519, raw 32 bytes, base64.")
    key_id: str


class CheckpointPublic(Public):
    """A signed Merkle tree head of the first `tree_size` chained events."""

    format: str
    version: int
    tree_size: int
    last_position: int
    root: str = Field(description="sha256, hex.")
    issued_at: str
    key_id: str
    signature: str = Field(description="Ed25519, base64.")


class InclusionProofPublic(Public):
    """The audit path of one event in a checkpoint's tree (RFC 9162)."""

    format: str
    version: int
    position: int
    leaf_index: int
    digest: str
    tree_size: int
    root: str
    path: list[str]


class ConsistencyProofPublic(Public):
    """The proof that a later checkpoint's tree contains an earlier one's (RFC 9162)."""

    format: str
    version: int
    first_size: int
    second_size: int
    path: list[str]
