"""Text messages: verification codes sent to a mobile number.

Two providers, chosen by `SMS_PROVIDER`: `console` writes the message to the
log (development: read the code in the terminal), `tencent` sends it with
Tencent Cloud SMS through its official SDK. Tencent sends only registered
templates: one verification-code template whose parameters are the code and
its validity in minutes (for example "您的验证码为{1}，{2}分钟内有效。").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

log = logging.getLogger("booking.sms")


class SmsFailed(RuntimeError):
    """The provider did not accept the message."""


class SmsSender(Protocol):
    def send_code(self, phone: str, code: str, minutes: int) -> None: ...


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


@dataclass(frozen=True)
class TencentSettings:
    secret_id: str
    secret_key: str
    sdk_app_id: str
    sign_name: str
    template_id: str
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
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{phone}"]
        request.SmsSdkAppId = self.settings.sdk_app_id
        request.SignName = self.settings.sign_name
        request.TemplateId = self.settings.template_id
        request.TemplateParamSet = [code, str(minutes)]
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            raise SmsFailed(f"Tencent Cloud SMS refused the request: {error.code}") from error
        statuses = response.SendStatusSet or []
        if not statuses or statuses[0].Code != "Ok":
            code_seen = statuses[0].Code if statuses else "no status"
            raise SmsFailed(f"Tencent Cloud SMS did not send the message: {code_seen}")
