"""Sending over SMTP (mentor_xl.mail.smtp) against a real SMTP server on loopback.

aiosmtpd runs in the test with STARTTLS (a self-signed certificate made here, trusted
through MENTOR_XL_SMTP_CAFILE) and AUTH LOGIN/PLAIN that only works after STARTTLS.
"""
from __future__ import annotations

import datetime as dt
import email
import email.utils
import email.policy
import ipaddress
import logging
import socket
import ssl
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mentor_xl.mail.smtp import SmtpConfig, config_from, send_messages
from mentor_xl.problems import FatalInputError

USER, PASSWORD = "office@example.edu.cn", "s3cret-Pw-42"


def make_cert(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_p, key_p = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_p.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_p.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
    return cert_p, key_p


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


def _auth(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def server(tmp_path):
    cert, key = make_cert(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    inbox = Inbox()
    port = free_port()
    c = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True,
                   authenticator=_auth, auth_require_tls=True)
    c.start()
    try:
        yield {"inbox": inbox, "port": port, "cafile": str(cert)}
    finally:
        c.stop()


def env_for(server, password=PASSWORD):
    e = {"MENTOR_XL_SMTP_HOST": "127.0.0.1", "MENTOR_XL_SMTP_PORT": str(server["port"]),
         "MENTOR_XL_SMTP_USER": USER, "MENTOR_XL_SMTP_CAFILE": server["cafile"]}
    if password is not None:
        e["MENTOR_XL_SMTP_PASSWORD"] = password
    return e


def message(to: str, subject: str, attachment: bytes) -> EmailMessage:
    m = EmailMessage()
    m["To"], m["Subject"] = to, subject
    m.set_content("请查收附件。")
    m.add_attachment(attachment, maintype="application",
                     subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     filename="2024-2025-1-计算机学院-导师工作记录收集表.xlsx")
    return m


def test_send_over_starttls_with_login(server):
    cfg = config_from({"发件人": "学工部 <office@example.edu.cn>"}, env_for(server))
    assert cfg.tls == "starttls" and cfg.sender == "学工部 <office@example.edu.cn>"
    msgs = [message("a@example.edu.cn", "【请填写】收集表（计算机学院）", b"PK\x03\x04first"),
            message("b@example.edu.cn, c@example.edu.cn", "【请填写】收集表（数学学院）", b"PK\x03\x04second")]
    res = send_messages(msgs, cfg)
    assert [r.ok for r in res] == [True, True], [r.error for r in res]
    got = server["inbox"].messages
    assert [rcpt for rcpt, _ in got] == [["a@example.edu.cn"], ["b@example.edu.cn", "c@example.edu.cn"]]
    parsed = email.message_from_bytes(got[1][1], policy=email.policy.default)
    assert parsed["Subject"] == "【请填写】收集表（数学学院）"
    [att] = list(parsed.iter_attachments())
    assert att.get_filename() == "2024-2025-1-计算机学院-导师工作记录收集表.xlsx"
    assert att.get_content() == b"PK\x03\x04second"
    assert "学工部" in str(parsed["From"])


def test_wrong_password_is_reported_not_leaked(server, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-pw-999"
    cfg = config_from({}, env_for(server, password=wrong))
    res = send_messages([message("a@example.edu.cn", "s", b"x")], cfg)
    assert not res[0].ok and "登录失败" in res[0].error
    assert wrong not in res[0].error and wrong not in caplog.text and wrong not in repr(cfg)
    assert server["inbox"].messages == []


def test_untrusted_certificate_is_refused(server):
    e = env_for(server)
    del e["MENTOR_XL_SMTP_CAFILE"]
    res = send_messages([message("a@example.edu.cn", "s", b"x")], config_from({}, e))
    assert not res[0].ok and "TLS" in res[0].error
    assert server["inbox"].messages == []


def test_no_login_without_starttls():
    inbox = Inbox()
    port = free_port()
    c = Controller(inbox, hostname="127.0.0.1", port=port)  # plain server: no STARTTLS offered
    c.start()
    try:
        env = {"MENTOR_XL_SMTP_HOST": "127.0.0.1", "MENTOR_XL_SMTP_PORT": str(port),
               "MENTOR_XL_SMTP_USER": USER, "MENTOR_XL_SMTP_PASSWORD": PASSWORD}
        res = send_messages([message("a@x.cn", "s", b"x")], config_from({}, env))
        assert not res[0].ok and "STARTTLS" in res[0].error and PASSWORD not in res[0].error
        # A relay without login, explicitly unencrypted (SMTP加密 = 无), is allowed.
        cfg = config_from({"SMTP加密": "无"}, {"MENTOR_XL_SMTP_HOST": "127.0.0.1",
                                              "MENTOR_XL_SMTP_PORT": str(port)})
        res = send_messages([message("a@x.cn", "s", b"x")], cfg)
        assert res[0].ok and len(inbox.messages) == 1
        # … but never a login over it.
        env2 = dict(env, MENTOR_XL_SMTP_TLS="无")
        res = send_messages([message("a@x.cn", "s", b"x")], config_from({}, env2))
        assert not res[0].ok and "未加密" in res[0].error and len(inbox.messages) == 1
    finally:
        c.stop()


def test_settings_and_password_sources():
    settings = {"SMTP服务器": "mail.example.edu.cn", "SMTP端口": "465", "SMTP用户": "u@example.edu.cn",
                "SMTP密码": "in-the-sheet"}
    asked = []
    cfg = config_from(settings, {}, prompt=lambda p: asked.append(p) or "typed")
    assert (cfg.host, cfg.port, cfg.tls, cfg.user, cfg.sender) == (
        "mail.example.edu.cn", 465, "ssl", "u@example.edu.cn", "u@example.edu.cn")
    assert cfg.password == "typed" and len(asked) == 1 and "u@example.edu.cn" in asked[0]
    # environment wins over the sheet; the sheet's password is never used
    cfg = config_from(settings, {"MENTOR_XL_SMTP_PORT": "2525", "MENTOR_XL_SMTP_PASSWORD": "env-pw"},
                      confirm_host=lambda q: True)  # the sheet's host, confirmed (test_smtp_trust)
    assert cfg.port == 2525 and cfg.tls == "starttls" and cfg.password == "env-pw"
    assert "env-pw" not in repr(cfg) and "in-the-sheet" not in repr(cfg)
    with pytest.raises(FatalInputError, match="MENTOR_XL_SMTP_PASSWORD"):
        config_from(settings, {}, prompt=None)  # stdin of the test run is not a terminal
    assert config_from({}, {}) is None
    with pytest.raises(FatalInputError, match="SMTP端口"):
        config_from({"SMTP服务器": "h", "SMTP端口": "abc"}, {})


def test_unreachable_server_fails_every_message():
    cfg = SmtpConfig(host="127.0.0.1", port=free_port(), timeout=5)
    res = send_messages([message("a@x.cn", "1", b"x"), message("b@x.cn", "2", b"y")], cfg)
    assert [r.ok for r in res] == [False, False] and "无法连接" in res[0].error
    assert "服务器拒绝连接" in res[0].error and "Error" not in res[0].error  # in words, not a class name


def test_a_failed_send_prints_no_english_log_line():
    """Without any logging set up (the CLI sets none), a failure is only its Chinese reason."""
    import subprocess
    import sys
    code = ("from email.message import EmailMessage\n"
            "from mentor_xl.mail.smtp import SmtpConfig, send_messages\n"
            f"res = send_messages([EmailMessage()], SmtpConfig(host='127.0.0.1', port={free_port()}, timeout=5))\n"
            "print(res[0].error)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "无法连接" in r.stdout, r.stderr
    assert r.stderr == "", r.stderr


def test_collect_send_reply_ingest_round_trip(server, tmp_path, monkeypatch):
    """collect --send over loopback SMTP → recipients fill and reply over SMTP → ingest the mbox."""
    import mailbox
    from test_collect import TERM, office_book
    from test_ingest import MATH, key, merged_rows
    from mentor_xl.mail import collect, ingest
    from mentor_xl.mail.simulate import fill_return

    book = office_book(tmp_path / "office.xlsx", settings=[["发件人", "学工部 <office@example.edu.cn>"]])
    for k, v in env_for(server).items():  # host, port, user, password, CA: from the environment
        monkeypatch.setenv(k, v)
    res = collect(book, TERM, "学院", tmp_path / "sent", send=True)
    assert [(f.recipient, f.sent, f.send_error) for f in res.files] == [
        ("数学学院", True, None), ("计算机学院", True, None)]
    got = server["inbox"].messages
    assert [rcpt for rcpt, _ in got] == [["wang@example.edu.cn"], ["zhang@example.edu.cn"]]

    cs_rows = [{"日期": dt.date(2024, 9, 20), "工号": "T001", "活动类型": "谈心谈话", "学号": "S01"}]
    replies = []
    for (rcpt, raw), rows in zip(list(got), (MATH, cs_rows)):
        m = email.message_from_bytes(raw, policy=email.policy.default)
        assert m["From"] == "学工部 <office@example.edu.cn>"
        [att] = list(m.iter_attachments())
        blank = tmp_path / rcpt[0] / att.get_filename()
        blank.parent.mkdir()
        blank.write_bytes(att.get_content())
        filled = fill_return(blank, rows, tmp_path / rcpt[0] / "已填写.xlsx")
        r = EmailMessage()
        r["From"], r["To"], r["Subject"] = rcpt[0], "office@example.edu.cn", "回复：" + m["Subject"]
        r["Date"] = email.utils.formatdate(localtime=True)
        r.set_content("已填写。")
        r.add_attachment(filled.read_bytes(), maintype="application", subtype="octet-stream",
                         filename="已填写.xlsx")
        replies.append(r)
    server["inbox"].messages.clear()
    assert all(x.ok for x in send_messages(replies, config_from({}, env_for(server))))

    box = mailbox.mbox(str(tmp_path / "office.mbox"))
    for _, raw in server["inbox"].messages:
        box.add(raw)
    box.flush()
    box.close()
    out = ingest(book, [tmp_path / "office.mbox"])
    assert [(f.recipient, f.status, f.sender) for f in out.files] == [
        ("数学学院", "accepted", "wang@example.edu.cn"), ("计算机学院", "accepted", "zhang@example.edu.cn")]
    assert out.rows_merged == 3
    assert merged_rows(out.book) == sorted(map(key, MATH + cs_rows))


def test_a_server_that_offers_no_login_is_named_in_words():
    """smtplib's own "SMTP AUTH extension not supported by server." never reaches the office."""
    import smtplib
    from mentor_xl.mail.smtp import _login, _reason
    s = smtplib.SMTP()  # not connected: what its EHLO answered, without AUTH
    s.ehlo_resp, s.esmtp_features = b"mail.example.edu.cn", {"starttls": ""}
    with pytest.raises(smtplib.SMTPNotSupportedError) as e:
        _login(s, USER, PASSWORD)
    reason = _reason(e.value, SmtpConfig(host="mail.example.edu.cn", password=PASSWORD))
    assert "不支持登录" in reason and "SMTP用户" in reason and "extension" not in reason, reason
