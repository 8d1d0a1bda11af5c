"""A Telegram Bot API emulator for end-to-end tests, run as its own process over HTTP.

    python -m devtools.botapi_emulator --host 127.0.0.1 --port 0 --data-dir D [--local]
        [--allow-http-webhook] [--webhook-retry SECONDS]

prints ``READY http://127.0.0.1:PORT`` once it listens. Point the bot at that root
(``CHATBOT_TELEGRAM_API_URL``): the bot side is ``/bot<token>/<method>`` and
``/file/bot<token>/<file_path>``, with Bot API semantics (``{"ok": true, "result": ...}``,
``{"ok": false, "error_code": 400, "description": "Bad Request: ..."}``). Implemented:
getMe, getUpdates (long polling, offsets), setWebhook, deleteWebhook, getWebhookInfo
(see `webhook`: updates POSTed with the secret header, retried; getUpdates then 409),
set/get/deleteMyCommands, sendMessage, editMessageText, deleteMessage, sendDocument,
sendPhoto, sendChatAction, getFile (20 MB limit; none with ``--local``, where
``file_path`` is an absolute local path like ``telegram-bot-api --local``),
answerCallbackQuery, getChatMember, getChatAdministrators and leaveChat (see `members`:
``my_chat_member`` updates when the bot is removed from or added to a group).

The test driver plays the users through ``/_test/...`` (see `control` and `members`). One emulator
serves one bot; any token of the right shape is accepted unless ``--token`` pins one.
"""
