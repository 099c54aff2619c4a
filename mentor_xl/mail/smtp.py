"""Sending mail over SMTP: collection workbooks out, replies to senders.

Where the settings come from (first found wins):
  host     env MENTOR_XL_SMTP_HOST, 设置 “SMTP服务器”
  port     env MENTOR_XL_SMTP_PORT, 设置 “SMTP端口” (default 587; 465 means implicit TLS)
  user     env MENTOR_XL_SMTP_USER, 设置 “SMTP用户”
  from     env MENTOR_XL_SMTP_FROM, 设置 “发件人” (default: the user)
  tls      env MENTOR_XL_SMTP_TLS, 设置 “SMTP加密”: STARTTLS (default) | SSL | 无
  cafile   env MENTOR_XL_SMTP_CAFILE (a private CA, e.g. a campus mail server's)
  password env MENTOR_XL_SMTP_PASSWORD, else asked interactively (getpass)

The password is never read from the workbook, never taken on the command line, never
logged and never part of an error message or a repr. A login is only ever made over TLS:
with 加密 = 无 mail can go to a relay that needs no login, nothing more.

The workbook is not trusted with the password's destination: a password from the
environment goes only to the host from the environment. A host named by the workbook's
设置 gets it only when the person at the terminal confirms that host (``confirm_host``);
a password typed at the prompt is asked for with the host shown. Before any login the host
is shown (``notify``), so a password never leaves unannounced.
"""
from __future__ import annotations

import getpass
import logging
import os
import smtplib
import ssl
import sys
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Callable, Mapping, Sequence

from mentor_xl.problems import FatalInputError

log = logging.getLogger(__name__)
# for a maintainer who configures logging; unconfigured, Python would print these English
# lines to the office's terminal beside the Chinese reason each SendResult carries
log.addHandler(logging.NullHandler())

TLS_MODES = {"starttls": "starttls", "ssl": "ssl", "tls": "ssl", "无": "none", "none": "none",
             "否": "none", "": "starttls"}


@dataclass
class SmtpConfig:
    host: str
    port: int = 587
    user: str | None = None
    sender: str | None = None
    tls: str = "starttls"  # "starttls" | "ssl" | "none"
    cafile: str | None = None
    timeout: float = 30.0
    password: str | None = field(default=None, repr=False)
    host_from: str = "环境变量"  # where the host came from: 环境变量 | 设置表

    def __repr__(self) -> str:  # never show the password, even by accident
        return (f"SmtpConfig(host={self.host!r}, port={self.port}, user={self.user!r}, "
                f"sender={self.sender!r}, tls={self.tls!r}, password={'***' if self.password else None})")

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile) if self.cafile else ssl.create_default_context()


@dataclass
class SendResult:
    to: str
    subject: str
    ok: bool
    error: str | None = None



def _connection_reason(e: BaseException) -> str:
    """Why a connection failed, as an office reads it (Python's class names are for maintainers)."""
    import socket
    if isinstance(e, socket.gaierror):
        return "找不到服务器地址，请检查服务器名称"
    if isinstance(e, (TimeoutError, socket.timeout)):
        return "连接超时，请检查网络或端口"
    if isinstance(e, ConnectionRefusedError):
        return "服务器拒绝连接，请检查端口"
    if isinstance(e, smtplib.SMTPServerDisconnected):
        return "服务器中途断开了连接"
    return "网络错误"

