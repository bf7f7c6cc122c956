"""The team's people, in the stack's Cognito user pool: groups are roles, ``custom:lo_id`` says
which loan officer an LO account is. Cognito holds the passwords (and MFA); this module never
sees one except to pass it through.

A person is looked up by their token's ``sub`` at most once a minute per container, so a person
disabled by ops (or given another role) is out (or changed) within a minute everywhere, without
waiting for their token to expire.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from ..aws import client
from ..config import settings

LOOKUP_SECONDS = 60
_lock = threading.Lock()
_people: dict[str, tuple[float, "Person | None"]] = {}


@dataclass(frozen=True)
class Person:
    user_id: str
    email: str
    name: str
    roles: tuple[str, ...]
    lo_id: str | None
    enabled: bool

    def public(self) -> dict:
        return {"user_id": self.user_id, "email": self.email, "name": self.name, "roles": list(self.roles),
                "lo_id": self.lo_id, "enabled": self.enabled}


class SignInFailed(Exception):
    """Wrong e-mail or password, or a disabled account: the caller says only "wrong"."""


class NeedsCode(Exception):
    """The account has MFA on: sign in again with the authenticator's ``code``."""

    def __init__(self, session: str):
        super().__init__("mfa")
        self.session = session


class AlreadyExists(Exception):
    pass


@dataclass(frozen=True)
class Pool:
    pool_id: str
    client_id: str

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{settings().region}.amazonaws.com/{self.pool_id}"

    @property
    def jwks_url(self) -> str:
        s = settings()
        if s.cognito_jwks_url:
            return s.cognito_jwks_url
        base = s.aws_endpoint_url or f"https://cognito-idp.{s.region}.amazonaws.com"
        return f"{base.rstrip('/')}/{self.pool_id}/.well-known/jwks.json"


def pool_name() -> str:
    return f"touchengine-{settings().stage}-people"


@lru_cache(maxsize=1)
def pool() -> Pool:
    """The stage's pool: named by the deploy (COGNITO_USER_POOL_ID / COGNITO_CLIENT_ID), else found by
    its name (the local stack and the tests, whose stand-in makes a new one each run)."""
    s = settings()
    if s.cognito_user_pool_id and s.cognito_client_id:
        return Pool(s.cognito_user_pool_id, s.cognito_client_id)
    idp = client("cognito-idp")
    found = [p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == pool_name()]
    if not found:
        raise RuntimeError(f"no Cognito user pool named {pool_name()}")
    clients = idp.list_user_pool_clients(UserPoolId=found[0], MaxResults=10)["UserPoolClients"]
    return Pool(found[0], clients[0]["ClientId"])


def forget() -> None:
    """Tests: a new stand-in, a new pool; and nobody remembered from the last one."""
    pool.cache_clear()
    with _lock:
        _people.clear()


def _attrs(items: list[dict]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in items}


def _person(username: str, attributes: list[dict], enabled: bool, roles: list[str]) -> Person:
    a = _attrs(attributes)
    return Person(user_id=a.get("sub", username), email=a.get("email", ""), name=a.get("name", ""),
                  roles=tuple(sorted(roles)), lo_id=a.get("custom:lo_id") or None, enabled=enabled)


def _groups(user_id: str) -> list[str]:
    out = client("cognito-idp").admin_list_groups_for_user(UserPoolId=pool().pool_id, Username=user_id)
    return [g["GroupName"] for g in out["Groups"]]


def lookup(user_id: str) -> Person | None:
    """The person behind a token's ``sub`` (None: no longer in the pool), fresh to a minute."""
    now = time.monotonic()
    with _lock:
        hit = _people.get(user_id)
    if hit and now - hit[0] < LOOKUP_SECONDS:
        return hit[1]
    idp = client("cognito-idp")
    try:
        user = idp.admin_get_user(UserPoolId=pool().pool_id, Username=user_id)
        found = _person(user["Username"], user["UserAttributes"], user["Enabled"], _groups(user_id))
    except idp.exceptions.UserNotFoundException:
        found = None
    with _lock:
        _people[user_id] = (now, found)
    return found


