"""The one module that reads the environment.

Everything else asks this module for settings; nothing else touches ``os.environ``.
Team settings (company, LO roster, senders, quiet hours, cap) live in
``chalicelib/teams/<stage>.json`` so each brokerage stage carries its own.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class LoanOfficer:
    id: str
    name: str
    email: str
    phone: str
    nmls_id: str
    manager_id: str | None = None
    daily_call_capacity: int = 12  # call tasks a day (domain/lo_day.py): routine calls fill what the rest leave

@dataclass(frozen=True)
class Team:
    name: str
    legal_name: str
    postal_address: str
    nmls_id: str
    los: tuple[LoanOfficer, ...]
    sender_email: str
    reply_domain: str
    sms_origination_number: str
    connect_instance_id: str
    connect_contact_flow_id: str
    connect_source_phone: str
    ses_configuration_set: str
    public_base_url: str
    quiet_hours: dict = field(default_factory=lambda: {"start": "08:00", "end": "21:00"})
    cap_hours: int = 48
    no_contact_days: int = 30
    no_contact_action: str = "task"
    refi: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)
    hot_bypass_cap: bool = True
    behavior: dict = field(default_factory=dict)
    # AI personalisation (Bedrock): {"enabled", "model_id", "channels", "tone", "guardrail": {"id", "version"}}
    personalise: dict = field(default_factory=dict)
    # provider limits the scheduler paces sends to: {"email_per_second", "sms_per_second" (per
    # origination number), "voice_per_second"}; defaults in chalicelib/domain/pacing.py
    send_rates: dict = field(default_factory=dict)
    # LOS milestone -> stage, laid over chalicelib/domain/milestones.py's defaults (null: record only)
    milestones: dict = field(default_factory=dict)
    # guard rails (domain/guard.py): rate bounds per product, the step that holds a move, the
    # circuit breaker's share of the book and minimum batch
    guard: dict = field(default_factory=dict)
    # the yearly programs, per program id: on/off and cadence over chalicelib/domain/cadence.py DEFAULTS
    programs: dict = field(default_factory=dict)
    # how long touch and timeline records are kept (DynamoDB TTL; domain/retention.py): at least the
    # TCPA's four years; the consent ledger stays with the lead
    retention_years: int = 5
    # the LO's day (domain/lo_day.py DaySettings): reserve, routine windows, grace before escalation
    lo_day: dict = field(default_factory=dict)
    # sender reputation (domain/reputation.py): the brake's lines and samples, sunset, warm-up
    reputation: dict = field(default_factory=dict)

    def lo(self, lo_id: str | None) -> LoanOfficer:
        for lo in self.los:
            if lo.id == lo_id:
                return lo
        return self.los[0]

    def has_lo(self, lo_id: str) -> bool:
        return any(lo.id == lo_id for lo in self.los)

    def public(self) -> dict:
        return {
            "name": self.name, "legal_name": self.legal_name, "postal_address": self.postal_address,
            "nmls_id": self.nmls_id,
            "los": [{"id": lo.id, "name": lo.name, "email": lo.email, "phone": lo.phone,
                     "nmls_id": lo.nmls_id, "manager_id": lo.manager_id,
                     "daily_call_capacity": lo.daily_call_capacity} for lo in self.los],
            "quiet_hours": self.quiet_hours, "cap_hours": self.cap_hours,
        }


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    aws_endpoint_url: str | None
    table_prefix: str
    events_queue_url: str
    touches_queue_url: str
    lo_topic_arn: str
    # Local stage: a plain token from the environment. Deployed: the name of an SSM
    # SecureString holding comma-separated SHA-256 hashes of the valid tokens.
    api_token: str | None
    api_token_param: str | None
    tracking_keys: dict
    tracking_active_kid: str
    tracking_key_param: str | None
    log_level: str
    team: Team
    # local stage: where the virtual clock starts (TOUCHENGINE_CLOCK_START); None is "now"
    clock_start: datetime | None = None
    # LOS webhooks that sign their body (HMAC-SHA256): the shared secret, given plainly on the
    # local stage (LOS_WEBHOOK_SECRET) or as the name of an SSM SecureString (LOS_WEBHOOK_SECRET_PARAM).
    # Neither set: signatures are not checked (the bearer token still is).
    los_webhook_secret: str | None = None
    los_webhook_secret_param: str | None = None
    # the ops contact's topic (alarms, held rate moves, held mass sends)
    ops_topic_arn: str = ""
    # People sign in to the stack's Cognito user pool: its ids come from the deploy (the data stack's
    # outputs); unset (the local stack, the tests), the pool is found by its name. The keys' URL is
    # derived from the pool unless given (tests on the in-process stand-in give a file).
    cognito_user_pool_id: str | None = None
    cognito_client_id: str | None = None
    cognito_jwks_url: str | None = None
    # the secret an erased person's e-mail and phone are hashed under (HMAC) for their suppression
    # entries: plainly on the local stage (ERASURE_KEY) or the name of an SSM SecureString
    # (ERASURE_KEY_PARAM). Never rotated: entries made under an old secret would stop matching.
    erasure_key: str | None = None
    erasure_key_param: str | None = None

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    def table(self, name: str) -> str:
        return f"{self.table_prefix}-{name}"


def _load_team(stage: str, path: str | None) -> Team:
    file = Path(path) if path else _HERE / "teams" / f"{stage}.json"
    if not file.exists():
        file = _HERE / "teams" / "local.json"
    raw = json.loads(file.read_text())
    if os.environ.get("PUBLIC_BASE_URL"):
        raw["public_base_url"] = os.environ["PUBLIC_BASE_URL"]  # the local stack serves on a chosen port
    los = tuple(LoanOfficer(**lo) for lo in raw.pop("los"))
    ai = raw.get("personalise") or {}
    if ai.get("enabled") and not ai.get("model_id"):
        raise ValueError(f"{file.name}: personalise.enabled needs a model_id")
    if not set(ai.get("channels") or ()) <= {"email", "sms"}:  # never a Realtor's mail, a call or a task
        raise ValueError(f"{file.name}: personalise.channels may hold email and sms only")
    if raw.get("milestones") is not None:
        from .domain.milestones import validate_table

        problems = validate_table(raw["milestones"])
        if problems:
            raise ValueError(f"{file.name}: {'; '.join(problems)}")
    from .domain.retention import years_problem

    if "retention_years" in raw and years_problem(raw["retention_years"]):
        raise ValueError(f"{file.name}: {years_problem(raw['retention_years'])}")
    from .domain.guard import GuardSettings

    try:  # a typo in the guard rails must stop the deploy, not loosen them
        GuardSettings.from_team(raw.get("guard"))
    except ValueError as exc:
        raise ValueError(f"{file.name}: {exc}") from None
    from .domain.lo_day import DaySettings

    try:  # a capacity of 0 or a reserve as large as the day would plan no routine call at all
        for lo in los:
            DaySettings.of(raw.get("lo_day"), lo.daily_call_capacity)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{file.name}: {exc}") from None
    from .domain.reputation import settings_problem

    if settings_problem(raw.get("reputation")):  # a brake set above SES's review lines is no brake
        raise ValueError(f"{file.name}: {settings_problem(raw.get('reputation'))}")
    return Team(los=los, **raw)


def _instant(name: str, raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not an ISO 8601 instant such as 2027-03-02T15:00:00Z") from None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    stage = env.get("TOUCHENGINE_STAGE", "local")
    region = env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or "us-east-1"
    account = env.get("AWS_ACCOUNT_ID", "123456789012")
    prefix = env.get("TABLE_PREFIX", f"touchengine-{stage}")
    sqs_base = f"https://sqs.{region}.amazonaws.com/{account}"
    keys_raw = env.get("TRACKING_KEYS", "")
    # "kid:secret,kid2:secret2"; the first is the active signing key.
    keys = dict(part.split(":", 1) for part in keys_raw.split(",") if ":" in part)
    if not keys and stage == "local":
        keys = {"local1": "local-tracking-key-not-secret"}
    return Settings(
        stage=stage,
        region=region,
        aws_endpoint_url=env.get("AWS_ENDPOINT_URL"),
        table_prefix=prefix,
        events_queue_url=env.get("EVENTS_QUEUE_URL", f"{sqs_base}/{prefix}-events"),
        touches_queue_url=env.get("TOUCHES_QUEUE_URL", f"{sqs_base}/{prefix}-touches"),
        lo_topic_arn=env.get("LO_TOPIC_ARN", f"arn:aws:sns:{region}:{account}:{prefix}-lo-notifications"),
        api_token=env.get("TOUCHENGINE_API_TOKEN") or ("local-dev-token" if stage == "local" else None),
        api_token_param=env.get("API_TOKEN_PARAM"),
        tracking_keys={k: v.encode() for k, v in keys.items()},
        tracking_active_kid=next(iter(keys), ""),
        tracking_key_param=env.get("TRACKING_KEY_PARAM"),
        log_level=env.get("POWERTOOLS_LOG_LEVEL", "INFO"),
        team=_load_team(stage, env.get("TEAM_CONFIG_FILE")),
        clock_start=_instant("TOUCHENGINE_CLOCK_START", env.get("TOUCHENGINE_CLOCK_START")),
        los_webhook_secret=env.get("LOS_WEBHOOK_SECRET") or None,
        los_webhook_secret_param=env.get("LOS_WEBHOOK_SECRET_PARAM") or None,
        ops_topic_arn=env.get("OPS_TOPIC_ARN", f"arn:aws:sns:{region}:{account}:{prefix}-ops-alerts"),
        cognito_user_pool_id=env.get("COGNITO_USER_POOL_ID") or None,
        cognito_client_id=env.get("COGNITO_CLIENT_ID") or None,
        cognito_jwks_url=env.get("COGNITO_JWKS_URL") or None,
        erasure_key=env.get("ERASURE_KEY") or ("local-erasure-key-not-secret" if stage == "local" else None),
        erasure_key_param=env.get("ERASURE_KEY_PARAM") or None,
    )