def config_from(settings: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None, *,
                need_password: bool = True,
                prompt: Callable[[str], str] | None = None,
                confirm_host: Callable[[str], bool] | None = None) -> SmtpConfig | None:
    """The SMTP settings from the workbook's 设置 and the environment; None if no host is set.

    ``need_password``: when a user is set and no MENTOR_XL_SMTP_PASSWORD, ask with
    ``prompt`` (default getpass, only when stdin is a terminal); otherwise raise.
    ``confirm_host``: asked (a Chinese question) before the environment's password is sent to
    a host that only the workbook names (default: a yes/no question on the terminal; without
    a terminal the run stops with FatalInputError).
    """
    settings = dict(settings or {})
    env = os.environ if env is None else env

    def pick(env_key: str, label: str) -> str | None:
        v = env.get(env_key)
        if v is None or not str(v).strip():
            v = settings.get(label)
        v = str(v).strip() if v is not None else ""
        return v or None

    host = pick("MENTOR_XL_SMTP_HOST", "SMTP服务器")
    if not host:
        return None
    env_host = str(env.get("MENTOR_XL_SMTP_HOST") or "").strip()
    port_s = pick("MENTOR_XL_SMTP_PORT", "SMTP端口")
    try:
        port = int(float(port_s)) if port_s else 587
    except ValueError:
        raise FatalInputError(f"SMTP端口“{port_s}”不是数字") from None
    tls_s = (pick("MENTOR_XL_SMTP_TLS", "SMTP加密") or ("ssl" if port == 465 else "starttls")).lower()
    tls = TLS_MODES.get(tls_s)
    if tls is None:
        raise FatalInputError(f"SMTP加密“{tls_s}”无法识别，请填 STARTTLS、SSL 或 无")
    user = pick("MENTOR_XL_SMTP_USER", "SMTP用户")
    sender = pick("MENTOR_XL_SMTP_FROM", "发件人") or user
    cfg = SmtpConfig(host=host, port=port, user=user, sender=sender, tls=tls,
                     cafile=env.get("MENTOR_XL_SMTP_CAFILE") or None,
                     host_from="环境变量" if env_host else "设置表")
    if user and need_password:  # without sending (writing .eml only) the password is not even read
        pw = env.get("MENTOR_XL_SMTP_PASSWORD")
        if pw and not env_host:
            _confirm_workbook_host(cfg, confirm_host)
        if not pw:
            if prompt is None and sys.stdin is not None and sys.stdin.isatty():
                prompt = getpass.getpass
            if prompt is None:
                raise FatalInputError("未提供 SMTP 密码：请设置环境变量 MENTOR_XL_SMTP_PASSWORD，或在终端中运行以便输入密码")
            pw = prompt(f"SMTP 密码（用户 {user}，服务器 {host}:{port}，服务器来自{cfg.host_from}）：")
        cfg.password = pw or None
    return cfg


def _confirm_workbook_host(cfg: SmtpConfig, confirm_host: Callable[[str], bool] | None) -> None:
    """The environment's password may go to a host the workbook names only if a person says so."""
    question = (f"工作簿“设置”表指定的邮件服务器是 {cfg.host}:{cfg.port}（不是环境变量 MENTOR_XL_SMTP_HOST 中的服务器）。"
                f"确认要用环境变量中的 SMTP 密码登录这台服务器吗？")
    if confirm_host is None and sys.stdin is not None and sys.stdin.isatty():
        def confirm_host(text: str) -> bool:
            answer = input(text + "[y/N] ")
            return answer.strip().lower() in ("y", "yes", "是")
    if confirm_host is None or not confirm_host(question):
        raise FatalInputError(
            f"出于安全考虑，环境变量中的 SMTP 密码只发送给环境变量 MENTOR_XL_SMTP_HOST 指定的服务器，"
            f"而这台服务器（{cfg.host}）来自工作簿的“设置”表。核对无误后请设置 MENTOR_XL_SMTP_HOST={cfg.host}，"
            "或在终端中运行并确认")


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _connect(cfg: SmtpConfig, notify: Callable[[str], None] | None = None) -> smtplib.SMTP:
    if cfg.tls == "ssl":
        s: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=cfg.context())
        s.ehlo()
    else:
        s = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        s.ehlo()
        if cfg.tls == "starttls":
            if not s.has_extn("starttls"):
                s.quit()
                raise smtplib.SMTPNotSupportedError("服务器不支持 STARTTLS 加密，为保护密码未发送")
            s.starttls(context=cfg.context())
            s.ehlo()
    if cfg.user:
        if cfg.tls == "none":
            s.quit()
            raise smtplib.SMTPNotSupportedError("未加密的连接上不能登录（SMTP加密 为“无”），请改用 STARTTLS 或 SSL")
        if not cfg.password:
            s.quit()
            raise smtplib.SMTPAuthenticationError(535, "未提供密码")
        (notify or _stderr)(f"正在登录邮件服务器 {cfg.host}:{cfg.port}（用户 {cfg.user}，服务器来自{cfg.host_from}）")
        _login(s, cfg.user, cfg.password)
    return s