def sign_in(email: str, password: str, code: str | None = None, session: str | None = None) -> dict:
    """Cognito's tokens for an e-mail and password (and the MFA code when the account has one)."""
    idp = client("cognito-idp")
    p = pool()
    try:
        if session and code:
            out = idp.respond_to_auth_challenge(ClientId=p.client_id, ChallengeName="SOFTWARE_TOKEN_MFA",
                                                Session=session,
                                                ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code})
        else:
            out = idp.initiate_auth(ClientId=p.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": email, "PASSWORD": password})
    except (idp.exceptions.NotAuthorizedException, idp.exceptions.UserNotFoundException,
            idp.exceptions.UserNotConfirmedException, idp.exceptions.CodeMismatchException) as exc:
        raise SignInFailed() from exc
    if out.get("ChallengeName") == "SOFTWARE_TOKEN_MFA":
        raise NeedsCode(out["Session"])
    if "AuthenticationResult" not in out:  # a new password is due: the person finishes that in Cognito's UI
        raise SignInFailed()
    return out["AuthenticationResult"]


def sign_out(access_token: str) -> None:
    """Cognito's own sign-out for a token's person: Cognito's user API (GetUser, MFA set-up...)
    refuses their tokens from now on (it has no narrower revocation of an access token). The engine
    checks tokens itself (services.people), so their other sessions in it go on."""
    idp = client("cognito-idp")
    try:
        idp.global_sign_out(AccessToken=access_token)
    except idp.exceptions.NotAuthorizedException:
        pass  # Cognito has it signed out already


def create(email: str, name: str, roles: list[str], lo_id: str | None, password: str | None) -> Person:
    idp = client("cognito-idp")
    p = pool()
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                  {"Name": "name", "Value": name}]
    if lo_id:
        attributes.append({"Name": "custom:lo_id", "Value": lo_id})
    extra = {"MessageAction": "SUPPRESS"} if password else {"DesiredDeliveryMediums": ["EMAIL"]}
    try:
        user = idp.admin_create_user(UserPoolId=p.pool_id, Username=email, UserAttributes=attributes, **extra)["User"]
    except idp.exceptions.UsernameExistsException as exc:
        raise AlreadyExists(email) from exc
    user_id = _attrs(user["Attributes"]).get("sub", user["Username"])
    if password:
        idp.admin_set_user_password(UserPoolId=p.pool_id, Username=user_id, Password=password, Permanent=True)
    for role in roles:
        idp.admin_add_user_to_group(UserPoolId=p.pool_id, Username=user_id, GroupName=role)
    return Person(user_id, email, name, tuple(sorted(roles)), lo_id, True)


def everyone() -> list[Person]:
    idp = client("cognito-idp")
    people, token = [], None
    while True:
        page = idp.list_users(UserPoolId=pool().pool_id, **({"PaginationToken": token} if token else {}))
        for user in page["Users"]:
            user_id = _attrs(user["Attributes"]).get("sub", user["Username"])
            people.append(_person(user["Username"], user["Attributes"], user["Enabled"], _groups(user_id)))
        token = page.get("PaginationToken")
        if not token:
            return sorted(people, key=lambda p: p.email)


def disable(user_id: str) -> Person | None:
    idp = client("cognito-idp")
    p = pool()
    try:
        idp.admin_disable_user(UserPoolId=p.pool_id, Username=user_id)
        idp.admin_user_global_sign_out(UserPoolId=p.pool_id, Username=user_id)  # no refresh either
    except idp.exceptions.UserNotFoundException:
        return None
    with _lock:
        _people.pop(user_id, None)  # this container knows at once; the others within LOOKUP_SECONDS
    return lookup(user_id)
