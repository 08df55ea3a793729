"""Alibaba Cloud SMS (阿里云短信服务, Dysmsapi 2017-05-25), through its SDK.

``SendSms`` is an RPC-style call: the parameters travel in the query string, signed with
HMAC-SHA1 over the sorted, percent-encoded parameters and the AccessKey secret. The SDK
signs; we choose that signature (``signature_algorithm="v2"``, the SDK's RPC path) so the
request is the one the API reference documents. The answer is JSON:
``{"Code": "OK", "BizId": …, "RequestId": …, "Message": …}`` on success; another
``Code`` (``isv.BUSINESS_LIMIT_CONTROL``, ``isv.MOBILE_NUMBER_ILLEGAL``…) is a refusal,
and a signature or key problem comes back as an HTTP 4xx the SDK raises.
"""

from __future__ import annotations

import json

from consult.messaging.backends import Delivery, Outgoing, split_endpoint
from consult.messaging.rules import scrub

HOST = "dysmsapi.aliyuncs.com"


class AliyunBackend:
    name = "aliyun"
    reaches_phones = True

    def __init__(self, settings):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import utils_models

        scheme, host = split_endpoint(settings.sms_endpoint, HOST)
        self._timeout_ms = int(settings.sms_timeout_seconds * 1000)
        self._client = Client(utils_models.Config(
            access_key_id=settings.sms_access_key_id,
            access_key_secret=settings.sms_access_key_secret,
            endpoint=host, protocol=scheme.upper(), signature_algorithm="v2",
            read_timeout=self._timeout_ms, connect_timeout=self._timeout_ms))

    def send(self, out: Outgoing) -> Delivery:
        from alibabacloud_dysmsapi20170525 import models
        from darabonba.runtime import RuntimeOptions
        from Tea.exceptions import TeaException

        request = models.SendSmsRequest(
            phone_numbers=out.phone, sign_name=out.sign_name, template_code=out.template_id,
            template_param=json.dumps(out.params, ensure_ascii=False), out_id=str(out.message_id))
        runtime = RuntimeOptions(autoretry=False, read_timeout=self._timeout_ms,
                                 connect_timeout=self._timeout_ms)
        try:
            body = self._client.send_sms_with_options(request, runtime).body
        except TeaException as exc:
            # 4xx/5xx carry the provider's code; a timeout or refused connection has none.
            code = exc.code if isinstance(exc.code, str) and exc.code else "unavailable"
            return Delivery(ok=False, code=scrub(code, 64), message=scrub(getattr(exc, "message", "")))
        except Exception as exc:  # the SDK wraps most errors, not all of them
            return Delivery(ok=False, code="unavailable", message=scrub(type(exc).__name__))
        code = body.code or "unknown"
        return Delivery(ok=code == "OK", code=scrub(code, 64), provider_id=body.biz_id,
                        message=scrub(body.message))
