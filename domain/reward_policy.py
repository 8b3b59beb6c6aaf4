"""Reward policy (奖励办法): a cooperation agreement's reward rules, loaded from a TOML file
whose digest is recorded with every proposal computed from it."""

from __future__ import annotations

import hashlib
import itertools
import tomllib
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.errors import DomainError
from domain.values import CENT


class PolicyError(ValueError):
    """A reward policy file that cannot be used; the message says where and why."""


class PolicyUnavailable(DomainError):
    """The configured policy file cannot be used, so no proposal can be computed now."""

    rule = "reward-policy-invalid"


class Shares(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lead_provider: Decimal = Field(ge=0, le=1)
    handling: Decimal = Field(ge=0, le=1)
    co_handlers: Decimal = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> Shares:
        if self.lead_provider + self.handling + self.co_handlers != 1:
            raise ValueError("shares must add up to 1")
        return self


class Caps(BaseModel):
    model_config = ConfigDict(extra="forbid")
    individual: Decimal = Field(gt=0, description="Most an officer receives for one case.")
    case: Decimal = Field(gt=0, description="Most one case's reward can be.")


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_value: Decimal = Field(ge=0)
    max_value: Decimal | None = None
    rate: Decimal = Field(ge=0, le=1)
    minimum: Decimal = Field(default=Decimal(0), ge=0)


class RewardPolicy(BaseModel):
    """A cooperation agreement's reward rules, loaded from a TOML file."""

    model_config = ConfigDict(extra="forbid")
    agreement: str = Field(min_length=1)
    version: str = Field(min_length=1)
    shares: Shares
    caps: Caps
    tiers: list[Tier] = Field(min_length=1)
    not_found_earns_lead_provider_share: bool = Field(
        default=False,
        description='Whether a "not found" corroboration counts as providing the lead.',
    )
    digest: str = ""

    @model_validator(mode="after")
    def _tiers_cover_values(self) -> RewardPolicy:
        tiers = sorted(self.tiers, key=lambda t: t.min_value)
        if tiers[0].min_value != 0:
            raise ValueError("the first tier must start at a case value of 0")
        for before, after in itertools.pairwise(tiers):
            if before.max_value is None or before.max_value != after.min_value:
                raise ValueError(
                    f"tiers must follow each other without gaps: one ends at {before.max_value}, "
                    f"the next starts at {after.min_value}"
                )
        if tiers[-1].max_value is not None:
            raise ValueError("the last tier must have no max_value")
        self.tiers = tiers
        return self

    @classmethod
    def load(cls, path: Path) -> RewardPolicy:
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise PolicyError(f"{path}: cannot read the reward policy ({e.strerror})") from None
        try:
            data = tomllib.loads(raw.decode())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise PolicyError(f"{path}: not valid TOML: {e}") from None
        try:
            policy = cls.model_validate({**data, "digest": hashlib.sha256(raw).hexdigest()})
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'policy'}: {err['msg']}"
                for err in e.errors()
            )
            raise PolicyError(f"{path}: {problems}") from None
        return policy

    def tier_for(self, value: Decimal) -> Tier:
        for tier in self.tiers:
            if tier.max_value is None or value < tier.max_value:
                return tier
        return self.tiers[-1]  # pragma: no cover - the last tier is open-ended

    def total_for(self, value: Decimal) -> Decimal:
        tier = self.tier_for(value)
        amount = max(value * tier.rate, tier.minimum if value > 0 else Decimal(0))
        return min(amount, self.caps.case).quantize(CENT, rounding=ROUND_DOWN)
