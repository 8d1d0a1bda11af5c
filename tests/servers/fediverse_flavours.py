"""How each Mastodon-compatible server answers what the bot asks: the stand-in's script.

`FediverseStandin(flavour)` (``fediverse_standin.py``) answers over real HTTP the way the
server software below does, for the requests of ``/connect mastodon`` and a follow job.
What is *known* comes from the sources named; what is *assumed* is marked so.

Mastodon (docs.joinmastodon.org; mastodon/mastodon; field-2026 §6)
  * NodeInfo ``software.name`` "mastodon"; ``/api/v1/instance`` ``version`` "4.3.2".
  * ``/.well-known/oauth-authorization-server`` from 4.3, with
    ``code_challenge_methods_supported: ["S256"]`` (PKCE since 4.3).
  * ``POST /api/v1/apps`` checks the scopes against the ones it knows; granular scopes
    (``write:follows``...) exist since 2.4.3 (mastodon PR #7929). Assumed: an unknown
    scope gives 422 ``{"error": "Validation failed: Scopes are invalid"}``.
  * An authorization asking for scopes the app was not registered with shows "The
    requested scope is invalid, unknown, or malformed." (mastodon #183, #8210;
    Mastodon.py #415; OpenPortability #69 on piaille.fr).
  * The out-of-band page shows the code in ``<input class="oauth-code" ... value=CODE>``
    (assumed markup); the token request's scope must be within the app's.
GoToSocial (superseriousbusiness/gotosocial: docs/api/authentication.md,
internal/oauth/handlers/handlers.go, internal/api/util/scopes.go, web/template/oob.tmpl,
internal/processing/fedi/wellknown.go)
  * NodeInfo "gotosocial", ``/api/v1/instance`` ``version`` "0.20.1+git-…"; no OAuth
    metadata document (so the bot does not know that it takes PKCE S256).
  * ``POST /api/v1/apps`` keeps the scopes as given (only their length is checked).
  * The out-of-band page: "Here's your out-of-band token with scope "…", use it
    wisely:" and the code in ``<code>``.
  * At the token endpoint every requested scope must be permitted by the app's (a
    top-level scope permits its children: ``read`` permits ``read:accounts``), else 403
    "requested scope … was not covered by client scope"; no scope means ``read``.
  * Before 0.19.0 tokens were not held to their scopes: any token can do everything.
Pleroma, Akkoma (pleroma-social/pleroma lib/pleroma/web/o_auth/o_auth_controller.ex and
scopes.ex; Akkoma docs/development/API/differences_in_mastoapi_responses.md)
  * NodeInfo "pleroma" / "akkoma"; ``version`` "2.7.2 (compatible; Akkoma 3.13.2)".
  * Requested scopes must be the app's or their descendants (``write`` covers
    ``write:follows``), else the form says "This action is outside the authorized
    scopes"; scopes may be separated by spaces or commas.
  * The out-of-band redirect renders a page with the code (``oob_authorization_created``;
    markup assumed). Assumed: no OAuth metadata document, no PKCE check, the token
    request's ``scope`` ignored (the authorization's scopes are used).
The Misskey family
  * NodeInfo "misskey", "sharkey", "firefish"...; Misskey has no ``/api/v1`` (404).
    Sharkey and Firefish serve a partial Mastodon API; assumed: not the app
    registration with an out-of-band code the bot needs (the bot refuses them by name).
Other software with a Mastodon API (assumed: answers like Mastodon, without NodeInfo
version quirks), played by "takahe" (NodeInfo "takahe").
Other refusals (assumed shapes)
  * Registration closed: ``POST /api/v1/apps`` answers 403.
  * No out-of-band code (Pixelfed, pixelfed #2522): the OOB redirect refused with 422
    ``{"error": "Validation failed: Redirect URI must be an absolute URI."}``.
  * "piaille": registration accepts the precise scopes but the authorization page
    refuses them (what users of OpenPortability #69 saw).
  * "read-only": registration refuses every scope but ``read`` (422, as Mastodon would
    for unknown scopes): neither the precise nor the broad ones can be had.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

MASTODON_SCOPES = frozenset({
    "read", "write", "follow", "push", "profile", "read:accounts", "read:blocks",
    "read:follows", "read:lists", "read:mutes", "read:search", "read:statuses",
    "write:accounts", "write:blocks", "write:follows", "write:lists", "write:media",
    "write:mutes", "write:statuses",
})  # fmt: skip
LEGACY_SCOPES = frozenset({"read", "write", "follow"})
INVALID_SCOPE = "The requested scope is invalid, unknown, or malformed."


@dataclass(frozen=True)
class Flavour:
    key: str
    software: str | None  # NodeInfo software.name; None: no NodeInfo
    version: str = ""
    instance_version: str | None = None  # /api/v1/instance "version"; None: 404
    oauth_metadata: bool = False  # /.well-known/oauth-authorization-server (S256)
    scope_rule: str = "mastodon"  # how a scope permits another: mastodon|gotosocial|pleroma
    known_scopes: frozenset[str] | None = None  # registration refuses others (422)
    page_refuses: frozenset[str] = frozenset()  # the authorization page refuses these
    apps_closed: bool = False
    oob: bool = True
    enforces_scopes: bool = True  # API calls need a permitting scope
    token_checks_scope: bool = True

    def permits(self, granted: set[str], wanted: str) -> bool:
        """Whether scopes `granted` cover `wanted` in this software's rules."""
        if wanted in granted:
            return True
        parent = wanted.split(":", 1)[0]
        if self.scope_rule == "mastodon" and wanted == "write:follows" and "follow" in granted:
            return True  # Mastodon's deprecated follow scope covers follows
        return parent in granted and parent in ("read", "write", "admin")

    def code_page(self, code: str, scope: str, user: str) -> str:
        code, scope, user = html.escape(code), html.escape(scope), html.escape(user)
        if self.key.startswith("gotosocial"):
            return (
                f"<main><h1>Hi <b>{user}</b>!</h1><p>Here's your out-of-band token with "
                f'scope "<em>{scope}</em>", use it wisely:</p><code>{code}</code></main>'
            )
        if self.key in ("pleroma", "akkoma"):
            return f"<h2>Successfully authorized</h2><h2>Token code is <br>{code}</h2>"
        return ('<p>Copy this authorization code and paste it to the application.</p>'
                f'<input class="oauth-code" readonly type="text" value="{code}">')  # fmt: skip


