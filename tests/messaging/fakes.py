"""Local fakes of the two SMS providers' HTTP APIs, on 127.0.0.1, for the real backends.

Each fake checks what the provider checks, written here from the providers' API
references rather than from their SDKs: the action and version, the AccessKey, the
signature (Aliyun's RPC HMAC-SHA1 over the sorted, percent-encoded query; Tencent's
TC3-HMAC-SHA256 over the canonical request), the required parameters, and answers in the
documented shapes, success or refusal. ``mode`` makes it refuse or go silent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit


class FakeProvider:
    """A provider on a free local port; ``requests`` keeps what arrived (parsed)."""

    content_type = "application/json;charset=utf-8"

    def __init__(self, key_id: str, secret: str):
        self.key_id, self.secret = key_id, secret
        self.mode = "ok"
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                if fake.mode == "slow":
                    time.sleep(1.5)
                status, answer = fake.answer(self.command, self.path, dict(self.headers.items()), body)
                data = json.dumps(answer, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", fake.content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, method, path, headers, body) -> tuple[int, dict]:
        raise NotImplementedError


# -- Alibaba Cloud: Dysmsapi 2017-05-25, RPC style ----------------------------------------


def _percent(value: str) -> str:
    """RFC 3986 encoding as the RPC signature wants it: only A-Z a-z 0-9 - _ . ~ kept."""
    return quote(value, safe="-_.~")


def aliyun_signature(method: str, params: dict[str, str], secret: str) -> str:
    canonical = "&".join(f"{_percent(k)}={_percent(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{_percent('/')}&{_percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class FakeAliyun(FakeProvider):
    def answer(self, method, path, headers, body):
        request_id = f"FAKE-{len(self.requests) + 1}"
        params = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
        params.update(parse_qsl(body.decode(), keep_blank_values=True))
        self.requests.append({"params": params, "headers": headers})
        for name in ("Action", "Version", "Format", "AccessKeyId", "SignatureMethod",
                     "SignatureVersion", "SignatureNonce", "Timestamp", "Signature"):
            if name not in params:
                return 400, {"Code": "MissingParameter", "Message": f"{name} is mandatory",
                             "RequestId": request_id}
        if params["Action"] != "SendSms" or params["Version"] != "2017-05-25":
            return 400, {"Code": "InvalidAction.NotFound", "Message": "Specified api is not found",
                         "RequestId": request_id}
        if params["AccessKeyId"] != self.key_id:
            return 404, {"Code": "InvalidAccessKeyId.NotFound",
                         "Message": "Specified access key is not found.", "RequestId": request_id}
        given = params.pop("Signature")
        if (params["SignatureMethod"], params["SignatureVersion"]) != ("HMAC-SHA1", "1.0") or \
                not hmac.compare_digest(given, aliyun_signature(method, params, self.secret)):
            return 400, {"Code": "SignatureDoesNotMatch",
                         "Message": "Specified signature is not matched with our calculation.",
                         "RequestId": request_id}
        stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs((datetime.now(UTC) - stamp).total_seconds()) > 15 * 60:
            return 400, {"Code": "InvalidTimeStamp.Expired", "Message": "Specified time stamp or date value is expired.",
                         "RequestId": request_id}
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not params.get(name):
                return 400, {"Code": "MissingParameter", "Message": f"{name} is mandatory",
                             "RequestId": request_id}
        try:
            json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return 200, {"Code": "isv.INVALID_JSON_PARAM", "Message": "JSON参数不合法，只接受字符串值",
                         "RequestId": request_id}
        if self.mode == "limit":
            return 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL",
                         "Message": f"触发号码天级流控Permits:10 {params['PhoneNumbers']}",
                         "RequestId": request_id}
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"9006197469364984{len(self.requests):03d}^0",
                     "RequestId": request_id}


# -- Tencent Cloud: SMS 2021-01-11, TC3-HMAC-SHA256 ---------------------------------------


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tc3_signature(secret: str, *, method: str, host: str, content_type: str, body: bytes,
                  timestamp: int, service: str = "sms") -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join([method, "/", "", f"content-type:{content_type}\nhost:{host}\n",
                           "content-type;host", hashlib.sha256(body).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                                hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(f"TC3{secret}".encode(), date), service), "tc3_request")
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


class FakeTencent(FakeProvider):
    content_type = "application/json"  # exactly: the SDK looks for Response.Error only then
    def __init__(self, key_id: str, secret: str, app_id: str):
        super().__init__(key_id, secret)
        self.app_id = app_id

    @staticmethod
    def _error(code: str, message: str, request_id: str) -> tuple[int, dict]:
        return 200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}

    def answer(self, method, path, headers, body):
        request_id = f"fake-{len(self.requests) + 1}"
        headers = {k.lower(): v for k, v in headers.items()}
        self.requests.append({"headers": headers, "body": body})
        if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
            return self._error("InvalidAction", "The action does not exist.", request_id)
        auth = headers.get("authorization", "")
        algorithm, _, rest = auth.partition(" ")
        fields = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
        credential = fields.get("Credential", "").split("/")
        if algorithm != "TC3-HMAC-SHA256" or len(credential) != 4 or credential[3] != "tc3_request":
            return self._error("AuthFailure.InvalidAuthorization", "Authorization is invalid.", request_id)
        if credential[0] != self.key_id:
            return self._error("AuthFailure.SecretIdNotFound", "The SecretId is not found.", request_id)
        timestamp = int(headers.get("x-tc-timestamp", "0"))
        if abs(time.time() - timestamp) > 300:
            return self._error("AuthFailure.SignatureExpire", "Signature expired.", request_id)
        expected = tc3_signature(self.secret, method=method, host=headers.get("host", ""),
                                 content_type=headers.get("content-type", ""), body=body,
                                 timestamp=timestamp, service=credential[2])
        if fields.get("SignedHeaders") != "content-type;host" or credential[2] != "sms" or \
                credential[1] != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") or \
                not hmac.compare_digest(fields.get("Signature", ""), expected):
            return self._error("AuthFailure.SignatureFailure",
                               "The provided credentials could not be validated.", request_id)
        payload = json.loads(body)
        self.requests[-1]["payload"] = payload
        for name in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId"):
            if not payload.get(name):
                return self._error("MissingParameter", f"The parameter `{name}` is missing.", request_id)
        if payload["SmsSdkAppId"] != self.app_id:
            return self._error("FailedOperation.ParametersOtherError", "SmsSdkAppId is not found.", request_id)
        statuses = []
        for number in payload["PhoneNumberSet"]:
            if self.mode == "limit":
                statuses.append({"SerialNo": "", "PhoneNumber": number, "Fee": 0, "SessionContext":
                                 payload.get("SessionContext", ""), "Code": "LimitExceeded.PhoneNumberDailyLimit",
                                 "Message": f"the number {number} has reached the daily limit", "IsoCode": "CN"})
            else:
                statuses.append({"SerialNo": f"2019:{len(self.requests)}0457106691570536", "PhoneNumber": number,
                                 "Fee": 1, "SessionContext": payload.get("SessionContext", ""),
                                 "Code": "Ok", "Message": "send success", "IsoCode": "CN"})
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}}
