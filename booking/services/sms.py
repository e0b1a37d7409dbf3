"""Text messages: verification codes sent to a mobile number, and the
notices that cannot wait for the app to be opened (a waitlist offer held
for minutes, a release the resident asked to be told of).

Two providers, chosen by `SMS_PROVIDER`: `console` writes the message to the
log (development: read the code in the terminal), `tencent` sends it with
Tencent Cloud SMS through its official SDK. Tencent sends only registered
templates: one verification-code template whose parameters are the code and
its validity in minutes (for example "您的验证码为{1}，{2}分钟内有效。").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

log = logging.getLogger("booking.sms")


class SmsFailed(RuntimeError):
    """The provider did not accept the message."""


class SmsSender(Protocol):
    def send_code(self, phone: str, code: str, minutes: int) -> None: ...

    def send_text(self, phone: str, text: str) -> None: ...


# The notices worth a text message where the site sends them (SMS_NOTICES).
TEXTED_KINDS = frozenset({"waitlist_offer", "release_reminder"})
MAX_TEXT = 300  # characters; providers split longer messages


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


class ConsoleSms:
    """Development: the code goes to the log, the number masked."""

    def send_code(self, phone: str, code: str, minutes: int) -> None:
        log.warning(
            "SMS to %s: your campus-share code is %s (valid %d minutes)",
            masked(phone),
            code,
            minutes,
        )

    def send_text(self, phone: str, text: str) -> None:
        log.warning("SMS to %s: %s", masked(phone), text[:MAX_TEXT])


@dataclass(frozen=True)
class TencentSettings:
    secret_id: str
    secret_key: str
    sdk_app_id: str
    sign_name: str
    template_id: str
    notice_template_id: str = ""  # a template of one parameter: the notice's text
    region: str = "ap-guangzhou"
    endpoint: str = "https://sms.tencentcloudapi.com"


class TencentSms:
    """Tencent Cloud SMS (API 2021-01-11) through tencentcloud-sdk-python-sms."""

    def __init__(self, settings: TencentSettings) -> None:
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        self.settings = settings
        where = urlsplit(settings.endpoint)
        http = HttpProfile(
            protocol=where.scheme or "https", endpoint=where.netloc or where.path, reqTimeout=10
        )
        self.client = sms_client.SmsClient(
            credential.Credential(settings.secret_id, settings.secret_key),
            settings.region,
            ClientProfile(httpProfile=http),
        )

    def send_code(self, phone: str, code: str, minutes: int) -> None:
        self._send(phone, self.settings.template_id, [code, str(minutes)])

    def send_text(self, phone: str, text: str) -> None:
        if not self.settings.notice_template_id:
            raise SmsFailed("TENCENT_SMS_NOTICE_TEMPLATE_ID is not set")
        self._send(phone, self.settings.notice_template_id, [text[:MAX_TEXT]])

    def _send(self, phone: str, template_id: str, params: list[str]) -> None:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{phone}"]
        request.SmsSdkAppId = self.settings.sdk_app_id
        request.SignName = self.settings.sign_name
        request.TemplateId = template_id
        request.TemplateParamSet = params
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            raise SmsFailed(f"Tencent Cloud SMS refused the request: {error.code}") from error
        statuses = response.SendStatusSet or []
        if not statuses or statuses[0].Code != "Ok":
            code_seen = statuses[0].Code if statuses else "no status"
            raise SmsFailed(f"Tencent Cloud SMS did not send the message: {code_seen}")


def sender_from_config(config: Mapping[str, Any]) -> SmsSender:
    """The provider `SMS_PROVIDER` names, with its settings."""
    if config.get("SMS_PROVIDER") == "tencent":
        return TencentSms(
            TencentSettings(
                secret_id=config["TENCENT_SECRET_ID"],
                secret_key=config["TENCENT_SECRET_KEY"],
                sdk_app_id=config["TENCENT_SMS_SDK_APP_ID"],
                sign_name=config["TENCENT_SMS_SIGN_NAME"],
                template_id=config["TENCENT_SMS_TEMPLATE_ID"],
                notice_template_id=config.get("TENCENT_SMS_NOTICE_TEMPLATE_ID", ""),
                region=config["TENCENT_SMS_REGION"],
                endpoint=config["TENCENT_SMS_ENDPOINT"],
            )
        )
    return ConsoleSms()