CODE_ON_PAGE = re.compile(r'value="([^"]+)"|<code>([^<]+)</code>|<br>([^<]+)</h2>')


def code_on(page: str) -> str:
    """What the user copies from the out-of-band page."""
    found = CODE_ON_PAGE.search(page)
    assert found, page
    return html.unescape(next(group for group in found.groups() if group))


MASTODON = Flavour("mastodon", "mastodon", "4.3.2", "4.3.2", oauth_metadata=True,
                   known_scopes=MASTODON_SCOPES)  # fmt: skip
FLAVOURS = {
    flavour.key: flavour
    for flavour in (
        MASTODON,
        Flavour("mastodon-2.4", "mastodon", "2.4.0", "2.4.0", known_scopes=LEGACY_SCOPES),
        Flavour("gotosocial", "gotosocial", "0.20.1+git-5a6b7c8", "0.20.1+git-5a6b7c8",
                scope_rule="gotosocial"),
        Flavour("gotosocial-0.18", "gotosocial", "0.18.3", "0.18.3", scope_rule="gotosocial",
                enforces_scopes=False),
        Flavour("akkoma", "akkoma", "3.13.2", "2.7.2 (compatible; Akkoma 3.13.2)",
                scope_rule="pleroma", token_checks_scope=False),
        Flavour("pleroma", "pleroma", "2.7.0", "2.7.2 (compatible; Pleroma 2.7.0)",
                scope_rule="pleroma", token_checks_scope=False),
        Flavour("pleroma-no-nodeinfo", None, "", "2.7.2 (compatible; Pleroma 2.7.0)",
                scope_rule="pleroma", token_checks_scope=False),
        Flavour("misskey", "misskey", "2024.11.0"),
        Flavour("lemmy", "lemmy", "0.19.5"),  # no Mastodon API at all (assumed: 404)
        Flavour("sharkey", "sharkey", "2024.9.4", "4.2.0 (compatible; Sharkey 2024.9.4)"),
        Flavour("strict", None, "", "4.1.0", known_scopes=LEGACY_SCOPES),
        Flavour("piaille", "mastodon", "4.2.9", "4.2.9", known_scopes=MASTODON_SCOPES,
                page_refuses=MASTODON_SCOPES - LEGACY_SCOPES),
        Flavour("closed", "mastodon", "4.2.9", "4.2.9", apps_closed=True),
        Flavour("read-only", None, "", "4.2.9", known_scopes=frozenset({"read"})),
        Flavour("takahe", "takahe", "0.11.0", "4.0.0", known_scopes=MASTODON_SCOPES),
        Flavour("pixelfed", "pixelfed", "0.12.4", "2.7.2 (compatible; Pixelfed 0.12.4)",
                oob=False),
    )
}  # fmt: skip