def _login(s: smtplib.SMTP, user: str, password: str) -> None:
    """One AUTH attempt (PLAIN, else LOGIN): smtplib's ``login`` retries every mechanism
    after a wrong password, and servers drop the connection in between."""
    if not s.has_extn("auth"):  # smtplib's own error here is English, and _reason shows it as it is
        raise smtplib.SMTPNotSupportedError("邮件服务器不支持登录（没有 SMTP AUTH）：请检查 SMTP服务器 和 SMTP端口；"
                                            "若该服务器无需登录即可发信，请不填 SMTP用户")
    advertised = s.esmtp_features.get("auth", "").upper().split()
    mech = next((m for m in ("PLAIN", "LOGIN") if m in advertised), None)
    if mech is None:
        s.login(user, password)  # CRAM-MD5 or whatever the server offers
        return
    s.user, s.password = user, password
    try:
        s.auth(mech, getattr(s, "auth_" + mech.lower()), initial_response_ok=True)
    except smtplib.SMTPServerDisconnected:
        raise smtplib.SMTPAuthenticationError(535, "disconnected during AUTH") from None
    finally:
        s.password = None  # do not keep it on the connection object


def _reason(e: BaseException, cfg: SmtpConfig) -> str:
    """A Chinese reason that never contains the password."""
    if isinstance(e, smtplib.SMTPAuthenticationError):
        text = "登录失败：用户名或密码不正确"
    elif isinstance(e, smtplib.SMTPRecipientsRefused):
        text = "收件人被服务器拒绝：" + "、".join(e.recipients)
    elif isinstance(e, smtplib.SMTPNotSupportedError):
        text = str(e)
    elif isinstance(e, UnicodeEncodeError):
        # smtplib sends user and password as ASCII only (AUTH PLAIN/LOGIN)
        text = "SMTP 用户名或密码含有中文等非 ASCII 字符，邮件服务器登录不支持"
    elif isinstance(e, ssl.SSLError):
        text = f"TLS 加密连接失败（{e.reason or type(e).__name__}），请检查服务器证书"
    elif isinstance(e, (ConnectionError, OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)):
        text = f"无法连接邮件服务器 {cfg.host}:{cfg.port}（{_connection_reason(e)}）"
    else:
        text = "发送失败（邮件服务器返回了无法识别的错误），请稍后重试或联系本单位邮件管理员"
    if cfg.password:
        text = text.replace(cfg.password, "***")
    return text


def send_messages(messages: Sequence[EmailMessage], cfg: SmtpConfig, *,
                  notify: Callable[[str], None] | None = None) -> list[SendResult]:
    """Send each message over one connection; a failure is recorded per message, never raised.

    ``notify`` receives the line naming the host before each login (default: stderr).
    """
    if cfg is None:
        raise FatalInputError("没有 SMTP 设置：请在设置表填写 SMTP服务器（或设置环境变量 MENTOR_XL_SMTP_HOST）")
    results: list[SendResult] = []
    try:
        conn = _connect(cfg, notify)
    except Exception as e:
        reason = _reason(e, cfg)
        log.warning("SMTP connection to %s:%s failed: %s", cfg.host, cfg.port, type(e).__name__)
        return [SendResult(str(m.get("To", "")), str(m.get("Subject", "")), False, reason) for m in messages]
    try:
        for m in messages:
            if cfg.sender and not m.get("From"):
                m["From"] = cfg.sender
            to, subject = str(m.get("To", "")), str(m.get("Subject", ""))
            try:
                conn.send_message(m)
                results.append(SendResult(to, subject, True))
                log.info("sent mail to %s", to)
            except Exception as e:
                results.append(SendResult(to, subject, False, _reason(e, cfg)))
                log.warning("mail to %s failed: %s", to, type(e).__name__)
                if isinstance(e, smtplib.SMTPServerDisconnected):
                    try:
                        conn = _connect(cfg, notify)
                    except Exception as e2:
                        rest = messages[len(results):]
                        results += [SendResult(str(x.get("To", "")), str(x.get("Subject", "")), False,
                                               _reason(e2, cfg)) for x in rest]
                        return results
    finally:
        try:
            conn.quit()
        except Exception:
            pass
    return results
