"""Alibaba Cloud SMS (Dysmsapi 2017-05-25, SendSms) through the official SDK.

The SDK signs requests with ACS3-HMAC-SHA256. Settings: OPENDAY_SMS_KEY_ID /
OPENDAY_SMS_KEY_SECRET (a RAM user's AccessKey allowed to send SMS), OPENDAY_SMS_SIGN_NAME
(the approved 签名), OPENDAY_SMS_REGION (default cn-hangzhou), OPENDAY_SMS_ENDPOINT
(default the public endpoint) and OPENDAY_SMS_TEMPLATES (kind -> template code, SMS_...).
Templates name their variables: the parameters go as a JSON object under the names in
`openday.notifications.kinds`.
"""

from __future__ import annotations

import json
import logging

from alibabacloud_dysmsapi20170525 import models as dysms_models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import utils_models as open_api_models
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from Tea.exceptions import TeaException

from .. import message as m
from .base import GatewayBackend


class _DropSendSmsUrls(logging.Filter):
    """SendSms carries the number and the parameters in its query string, and urllib3
    writes every URL it requests at DEBUG level: those lines are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            return "PhoneNumbers=" not in record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is not ours
            return True


# The SDK's HTTP layer can print whole requests (numbers, codes) at DEBUG level.
logging.getLogger("darabonba-core").setLevel(logging.INFO)
logging.getLogger("urllib3.connectionpool").addFilter(_DropSendSmsUrls())

ENDPOINT = "dysmsapi.aliyuncs.com"

# Alibaba's codes (business codes in a 200 answer, and HTTP error codes) to ours.
ERRORS: dict[str, tuple[type[m.SmsError], str]] = {
    "isv.BUSINESS_LIMIT_CONTROL": (m.SmsTemporaryError, m.RATE_LIMITED),
    "isv.DAY_LIMIT_CONTROL": (m.SmsTemporaryError, m.RATE_LIMITED),
    "isv.MONTH_LIMIT_CONTROL": (m.SmsTemporaryError, m.RATE_LIMITED),
    "Throttling": (m.SmsTemporaryError, m.RATE_LIMITED),
    "Throttling.User": (m.SmsTemporaryError, m.RATE_LIMITED),
    "Throttling.Api": (m.SmsTemporaryError, m.RATE_LIMITED),
    "isp.SYSTEM_ERROR": (m.SmsTemporaryError, m.UNAVAILABLE),
    "isp.GATEWAY_ERROR": (m.SmsTemporaryError, m.UNAVAILABLE),
    "ServiceUnavailable": (m.SmsTemporaryError, m.UNAVAILABLE),
    "InternalError": (m.SmsTemporaryError, m.UNAVAILABLE),
    "isv.MOBILE_NUMBER_ILLEGAL": (m.SmsPermanentError, m.INVALID_NUMBER),
    "isv.BLACK_KEY_CONTROL_LIMIT": (m.SmsPermanentError, m.CONTENT_REFUSED),
    "isv.SMS_CONTENT_ILLEGAL": (m.SmsPermanentError, m.CONTENT_REFUSED),
    "isv.SMS_TEMPLATE_ILLEGAL": (m.SmsPermanentError, m.TEMPLATE_NOT_APPROVED),
    "isv.TEMPLATE_MISSING_PARAMETERS": (m.SmsPermanentError, m.TEMPLATE_NOT_APPROVED),
    "isv.TEMPLATE_PARAMS_ILLEGAL": (m.SmsPermanentError, m.INVALID_PARAMETERS),
    "isv.PARAM_LENGTH_LIMIT": (m.SmsPermanentError, m.INVALID_PARAMETERS),
    "isv.INVALID_JSON_PARAM": (m.SmsPermanentError, m.INVALID_PARAMETERS),
    "isv.INVALID_PARAMETERS": (m.SmsPermanentError, m.INVALID_PARAMETERS),
    "isv.SMS_SIGNATURE_ILLEGAL": (m.SmsPermanentError, m.SIGN_NAME_NOT_APPROVED),
    "isv.SMS_SIGN_ILLEGAL": (m.SmsPermanentError, m.SIGN_NAME_NOT_APPROVED),
    "isv.SIGN_STATE_ILLEGAL": (m.SmsPermanentError, m.SIGN_NAME_NOT_APPROVED),
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": (m.SmsPermanentError, m.SIGN_NAME_NOT_APPROVED),
    "isv.AMOUNT_NOT_ENOUGH": (m.SmsPermanentError, m.INSUFFICIENT_BALANCE),
    "isv.OUT_OF_SERVICE": (m.SmsPermanentError, m.INSUFFICIENT_BALANCE),
    "isv.ACCOUNT_NOT_EXISTS": (m.SmsPermanentError, m.AUTH_FAILED),
    "isv.ACCOUNT_ABNORMAL": (m.SmsPermanentError, m.AUTH_FAILED),
    "isv.PRODUCT_UN_SUBSCRIPT": (m.SmsPermanentError, m.AUTH_FAILED),
    "isv.PRODUCT_UNSUBSCRIBE": (m.SmsPermanentError, m.AUTH_FAILED),
    "isp.RAM_PERMISSION_DENY": (m.SmsPermanentError, m.AUTH_FAILED),
    "SignatureDoesNotMatch": (m.SmsPermanentError, m.AUTH_FAILED),
    "IncompleteSignature": (m.SmsPermanentError, m.AUTH_FAILED),
    "InvalidAccessKeyId.NotFound": (m.SmsPermanentError, m.AUTH_FAILED),
    "InvalidAccessKeyId.Inactive": (m.SmsPermanentError, m.AUTH_FAILED),
    "Forbidden.RAM": (m.SmsPermanentError, m.AUTH_FAILED),
}


def classify(code: str, *, status: int | None = None, request_id: str = "") -> m.SmsError:
    if code in ERRORS:
        error_class, our_code = ERRORS[code]
    elif code.startswith("Throttling"):
        error_class, our_code = m.SmsTemporaryError, m.RATE_LIMITED
    elif status is not None and status >= 500:
        error_class, our_code = m.SmsTemporaryError, m.UNAVAILABLE
    else:
        error_class, our_code = m.SmsPermanentError, m.REJECTED
    return error_class(our_code, provider_code=code, request_id=request_id or "")


class SmsBackend(GatewayBackend):
    provider = "Alibaba Cloud"
    default_region = "cn-hangzhou"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        milliseconds = max(1, int(self.timeout * 1000))
        config = open_api_models.Config(
            access_key_id=self.key_id,
            access_key_secret=self.key_secret,
            region_id=self.region,
            endpoint=self.host or ENDPOINT,
            protocol=self.scheme,
            connect_timeout=milliseconds,
            read_timeout=milliseconds,
        )
        self.client = Client(config)

    def deliver(self, message: m.SmsMessage, template_id: str) -> str:
        request = dysms_models.SendSmsRequest(
            phone_numbers=message.international_phone,
            sign_name=self.sign_name,
            template_code=template_id,
            template_param=json.dumps(message.named_params, ensure_ascii=False)
            if message.params
            else None,
            out_id=message.idempotency_key or None,
        )
        try:
            response = self.client.send_sms(request)
        except AlibabaCloudException as exc:
            # Not chained: the SDK's message may quote the request.
            raise classify(
                str(exc.code or ""), status=exc.status_code, request_id=exc.request_id or ""
            ) from None
        except TeaException:
            # Connection refused, reset or timed out.
            raise m.SmsTemporaryError(m.UNAVAILABLE, provider_code="network") from None
        body = response.body
        if body.code != "OK":
            raise classify(str(body.code or ""), request_id=body.request_id or "")
        return body.biz_id or ""
