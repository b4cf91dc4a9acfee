"""Local stand-ins for the Tencent Cloud and Alibaba Cloud SMS APIs, for tests and benchmarks.

Each is an HTTP server on 127.0.0.1 (a free port) that takes the provider's SendSms request
as the official SDK sends it, and checks what the provider checks: the request signature
(Tencent's TC3-HMAC-SHA256, Alibaba's ACS3-HMAC-SHA256), its freshness, the action and
version, the account (app ID, sign name), the template and its parameters, and that the
number is +86 followed by 11 digits. It answers in the provider's response shapes with its
real error codes. Point a backend at it with OPENDAY_SMS_ENDPOINT=<double.url>.

    with TencentSmsDouble(key_id="AKID", key_secret="s", app_id="1400000001",
                          sign_name="青岛城管", templates={"1001": 2}) as double:
        ...  # send through the tencent backend
        double.accepted  # what it took: phone, template, params, key, message ID

Failures on demand: `double.fail(error, phone=None)` answers `error` ("rate_limited",
"invalid_number", "insufficient_balance", "template_not_approved", "internal_error",
"http_500") for that number or for every request; `delay` makes it slow. `balance`
(message segments the account can still pay for, None for no limit) and
`per_number_limit` (messages a number may get, as the provider's frequency limits do)
make the double refuse by itself.

The server handles requests in threads, so many workers may send at once; a benchmark can
run it in its own process with `python -m openday.notifications.sms.testing tencent|aliyun`
(it prints its URL and settings, and `GET /_double/accepted` lists what it took).
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

PHONE = re.compile(r"\+861[3-9]\d{9}")
# How far a request's timestamp may be from the server's clock (both providers: minutes).
CLOCK_SKEW_SECONDS = 300


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


class SmsDouble(abc.ABC):
    """What both doubles share: the server, the record of accepted messages, failures.
    Each provider's double answers its requests in `_handle`."""

    errors: dict[str, tuple] = {}

    def __init__(
        self,
        *,
        key_id: str,
        key_secret: str,
        sign_name: str,
        templates: dict[str, object],
        balance: int | None = None,
        per_number_limit: int | None = None,
    ):
        self.key_id = key_id
        self.key_secret = key_secret
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.balance = balance
        self.per_number_limit = per_number_limit
        # Seconds to wait before answering: a slow gateway, for timeouts.
        self.delay = 0.0
        self.accepted: list[dict] = []
        self.requests = 0
        self._failures: dict[str | None, str] = {}
        self._per_number: dict[str, int] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------
    def start(self, port: int = 0) -> SmsDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' sessions expect

            def do_POST(self):
                if double.delay:
                    time.sleep(double.delay)
                double._handle(self)

            def do_GET(self):
                if self.path == "/_double/accepted":
                    with double._lock:
                        body = json.dumps(double.accepted, ensure_ascii=False)
                    self._reply(200, body.encode(), "application/json")
                else:
                    self._reply(404, b"{}", "application/json")

            def _reply(self, status, body, content_type):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                # Requests carry numbers and codes; a test double prints nothing.
                pass

        self._server = _Server(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, error: str | None, *, phone: str | None = None) -> None:
        """Answer `error` for `phone` (+86...) or, without one, for every request; None
        stops failing."""
        if error is not None and error not in self.errors:
            raise ValueError(f"unknown error {error!r}; one of {sorted(self.errors)}")
        with self._lock:
            if error is None:
                self._failures.pop(phone, None)
            else:
                self._failures[phone] = error

    # -- shared checks ---------------------------------------------------------------------
    def _scripted_failure(self, phone: str) -> str | None:
        return self._failures.get(phone) or self._failures.get(None)

    def _charge(self, phone: str, fee: int) -> str | None:
        """Take one message off the account, or say why not (under the lock)."""
        limit = self.per_number_limit
        if limit is not None and self._per_number.get(phone, 0) >= limit:
            return "rate_limited"
        if self.balance is not None:
            if self.balance < fee:
                return "insufficient_balance"
            self.balance -= fee
        self._per_number[phone] = self._per_number.get(phone, 0) + 1
        return None

    def _accept(self, *, phone, template_id, params, key, text) -> str:
        message_id = f"{next(self._ids):012d}"
        self.accepted.append(
            {
                "phone": phone,
                "template_id": template_id,
                "params": params,
                "key": key,
                "text": text,
                "message_id": message_id,
            }
        )
        return message_id

    @abc.abstractmethod
    def _handle(self, handler: BaseHTTPRequestHandler) -> None: ...


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fee(text: str, sign_name: str) -> int:
    from .segments import sms_segments

    return sms_segments(text, sign_name=sign_name)


