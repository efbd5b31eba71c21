"""XSRF tokens: bound to their session and to the server secret, which persists."""

from __future__ import annotations

import stat
from pathlib import Path

from carnet.auth.xsrf import XsrfTokens


def test_token_is_valid_for_its_session_only(tmp_path: Path) -> None:
    tokens = XsrfTokens.in_dir(tmp_path)
    token = tokens.issue("session-a")
    assert tokens.verify("session-a", token)
    assert not tokens.verify("session-b", token)
    assert tokens.issue("session-a") != token


def test_secret_survives_a_restart_and_is_private(tmp_path: Path) -> None:
    token = XsrfTokens.in_dir(tmp_path).issue("s")
    assert XsrfTokens.in_dir(tmp_path).verify("s", token)
    assert stat.S_IMODE((tmp_path / "xsrf-secret").stat().st_mode) == 0o600


def test_another_server_secret_refuses_the_token(tmp_path: Path) -> None:
    token = XsrfTokens.in_dir(tmp_path / "one").issue("s")
    assert not XsrfTokens.in_dir(tmp_path / "two").verify("s", token)


def test_tampered_and_malformed_tokens_are_refused(tmp_path: Path) -> None:
    tokens = XsrfTokens.in_dir(tmp_path)
    token = tokens.issue("s")
    nonce, mac = token.split(".")
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    for bad in [None, "", "abc", f"{nonce}.{flipped}", f"{nonce}.", f".{mac}", "a.b.c", "%%.%%"]:
        assert not tokens.verify("s", bad), bad
