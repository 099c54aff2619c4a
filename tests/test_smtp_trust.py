"""The SMTP password goes only where the environment (or the person at the terminal) says.

A shared workbook whose 设置 names its own SMTP server must not receive the password kept in
MENTOR_XL_SMTP_PASSWORD. The servers are real aiosmtpd servers on loopback (test_smtp's).
"""
from __future__ import annotations

import pytest

from test_smtp import PASSWORD, USER, env_for, message, server  # noqa: F401 (fixture)
from mentor_xl.mail.smtp import config_from, send_messages
from mentor_xl.problems import FatalInputError


def workbook_settings(srv) -> dict:
    return {"SMTP服务器": "127.0.0.1", "SMTP端口": str(srv["port"]), "SMTP用户": USER}


def env_without_host(srv) -> dict:
    e = env_for(srv)
    del e["MENTOR_XL_SMTP_HOST"], e["MENTOR_XL_SMTP_PORT"]
    return e


def test_environment_password_is_not_sent_to_the_workbooks_server(server):
    # stdin of the test run is not a terminal: nobody can confirm, so nothing is sent
    with pytest.raises(FatalInputError) as e:
        config_from(workbook_settings(server), env_without_host(server))
    assert "MENTOR_XL_SMTP_HOST" in str(e.value) and "127.0.0.1" in str(e.value)
    assert PASSWORD not in str(e.value)
    asked = []
    with pytest.raises(FatalInputError):
        config_from(workbook_settings(server), env_without_host(server),
                    confirm_host=lambda q: asked.append(q) or False)
    assert f"127.0.0.1:{server['port']}" in asked[0] and "设置" in asked[0]
    assert server["inbox"].messages == []


def test_the_environments_host_wins_over_the_workbooks(server):
    settings = dict(workbook_settings(server), SMTP服务器="smtp.evil.example")
    cfg = config_from(settings, env_for(server))
    assert cfg.host == "127.0.0.1" and cfg.host_from == "环境变量"


def test_confirmed_host_is_shown_before_the_login(server):
    cfg = config_from(workbook_settings(server), env_without_host(server), confirm_host=lambda q: True)
    assert cfg.host_from == "设置表"
    shown = []
    res = send_messages([message("a@example.edu.cn", "s", b"PK\x03\x04")], cfg, notify=shown.append)
    assert res[0].ok, res[0].error
    assert shown == [f"正在登录邮件服务器 127.0.0.1:{server['port']}（用户 {USER}，服务器来自设置表）"]
    assert len(server["inbox"].messages) == 1


def test_typed_password_prompt_names_the_host(server):
    asked = []
    env = env_without_host(server)
    del env["MENTOR_XL_SMTP_PASSWORD"]
    cfg = config_from(workbook_settings(server), env, prompt=lambda q: asked.append(q) or PASSWORD)
    assert f"127.0.0.1:{server['port']}" in asked[0] and "设置表" in asked[0]
    assert send_messages([message("a@example.edu.cn", "s", b"x")], cfg, notify=lambda t: None)[0].ok


def test_writing_eml_only_needs_no_password_and_asks_nothing(server):
    # collect --eml without --send: the workbook's server is only named, never contacted
    cfg = config_from(workbook_settings(server), env_without_host(server), need_password=False,
                      confirm_host=lambda q: pytest.fail("asked"))
    assert cfg.password is None and cfg.user == USER