class TencentSmsDouble(SmsDouble):
    """Tencent Cloud SMS, API 3.0: POST / with a JSON body, `X-TC-Action: SendSms`,
    `X-TC-Version: 2021-01-11`, signed with TC3-HMAC-SHA256.

    `templates` maps each approved template ID to its text with {1}, {2}, ... (or to the
    number of its parameters). Answers are always HTTP 200 with a `Response` object:
    request errors under `Response.Error`, per-number outcomes in `SendStatusSet`.
    """

    service = "sms"
    # Our names for failures -> (Tencent code, message, per-number or whole request).
    errors = {
        "rate_limited": (
            "LimitExceeded.PhoneNumberThirtySecondLimit",
            "单个手机号30秒内下发短信条数超过设定的上限",
            "number",
        ),
        "invalid_number": (
            "InvalidParameterValue.IncorrectPhoneNumber",
            "手机号格式错误",
            "number",
        ),
        "insufficient_balance": (
            "FailedOperation.InsufficientBalanceInSmsPackage",
            "套餐包余量不足",
            "request",
        ),
        "template_not_approved": (
            "FailedOperation.TemplateIncorrectOrUnapproved",
            "模板未审批或内容不匹配",
            "request",
        ),
        "internal_error": ("InternalError.Timeout", "请求下发短信超时", "request"),
        "http_500": ("", "", "http"),
    }

    def __init__(self, *, app_id: str, **kwargs):
        super().__init__(**kwargs)
        self.app_id = app_id

    def _handle(self, handler):
        with self._lock:
            self.requests += 1
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        request_id = str(uuid.uuid4())
        answer = self._answer(handler, body, request_id)
        if answer is None:
            handler._reply(500, b"Internal Server Error", "text/plain")
            return
        answer["RequestId"] = request_id
        payload = json.dumps({"Response": answer}, ensure_ascii=False).encode()
        # Exactly this content type: the SDK reads an error body only under it.
        handler._reply(200, payload, "application/json")

    def _error(self, code: str, message: str) -> dict:
        return {"Error": {"Code": code, "Message": message}}

    def _answer(self, handler, body: bytes, request_id: str) -> dict | None:
        refused = self._check_signature(handler, body)
        if refused:
            return self._error(*refused)
        if handler.headers.get("X-TC-Action") != "SendSms":
            return self._error("InvalidAction", "接口不存在。")
        if handler.headers.get("X-TC-Version") != "2021-01-11":
            return self._error("NoSuchVersion", "接口版本不存在。")
        if not handler.headers.get("X-TC-Region"):
            return self._error("MissingParameter", "缺少参数 Region。")
        try:
            data = json.loads(body)
        except ValueError:
            return self._error("FailedOperation.FailResolvePacket", "请求包解析失败。")
        phones = data.get("PhoneNumberSet") or []
        if not isinstance(phones, list) or not phones:
            return self._error("MissingParameter", "缺少参数 PhoneNumberSet。")
        if len(phones) > 200:
            return self._error("LimitExceeded.PhoneNumberCountLimit", "单次请求手机号超过200个。")
        if data.get("SmsSdkAppId") != self.app_id:
            return self._error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId 不存在。")
        if data.get("SignName") != self.sign_name:
            return self._error(
                "FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误。"
            )
        template_id = data.get("TemplateId")
        if template_id not in self.templates:
            return self._error(*self.errors["template_not_approved"][:2])
        params = data.get("TemplateParamSet") or []
        template = self.templates[template_id]
        count = template if isinstance(template, int) else len(re.findall(r"\{\d+\}", template))
        if not isinstance(params, list) or len(params) != count:
            return self._error(
                "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                "请求内容与审核通过的模板内容不匹配。",
            )
        if not all(isinstance(value, str) for value in params):
            return self._error(
                "InvalidParameterValue.TemplateParameterFormatError", "模板参数格式错误。"
            )
        text = template if isinstance(template, str) else ""
        for number, value in enumerate(params, 1):
            text = text.replace(f"{{{number}}}", value)
        statuses = []
        with self._lock:
            for phone in phones:
                failure = self._scripted_failure(phone)
                if failure == "http_500":
                    return None
                if failure and self.errors[failure][2] == "request":
                    return self._error(*self.errors[failure][:2])
                if not (isinstance(phone, str) and PHONE.fullmatch(phone)):
                    failure = "invalid_number"
                fee = _fee(text, self.sign_name)
                if failure is None:
                    failure = self._charge(phone, fee)
                if failure and self.errors[failure][2] == "request":
                    return self._error(*self.errors[failure][:2])
                if failure:
                    code, message, _ = self.errors[failure]
                    statuses.append(
                        {
                            "SerialNo": "",
                            "PhoneNumber": phone,
                            "Fee": 0,
                            "SessionContext": data.get("SessionContext", ""),
                            "Code": code,
                            "Message": message,
                            "IsoCode": "CN",
                        }
                    )
                    continue
                message_id = self._accept(
                    phone=phone,
                    template_id=template_id,
                    params=params,
                    key=data.get("SessionContext", ""),
                    text=text,
                )
                statuses.append(
                    {
                        "SerialNo": f"2028:{message_id}",
                        "PhoneNumber": phone,
                        "Fee": fee,
                        "SessionContext": data.get("SessionContext", ""),
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                )
        return {"SendStatusSet": statuses}

    def _check_signature(self, handler, body: bytes) -> tuple[str, str] | None:
        """TC3-HMAC-SHA256 as Tencent documents it: a canonical request over the method,
        path, query, the signed headers and the body's hash; a key derived from the secret
        through the date, the service and "tc3_request"."""
        authorization = handler.headers.get("Authorization", "")
        match = re.fullmatch(
            r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, "
            r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})",
            authorization,
        )
        if not match:
            return "AuthFailure.InvalidAuthorization", "请求头部的 Authorization 不符合腾讯云标准。"
        key_id, date, service, signed_headers, signature = match.groups()
        if key_id != self.key_id:
            return "AuthFailure.SecretIdNotFound", "密钥不存在。"
        try:
            timestamp = int(handler.headers.get("X-TC-Timestamp", ""))
        except ValueError:
            return "AuthFailure.InvalidAuthorization", "X-TC-Timestamp 无效。"
        if abs(time.time() - timestamp) > CLOCK_SKEW_SECONDS:
            return "AuthFailure.SignatureExpire", "签名过期。"
        if date != dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d"):
            return "AuthFailure.SignatureFailure", "签名错误。"
        if service != self.service:
            return "AuthFailure.SignatureFailure", "签名错误。"
        names = signed_headers.split(";")
        if "host" not in names or "content-type" not in names:
            return (
                "AuthFailure.InvalidAuthorization",
                "SignedHeaders 必须包含 content-type 和 host。",
            )
        canonical_headers = "".join(
            f"{name}:{(handler.headers.get(name) or '').strip().lower()}\n" for name in names
        )
        parts = urlsplit(handler.path)
        canonical_request = "\n".join(
            [
                handler.command,
                parts.path or "/",
                parts.query,
                canonical_headers,
                signed_headers,
                _sha256_hex(body),
            ]
        )
        scope = f"{date}/{service}/tc3_request"
        string_to_sign = "\n".join(
            [
                "TC3-HMAC-SHA256",
                str(timestamp),
                scope,
                _sha256_hex(canonical_request.encode("utf-8")),
            ]
        )
        key = _hmac(("TC3" + self.key_secret).encode("utf-8"), date)
        key = _hmac(key, service)
        key = _hmac(key, "tc3_request")
        expected = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return "AuthFailure.SignatureFailure", "签名错误。签名计算错误。"
        return None


