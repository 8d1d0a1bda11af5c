"""The real bot (`chatbot run`) in webhook mode: the emulator POSTs updates to it.

The emulator runs with ``--allow-http-webhook`` (the real Bot API wants HTTPS, which a
reverse proxy provides in production); the bot listens on 127.0.0.1 and generates its
secret token into its data directory. The ops endpoints of the running bot are checked
here too.
"""

from __future__ import annotations

import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatbot.i18n import translator
from chatbot.secrets import WEBHOOK_SECRET_FILE
from tests.e2e.modes import modes, not_private
from tests.e2e.telegram import archives
from tests.e2e.telegram.conftest import TOKEN, Deployment, start_bot, start_emulator
from tests.e2e.telegram.driver import text_of
from tests.servers.process import free_port

EN = translator("en")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class WebhookDeployment(Deployment):
    url: str
    ops: str
    data_dir: Path
    env: dict[str, str]

    def bot_api(self, method: str, **params: Any) -> httpx.Response:
        return httpx.post(f"{self.emulator.root}/bot{TOKEN}/{method}", json=params, timeout=30)


@pytest.fixture(scope="module")
def webhook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookDeployment]:
    tmp = tmp_path_factory.mktemp("telegram-webhook")
    (tmp / "emulator").mkdir()
    (tmp / "bot").mkdir()
    port, ops_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    env = {
        "CHATBOT_TELEGRAM_WEBHOOK_URL": url,
        "CHATBOT_TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "CHATBOT_TELEGRAM_WEBHOOK_PORT": str(port),
        "CHATBOT_OPS_PORT": str(ops_port),
        "CHATBOT_LOG_FORMAT": "json",
    }
    extra = ["--allow-http-webhook", "--webhook-retry", "0.2"]
    emulator_process, emulator = start_emulator(tmp / "emulator", local=False, extra=extra)
    try:
        bot = start_bot(emulator, tmp / "bot", local=False, extra_env=env)
        deployment = WebhookDeployment(emulator, bot)
        deployment.url, deployment.ops = url, f"http://127.0.0.1:{ops_port}"
        deployment.data_dir, deployment.env = tmp / "bot", env
        try:
            yield deployment
        finally:
            deployment.bot.stop()
    finally:
        emulator.close()
        emulator_process.stop()


def test_the_webhook_is_set_and_get_updates_conflicts(webhook: WebhookDeployment) -> None:
    info = webhook.bot_api("getWebhookInfo").json()["result"]
    assert info["url"] == webhook.url
    assert {"message", "callback_query", "my_chat_member"} <= set(info["allowed_updates"])
    polled = webhook.bot_api("getUpdates")
    assert polled.status_code == 409
    assert polled.json() == {"ok": False, "error_code": 409, "description": CONFLICT}
    secret_file = webhook.data_dir / WEBHOOK_SECRET_FILE
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert not_private(modes(webhook.data_dir)) == []  # under umask 022 (start_bot)


def test_a_conversation_over_the_webhook(webhook: WebhookDeployment, tmp_path: Path) -> None:
    user = webhook.user()
    user.send("/start")
    replies = user.wait_replies(lambda ms: len(ms) >= 2)
    assert text_of(replies[0]) == EN("start.welcome")

    user.send_file(archives.write_zip(tmp_path / "twitter-webhook.zip"))
    summary = user.wait_text(f"@{archives.USERNAME}", archives.DISPLAY_NAME, timeout=30)
    assert f"{archives.FOLLOWING} accounts followed" in text_of(summary)


def test_a_wrong_secret_is_refused(webhook: WebhookDeployment) -> None:
    update = {"update_id": 999_999, "message": {"message_id": 1, "date": 0, "text": "/start",
              "chat": {"id": 5, "type": "private"}}}  # fmt: skip
    wrong = httpx.post(webhook.url, json=update, headers={SECRET_HEADER: "not-the-secret"})
    assert wrong.status_code == 403
    assert httpx.post(webhook.url, json=update).status_code == 403


def test_the_ops_endpoints_of_the_running_bot(webhook: WebhookDeployment) -> None:
    user = webhook.user()
    user.send("/help")
    user.wait_text(EN("help.title"))
    assert httpx.get(f"{webhook.ops}/healthz").status_code == 200
    ready = httpx.get(f"{webhook.ops}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "platforms": "ok"}
    metrics = httpx.get(f"{webhook.ops}/metrics").text
    assert 'chatbot_messages_total{kind="command",platform="telegram"}' in metrics
    assert 'chatbot_reply_seconds_count{platform="telegram"}' in metrics
    assert "chatbot_archive_parse_seconds_count" in metrics


def test_updates_sent_while_the_bot_restarts_are_not_lost(webhook: WebhookDeployment) -> None:
    webhook.bot.stop()
    assert webhook.bot_api("getWebhookInfo").json()["result"]["url"] == webhook.url
    user = webhook.user()
    user.send("/help")
    deadline = time.monotonic() + 10
    while not _delivery_failed(webhook):  # the emulator keeps the update and retries
        assert time.monotonic() < deadline, "the emulator never tried to deliver the update"
        time.sleep(0.1)
    webhook.bot = start_bot(webhook.emulator, webhook.data_dir, local=False, extra_env=webhook.env)
    assert EN("help.title") in text_of(user.wait_text(EN("help.title"), timeout=30))
    assert webhook.bot_api("getWebhookInfo").json()["result"]["pending_update_count"] == 0


def _delivery_failed(webhook: WebhookDeployment) -> bool:
    info = webhook.bot_api("getWebhookInfo").json()["result"]
    return bool(info.get("last_error_message")) and info["pending_update_count"] >= 1
