"""Tencent Cloud SMS (腾讯云短信, API 3.0, version 2021-01-11), through its SDK.

``SendSms`` is a JSON POST signed with TC3-HMAC-SHA256 (a key derived from the SecretKey,
the date and the service, over the canonical request of content-type, host and the
body's hash). The answer is ``{"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo":
…, "PhoneNumber": "+86…"}], "RequestId": …}}``: each number has its own status, so a
refusal of this number (``LimitExceeded.PhoneNumberDailyLimit``…) is in the set, while a
refusal of the whole call (``AuthFailure.SignatureFailure``) is ``Response.Error``, which
the SDK raises, as it does a timeout (``ClientNetworkError``).
"""

from __future__ import annotations

from consult.messaging.backends import Delivery, Outgoing, split_endpoint
from consult.messaging.rules import scrub

HOST = "sms.tencentcloudapi.com"
#: the SDK's own codes for an answer that never came (not the provider's refusals)
_UNREACHED = frozenset({"ClientNetworkError", "ServerNetworkError"})


class TencentBackend:
    name = "tencent"
    reaches_phones = True

    def __init__(self, settings):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        scheme, host = split_endpoint(settings.sms_endpoint, HOST)
        profile = HttpProfile(endpoint=host, protocol=scheme, reqTimeout=settings.sms_timeout_seconds)
        self._app_id = settings.sms_app_id
        self._client = sms_client.SmsClient(
            credential.Credential(settings.sms_access_key_id, settings.sms_access_key_secret),
            settings.sms_region, ClientProfile(httpProfile=profile))

    def send(self, out: Outgoing) -> Delivery:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{out.phone}"]
        request.SmsSdkAppId = self._app_id
        request.SignName = out.sign_name
        request.TemplateId = out.template_id
        request.TemplateParamSet = list(out.params.values())  # {1}, {2}… in template order
        request.SessionContext = str(out.message_id)
        try:
            response = self._client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = exc.get_code() or ""
            if code in _UNREACHED or not code:  # a timeout, a refused connection, a 5xx
                code = "unavailable"
            return Delivery(ok=False, code=scrub(code, 64), message=scrub(exc.get_message()))
        except Exception as exc:  # a malformed answer the SDK does not wrap
            return Delivery(ok=False, code="unavailable", message=scrub(type(exc).__name__))
        statuses = response.SendStatusSet or []
        if not statuses:
            return Delivery(ok=False, code="unknown", message="empty SendStatusSet")
        status = statuses[0]
        code = status.Code or "unknown"
        return Delivery(ok=code == "Ok", code=scrub(code, 64), provider_id=status.SerialNo,
                        message=scrub(status.Message))
