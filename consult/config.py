"""Settings, read once from environment variables.

Everything that differs between a laptop, CI and production is here, so the rest
of the code never reads ``os.environ`` itself.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _secret_key(var_dir: Path) -> str:
    """Return the configured key, or one generated once into ``var/`` and reused."""
    configured = os.environ.get("CONSULT_SECRET_KEY")
    if configured:
        return configured
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _pairs(value: str) -> tuple[tuple[str, str], ...]:
    """``name=id,name=id`` as pairs; a part without ``=`` is refused at start-up."""
    pairs = []
    for part in _split(value):
        name, sep, ident = part.partition("=")
        if not sep or not name.strip() or not ident.strip():
            raise ValueError(f"CONSULT_SMS_TEMPLATE_IDS: expected name=id, got {part!r}")
        pairs.append((name.strip(), ident.strip()))
    return tuple(pairs)


#: The text-message settings read from CONSULT_<NAME> as they are.
_SMS_SETTINGS = (("sms_backend", str), ("sms_access_key_id", str), ("sms_access_key_secret", str),
                 ("sms_sign_name", str), ("sms_app_id", str), ("sms_region", str),
                 ("sms_endpoint", str), ("sms_timeout_seconds", float),
                 ("sms_codes_per_minute", int), ("sms_codes_per_hour", int),
                 ("sms_codes_per_day", int), ("sms_codes_per_address_hour", int),
                 ("sms_codes_per_address_day", int), ("sms_notices_per_day", int))


#: WeChat sign-in (issue 17 item 6), read from CONSULT_<NAME>: the official account's web
#: authorisation (网页授权) app id and secret, the mini-program's, and endpoint overrides.
_WECHAT_SETTINGS = (("wechat_app_id", str), ("wechat_app_secret", str),
                    ("wechat_mini_app_id", str), ("wechat_mini_app_secret", str),
                    ("wechat_scope", str), ("wechat_endpoint", str),
                    ("wechat_authorize_url", str), ("wechat_timeout_seconds", float))


@dataclass(frozen=True)
class Argon2Params:
    time_cost: int = 3
    memory_cost: int = 65536
    parallelism: int = 4


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str = "http://127.0.0.1:8000"
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    media_dir: Path = VAR / "media"
    argon2: Argon2Params = field(default_factory=Argon2Params)
    # Bodies: forms are small; photo uploads carry up to three 8 MB images.
    max_body_bytes: int = 1024 * 1024
    max_upload_body_bytes: int = 26 * 1024 * 1024
    # A body is received whole before the request's transaction begins (web/security.py):
    # refused (408) when nothing arrives for idle seconds, or it takes longer in all.
    body_idle_seconds: float = 20
    body_total_seconds: float = 600
    # PostgreSQL connection pool of each worker process: size, overflow, wait (seconds).
    db_pool_size: int = 5
    db_max_overflow: int = 10
    db_pool_timeout: float = 30
    # Sign-in throttling: wrong passwords lock one account from one address (or one known
    # device) for login_lock_seconds; past the account's and the address's own limits every
    # further failure doubles a wait (from a minute, at most login_delay_cap_seconds) that
    # a known device does not see.
    login_failures_per_account: int = 5
    login_failures_per_address: int = 30
    login_failures_account_everywhere: int = 20
    login_lock_seconds: int = 15 * 60
    login_delay_cap_seconds: int = 60 * 60
    login_forget_seconds: int = 24 * 60 * 60
    public_cache_seconds: float = 30
    #: CONSULT_BALLOT_KEY: the key of the ballots' voter keys; empty: derived from the secret key
    ballot_key: str = ""
    # Text messages (consult.messaging): the backend (outbox: written to the database and
    # read on the staff outbox page; aliyun or tencent: the provider's SMS API), its keys
    # (Aliyun AccessKey ID/secret, Tencent SecretId/SecretKey; Tencent also the SDK app id
    # and a region), the sign name (签名), the provider's template id of each message by
    # name ("verification_code=SMS_123,..."), an endpoint override (tests: a local fake),
    # the provider's time limit, and the rate limits.
    sms_backend: str = "outbox"
    sms_access_key_id: str = ""
    sms_access_key_secret: str = ""
    sms_sign_name: str = "社区征询"
    sms_template_ids: tuple[tuple[str, str], ...] = ()
    sms_app_id: str = ""
    sms_region: str = "ap-guangzhou"
    sms_endpoint: str = ""
    sms_timeout_seconds: float = 5
    sms_codes_per_minute: int = 1
    sms_codes_per_hour: int = 5
    sms_codes_per_day: int = 10
    sms_codes_per_address_hour: int = 20
    sms_codes_per_address_day: int = 50
    sms_notices_per_day: int = 5
    # WeChat (consult.accounts.wechat): without an app id and secret the buttons do not
    # appear and the routes answer 404.
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_mini_app_id: str = ""
    wechat_mini_app_secret: str = ""
    wechat_scope: str = "snsapi_base"
    wechat_endpoint: str = "https://api.weixin.qq.com"
    wechat_authorize_url: str = "https://open.weixin.qq.com/connect/oauth2/authorize"
    wechat_timeout_seconds: float = 5

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def ballot_secret(self) -> bytes:
        """The key that ties a ballot to its voter (``consult.voting.secrecy``); never stored
        in the database. ``CONSULT_BALLOT_KEY`` when set, else an HMAC of a fixed label under
        the secret key, so that the two keys differ even when only one is configured."""
        if self.ballot_key:
            return self.ballot_key.encode()
        return hmac.new(self.secret_key.encode(), b"consult ballot key v1", hashlib.sha256).digest()

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        var_dir = Path(os.environ.get("CONSULT_VAR_DIR", VAR))
        base_url = os.environ.get("CONSULT_BASE_URL", "http://127.0.0.1:8000")
        hosts = _split(os.environ.get("CONSULT_ALLOWED_HOSTS", ""))
        if not hosts:
            hosts = ["127.0.0.1", "localhost", "[::1]"]
            base_host = urlsplit(base_url).hostname
            if base_host and base_host not in hosts:
                hosts.append(base_host)
        proxies = tuple(
            ipaddress.ip_network(p, strict=False)
            for p in _split(os.environ.get("CONSULT_TRUSTED_PROXIES", ""))
        )
        values = dict(
            database_url=os.environ.get(
                "CONSULT_DATABASE_URL", f"sqlite:///{var_dir / 'consult.db'}"
            ),
            secret_key=overrides.pop("secret_key", None) or _secret_key(var_dir),
            base_url=base_url.rstrip("/"),
            allowed_hosts=tuple(hosts),
            trusted_proxies=proxies,
            media_dir=Path(os.environ.get("CONSULT_MEDIA_DIR", var_dir / "media")),
            ballot_key=os.environ.get("CONSULT_BALLOT_KEY", ""),
        )
        for name, kind in (("body_idle_seconds", float), ("body_total_seconds", float),
                           ("db_pool_size", int), ("db_max_overflow", int),
                           ("db_pool_timeout", float), *_SMS_SETTINGS, *_WECHAT_SETTINGS):
            raw = os.environ.get(f"CONSULT_{name.upper()}")
            if raw:
                values[name] = kind(raw)
        if raw := os.environ.get("CONSULT_SMS_TEMPLATE_IDS"):
            values["sms_template_ids"] = _pairs(raw)
        values.update(overrides)
        return cls(**values)