class AliyunSmsDouble(SmsDouble):
    """Alibaba Cloud SMS, Dysmsapi 2017-05-25 SendSms in RPC style: POST / with the
    parameters in the query string, `x-acs-action` / `x-acs-version` headers, signed with
    ACS3-HMAC-SHA256 in the Authorization header.

    `templates` maps each approved template code to its text with ${name} variables (or to
    the list of variable names). Business outcomes come in a 200 answer with `Code`
    ("OK" or an isv./isp. code); signature and key problems as HTTP 400/404.
    """

    errors = {
        "rate_limited": ("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:10"),
        "invalid_number": ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"),
        "insufficient_balance": ("isv.AMOUNT_NOT_ENOUGH", "账户余额不足"),
        "template_not_approved": ("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"),
        "internal_error": ("isp.SYSTEM_ERROR", "系统错误"),
        "http_500": ("", ""),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._nonces: set[str] = set()

    def _handle(self, handler):
        with self._lock:
            self.requests += 1
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        request_id = str(uuid.uuid4()).upper()
        status, answer = self._answer(handler, body)
        if status == 500 and answer is None:
            answer = {"Code": "InternalError", "Message": "The request processing has failed."}
        answer["RequestId"] = request_id
        if status != 200:
            answer["HostId"] = "dysmsapi.aliyuncs.com"
        payload = json.dumps(answer, ensure_ascii=False).encode()
        handler._reply(status, payload, "application/json;charset=utf-8")

    def _answer(self, handler, body: bytes) -> tuple[int, dict | None]:
        refused = self._check_signature(handler, body)
        if refused:
            return refused
        if handler.headers.get("x-acs-action") != "SendSms":
            return 404, {"Code": "InvalidAction.NotFound", "Message": "Specified api is not found."}
        if handler.headers.get("x-acs-version") != "2017-05-25":
            return 400, {
                "Code": "InvalidVersion",
                "Message": "Specified parameter Version is not valid.",
            }
        query = dict(parse_qsl(urlsplit(handler.path).query, keep_blank_values=True))
        phone = query.get("PhoneNumbers", "")
        if not phone:
            return 400, {
                "Code": "MissingPhoneNumbers",
                "Message": "PhoneNumbers is mandatory for this action.",
            }
        if query.get("SignName") != self.sign_name:
            return 200, {"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "该账号下找不到对应签名"}
        template_code = query.get("TemplateCode", "")
        with self._lock:
            failure = self._scripted_failure(phone)
        if failure == "http_500":
            return 500, None
        if failure in ("template_not_approved", "insufficient_balance", "internal_error"):
            return 200, dict(zip(("Code", "Message"), self.errors[failure], strict=True))
        if template_code not in self.templates:
            return 200, dict(
                zip(("Code", "Message"), self.errors["template_not_approved"], strict=True)
            )
        template = self.templates[template_code]
        names = template if isinstance(template, list) else re.findall(r"\$\{(\w+)\}", template)
        try:
            params = json.loads(query.get("TemplateParam") or "{}")
        except ValueError:
            return 200, {
                "Code": "isv.INVALID_JSON_PARAM",
                "Message": "JSON参数不合法，只接受字符串值",
            }
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            return 200, {
                "Code": "isv.INVALID_JSON_PARAM",
                "Message": "JSON参数不合法，只接受字符串值",
            }
        if set(params) != set(names):
            return 200, {"Code": "isv.TEMPLATE_MISSING_PARAMETERS", "Message": "模板缺少变量"}
        text = template if isinstance(template, str) else ""
        for name, value in params.items():
            text = text.replace(f"${{{name}}}", value)
        # One number per request here: the site sends each person their own message.
        if failure is None and not PHONE.fullmatch(phone):
            failure = "invalid_number"
        with self._lock:
            if failure is None:
                failure = self._charge(phone, _fee(text, self.sign_name))
            if failure:
                return 200, dict(zip(("Code", "Message"), self.errors[failure], strict=True))
            message_id = self._accept(
                phone=phone,
                template_id=template_code,
                params=[params[name] for name in names],
                key=query.get("OutId", ""),
                text=text,
            )
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"{message_id}^0"}

    def _check_signature(self, handler, body: bytes) -> tuple[int, dict] | None:
        """ACS3-HMAC-SHA256 as Alibaba documents it: a canonical request over the method,
        path, the sorted and RFC 3986-encoded query, the signed headers (lower-case names,
        trimmed values) and the body's SHA-256, signed with the AccessKey secret."""
        authorization = handler.headers.get("Authorization", "")
        match = re.fullmatch(
            r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([a-z0-9;\-]+),"
            r"Signature=([0-9a-f]{64})",
            authorization,
        )
        if not match:
            return 400, {
                "Code": "IncompleteSignature",
                "Message": "The request signature does not conform to Aliyun standards.",
            }
        key_id, signed_headers, signature = match.groups()
        if key_id != self.key_id:
            return 404, {
                "Code": "InvalidAccessKeyId.NotFound",
                "Message": "Specified access key is not found.",
            }
        names = signed_headers.split(";")
        if "host" not in names or not any(name.startswith("x-acs-") for name in names):
            return 400, {
                "Code": "IncompleteSignature",
                "Message": "The request signature does not conform to Aliyun standards.",
            }
        payload_hash = handler.headers.get("x-acs-content-sha256", "")
        if payload_hash != _sha256_hex(body):
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "The content hash does not match the body.",
            }
        try:
            stamp = dt.datetime.strptime(
                handler.headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ"
            )
        except ValueError:
            return 400, {
                "Code": "InvalidTimeStamp.Format",
                "Message": "Specified time stamp or date value is not well formatted.",
            }
        if abs(time.time() - stamp.replace(tzinfo=dt.UTC).timestamp()) > 15 * 60:
            return 400, {
                "Code": "InvalidTimeStamp.Expired",
                "Message": "Specified time stamp or date value is expired.",
            }
        nonce = handler.headers.get("x-acs-signature-nonce", "")
        with self._lock:
            if not nonce or nonce in self._nonces:
                return 400, {
                    "Code": "SignatureNonceUsed",
                    "Message": "Specified signature nonce was used already.",
                }
            self._nonces.add(nonce)
        parts = urlsplit(handler.path)
        query = sorted(parse_qsl(parts.query, keep_blank_values=True))
        canonical_query = "&".join(
            f"{quote(key, safe='~')}={quote(value, safe='~')}" for key, value in query
        )
        canonical_headers = "".join(
            f"{name}:{(handler.headers.get(name) or '').strip()}\n" for name in names
        )
        canonical_request = "\n".join(
            [
                handler.command,
                parts.path or "/",
                canonical_query,
                canonical_headers,
                signed_headers,
                payload_hash,
            ]
        )
        string_to_sign = "ACS3-HMAC-SHA256\n" + _sha256_hex(canonical_request.encode("utf-8"))
        expected = hmac.new(
            self.key_secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature does not match our calculation.",
                "Recommend": "https://api.aliyun.com/troubleshoot",
            }
        return None


