"""Private files full of canaries (§5.12, §12.2 rule 17), assets, and classic archives."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from devtools.archivegen_eras import EraInfo
from devtools.archivegen_json import dump2019
from devtools.archivegen_stream import TINY_JPEG, TINY_PNG
from devtools.archivegen_tweets import Person, created_at, iso, words
from devtools.archivegen_zip import ZipSink

if TYPE_CHECKING:
    from devtools.archivegen import Generated

EMAIL = "canary-email@example.invalid"
PHONE = "+15555550142"
CANARY_DM_PEER = 4242424242424242


def private_files(gen: Generated, era: EraInfo) -> dict[str, list[Any]]:
    """Records of every sensitive file of the era; their canaries go to `gen.canaries`."""
    owner = str(gen.owner.id)
    when = iso(gen.generated_at - dt.timedelta(days=3))
    dm_text = [f"CANARY-DM-TEXT-{i}" for i in range(3)]
    ips = [f"203.0.113.{i + 7}" for i in range(3)]
    canaries = [
        *dm_text,
        *ips,
        EMAIL,
        PHONE,
        "198.51.100.23",
        "CANARY-CONTACT-NAME",
        "canary-contact@example.invalid",
        "+15555550199",
        "CANARY-DEVICE-TOKEN-0",
        "1911-11-11",
        "CANARY-INTEREST",
        "CANARY-ADVERTISER",
        "CANARY-GROK-CHAT",
        "CANARY-XCHAT-SIGNATURE",
        "CANARY-DELETED-TWEET",
        "CANARY-SAVED-SEARCH",
        "canary-sso@example.invalid",
        "CANARY-DM-GROUP",
        "CANARY-CONNECTED-APP",
        "CANARY-KEY-REGISTRY",
        "CANARY-AD-IMPRESSION",
    ]
    gen.canaries.extend(canaries)
    message = {
        "messageCreate": {
            "recipientId": str(CANARY_DM_PEER),
            "reactions": [],
            "urls": [],
            "text": dm_text[0],
            "mediaUrls": [],
            "senderId": owner,
            "id": "1750611000000000000",
            "createdAt": when,
            "editHistory": [],
        }
    }
    files: dict[str, list[Any]] = {
        era.dm_file: [
            {
                "dmConversation": {
                    "conversationId": f"{CANARY_DM_PEER}-{owner}",
                    "messages": [
                        message,
                        {"messageCreate": dict(message["messageCreate"], text=dm_text[1])},
                    ],
                }
            }
        ],
        f"{era.dm_file}-group": [
            {
                "dmConversation": {
                    "conversationId": "1111",
                    "messages": [
                        {
                            "messageCreate": dict(
                                message["messageCreate"], text="CANARY-DM-GROUP " + dm_text[2]
                            )
                        }
                    ],
                }
            }
        ],
        "direct-message-headers": [
            {
                "dmConversation": {
                    "conversationId": f"{CANARY_DM_PEER}-{owner}",
                    "messages": [
                        {
                            "messageCreate": {
                                "id": "1750611000000000000",
                                "senderId": str(CANARY_DM_PEER),
                                "recipientId": owner,
                                "createdAt": when,
                            }
                        }
                    ],
                }
            }
        ],
        "ip-audit": [
            {
                "ipAudit": {
                    "accountId": owner,
                    "createdAt": when,
                    "loginIp": ip,
                    "loginPortNumber": "51234",
                }
            }
            for ip in ips
        ],
        "account-creation-ip": [
            {"accountCreationIp": {"accountId": owner, "userCreationIp": "198.51.100.23"}}
        ],
        "email-address-change": [
            {
                "emailAddressChange": {
                    "accountId": owner,
                    "emailChange": {"changedAt": when, "changedTo": EMAIL},
                }
            }
        ],
        "phone-number": [{"device": {"phoneNumber": PHONE}}],
        "contact": [
            {
                "contact": {
                    "id": "1",
                    "emails": ["canary-contact@example.invalid"],
                    "phoneNumbers": ["+15555550199"],
                    "name": "CANARY-CONTACT-NAME",
                }
            }
        ],
        "device-token": [
            {
                "deviceToken": {
                    "clientApplicationId": "3033300",
                    "token": "CANARY-DEVICE-TOKEN-0",
                    "createdAt": when,
                    "lastSeenAt": when,
                    "clientApplicationName": "Twitter Web App",
                }
            }
        ],
        "ageinfo": [{"ageMeta": {"ageInfo": {"age": ["46"], "birthDate": "1911-11-11"}}}],
        "personalization": [
            {
                "p13nData": {
                    "interests": {
                        "interests": [{"name": "CANARY-INTEREST", "isDisabled": False}],
                        "advertisers": {"lookalikeAdvertisers": ["CANARY-ADVERTISER"]},
                    }
                }
            }
        ],
        "saved-search": [
            {"savedSearch": {"savedSearchId": "42214", "query": "CANARY-SAVED-SEARCH"}}
        ],
        "sso": [{"ssoId": "1", "ssoEmail": "canary-sso@example.invalid"}],
        "connected-application": [
            {
                "connectedApplication": {
                    "organization": {"name": "CANARY-CONNECTED-APP"},
                    "name": "app",
                    "id": "1",
                }
            }
        ],
        "key-registry": [
            {"keyRegistryData": {"userId": owner, "registeredDevices": "CANARY-KEY-REGISTRY"}}
        ],
        "ad-impressions": [
            {
                "ad": {
                    "adsUserData": {
                        "adImpressions": {
                            "impressions": [{"deviceInfo": {"osType": "CANARY-AD-IMPRESSION"}}]
                        }
                    }
                }
            }
        ],
    }
    if era.edit_info:
        files["deleted-tweets"] = [
            {
                "tweet": {
                    "id_str": "2029583929812873669",
                    "full_text": "CANARY-DELETED-TWEET",
                    "deleted_at": created_at(gen.generated_at),
                }
            }
        ]
        files["deleted-tweet-headers"] = [
            {"tweet": {"tweet_id": "2029583929812873669", "user_id": owner}}
        ]
    if era.xcom:
        files["grok-chat-item"] = [
            {"grokChatItem": {"chatId": "1", "message": "CANARY-GROK-CHAT", "sender": "User"}}
        ]
        files["message-event"] = [
            {
                "messageEvent": {
                    "messageEventSignature": {"signature": "CANARY-XCHAT-SIGNATURE"},
                    "senderId": str(CANARY_DM_PEER),
                }
            }
        ]
    return files


def write_private_media(sink: ZipSink, gen: Generated, data: str) -> None:
    name = f"{data}direct_messages_media/1750611000000000000-_LQcPug7.jpg"
    sink.write_bytes(name, TINY_JPEG + b"CANARY-DM-MEDIA")
    gen.private_members.append(name)
    gen.canaries.append("CANARY-DM-MEDIA")


def write_assets(sink: ZipSink, gen: Generated, data: str) -> None:
    mode = gen.spec.assets
    if mode == "none":
        return
    if data:
        sink.write_text("Your archive.html", "<!DOCTYPE html><title>Your Twitter Data</title>")
        sink.write_text(f"{data}README.txt", "Twitter archive README (synthetic)\n")
        sink.write_text("assets/js/main.4d1f0c.js", "window.main=1;")
        sink.write_bytes("assets/images/favicon.ico", TINY_PNG)
    else:
        sink.write_text("README.txt", "Your Twitter data (synthetic, 2018-2019 layout)\n")
    if mode == "full":
        for i in range(6200):
            sink.write_bytes(f"assets/images/twemoji/v/latest/72x72/{0x1F300 + i:x}.png", TINY_PNG)


def write_classic(sink: ZipSink, gen: Generated, rng: random.Random, people: list[Person]) -> None:
    """Era A: the Grailbird tweet archive (tweets only, no follow lists, no private files)."""
    owner, spec = gen.owner, gen.spec
    start = dt.datetime(2012, 1, 5, tzinfo=dt.UTC).timestamp()
    end = gen.generated_at.timestamp() - 86400
    stamps = sorted((int(rng.uniform(start, end)) for _ in range(spec.tweets)), reverse=True)
    months: dict[tuple[int, int], list[Any]] = {}
    user = {
        "name": owner.name,
        "screen_name": owner.handle,
        "protected": False,
        "id_str": str(owner.id),
        "profile_image_url_https": "https://pbs.twimg.com/a.png",
        "id": owner.id,
        "verified": False,
    }
    for i, stamp in enumerate(stamps):
        when = dt.datetime.fromtimestamp(stamp, dt.UTC)
        tid = ((stamp * 1000 - 1288834974657) << 22) + i
        who = people[i % len(people)]
        text = f"@{who.handle} " + words(rng, 6)
        months.setdefault((when.year, when.month), []).append(
            {
                "source": '<a href="http://twitter.com" rel="nofollow">Twitter Web Client</a>',
                "entities": {
                    "user_mentions": [
                        {
                            "name": who.name,
                            "screen_name": who.handle,
                            "indices": [0, 1 + len(who.handle)],
                            "id_str": str(who.id),
                            "id": who.id,
                        }
                    ],
                    "media": [],
                    "hashtags": [],
                    "urls": [],
                },
                "geo": {},
                "id_str": str(tid),
                "text": text,
                "id": tid,
                "created_at": when.strftime("%Y-%m-%d %H:%M:%S +0000"),
                "user": user,
            }
        )
        gen.handles.setdefault(who.id, set()).add(who.handle)
        gen.years_final[when.year] += 1
    gen.tweet_records = gen.tweets_final = spec.tweets
    gen.years_records = gen.years_final.copy()
    index = []
    for (year, month), tweets in sorted(months.items(), reverse=True):
        var = f"tweets_{year}_{month:02d}"
        sink.write_text(
            f"data/js/tweets/{year}_{month:02d}.js",
            f"Grailbird.data.{var} = \n" + dump2019(tweets).replace("/", "\\/"),
        )
        index.append(
            {
                "file_name": f"data/js/tweets/{year}_{month:02d}.js",
                "year": year,
                "var_name": var,
                "tweet_count": len(tweets),
                "month": month,
            }
        )
    sink.write_text("data/js/tweet_index.js", "var tweet_index =  " + dump2019(index))
    details = {
        "screen_name": owner.handle,
        "location": "Lisbon",
        "full_name": owner.name,
        "bio": "maps",
        "id": str(owner.id),
        "created_at": "2009-03-01 09:14:27 +0000",
    }
    sink.write_text("data/js/user_details.js", "var user_details =  " + dump2019(details))
    payload = {"tweets": spec.tweets, "created_at": "2019-02-08 08:44:17 +0000", "lang": "en"}
    sink.write_text("data/js/payload_details.js", "var payload_details =  " + dump2019(payload))
    sink.write_text("tweets.csv", "tweet_id,in_reply_to_status_id,timestamp,text\n")
    sink.write_text("index.html", "<!DOCTYPE html><title>Your Tweet archive</title>")