def main(argv=None) -> None:
    """Run a double until interrupted, for a benchmark in another process."""
    import argparse
    import signal

    from ..kinds import PARAMETERS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("provider", choices=["tencent", "aliyun"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--key-id", default="double-key-id")
    parser.add_argument("--key-secret", default="double-key-secret")
    parser.add_argument("--sign-name", default="开放日")
    parser.add_argument("--app-id", default="1400000001")
    args = parser.parse_args(argv)
    # One approved template for every kind, named after it.
    if args.provider == "tencent":
        templates = {f"T-{name}": len(params) for name, params in PARAMETERS.items()}
        double = TencentSmsDouble(
            app_id=args.app_id,
            key_id=args.key_id,
            key_secret=args.key_secret,
            sign_name=args.sign_name,
            templates=templates,
        )
    else:
        templates = {f"SMS_{name}": list(params) for name, params in PARAMETERS.items()}
        double = AliyunSmsDouble(
            key_id=args.key_id,
            key_secret=args.key_secret,
            sign_name=args.sign_name,
            templates=templates,
        )
    double.start(args.port)
    mapping = {name: key for key, name in zip(templates, PARAMETERS, strict=True)}
    print(f"OPENDAY_SMS_BACKEND={args.provider}")
    print(f"OPENDAY_SMS_ENDPOINT={double.url}")
    print(f"OPENDAY_SMS_KEY_ID={args.key_id}")
    print(f"OPENDAY_SMS_KEY_SECRET={args.key_secret}")
    print(f"OPENDAY_SMS_SIGN_NAME={args.sign_name}")
    if args.provider == "tencent":
        print(f"OPENDAY_SMS_APP_ID={args.app_id}")
    print(f"OPENDAY_SMS_TEMPLATES={json.dumps(mapping)}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    double.stop()
    print(f"accepted {len(double.accepted)} of {double.requests} requests", flush=True)


if __name__ == "__main__":
    main()
