"""Tencent Cloud SMS (短信 SendSms, API 2021-01-11) through the official SDK.

Settings: OPENDAY_SMS_KEY_ID / OPENDAY_SMS_KEY_SECRET (a CAM SecretId / SecretKey allowed
to send SMS), OPENDAY_SMS_APP_ID (the SmsSdkAppId), OPENDAY_SMS_SIGN_NAME (the approved
签名), OPENDAY_SMS_REGION (default ap-guangzhou), OPENDAY_SMS_ENDPOINT (default the public
endpoint) and OPENDAY_SMS_TEMPLATES (kind -> template ID).
"""

from __future__ import annotations

import logging

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from .. import message as m
from .base import GatewayBackend

# The SDK writes whole requests and responses (numbers, codes) at DEBUG level.
logging.getLogger("tencentcloud_sdk_common").setLevel(logging.INFO)

ENDPOINT = "sms.tencentcloudapi.com"

# Tencent's codes (request errors and per-number SendStatus codes) to ours. Codes are
# matched whole first, then by their prefix before the first dot.
ERRORS: dict[str, tuple[type[m.SmsError], str]] = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": (m.SmsTemporaryError, m.RATE_LIMITED),
    "LimitExceeded.PhoneNumberOneHourLimit": (m.SmsTemporaryError, m.RATE_LIMITED),
    "LimitExceeded.PhoneNumberDailyLimit": (m.SmsTemporaryError, m.RATE_LIMITED),
    "LimitExceeded.PhoneNumberSameContentDailyLimit": (m.SmsTemporaryError, m.RATE_LIMITED),
    "LimitExceeded.DeliveryFrequencyLimit": (m.SmsTemporaryError, m.RATE_LIMITED),
    "LimitExceeded.AppDailyLimit": (m.SmsTemporaryError, m.RATE_LIMITED),
    "LimitExceeded.DailyLimit": (m.SmsTemporaryError, m.RATE_LIMITED),
    "LimitExceeded.PhoneNumberCountLimit": (m.SmsPermanentError, m.INVALID_PARAMETERS),
    "RequestLimitExceeded": (m.SmsTemporaryError, m.RATE_LIMITED),
    "InternalError": (m.SmsTemporaryError, m.UNAVAILABLE),
    "ClientNetworkError": (m.SmsTemporaryError, m.UNAVAILABLE),
    "ServerNetworkError": (m.SmsTemporaryError, m.UNAVAILABLE),
    "InvalidParameterValue.IncorrectPhoneNumber": (m.SmsPermanentError, m.INVALID_NUMBER),
    "FailedOperation.PhoneNumberInBlacklist": (m.SmsPermanentError, m.INVALID_NUMBER),
    "UnsupportedOperation.UnsupportedRegion": (m.SmsPermanentError, m.INVALID_NUMBER),
    "FailedOperation.TemplateIncorrectOrUnapproved": (
        m.SmsPermanentError,
        m.TEMPLATE_NOT_APPROVED,
    ),
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": (
        m.SmsPermanentError,
        m.TEMPLATE_NOT_APPROVED,
    ),
    "InvalidParameterValue.TemplateParameterFormatError": (
        m.SmsPermanentError,
        m.INVALID_PARAMETERS,
    ),
    "InvalidParameterValue.TemplateParameterLengthLimit": (
        m.SmsPermanentError,
        m.INVALID_PARAMETERS,
    ),
    "InvalidParameterValue.ContentLengthLimit": (m.SmsPermanentError, m.INVALID_PARAMETERS),
    "FailedOperation.SignatureIncorrectOrUnapproved": (
        m.SmsPermanentError,
        m.SIGN_NAME_NOT_APPROVED,
    ),
    "FailedOperation.InsufficientBalanceInSmsPackage": (
        m.SmsPermanentError,
        m.INSUFFICIENT_BALANCE,
    ),
    "FailedOperation.ContainSensitiveWord": (m.SmsPermanentError, m.CONTENT_REFUSED),
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": (
        m.SmsPermanentError,
        m.CONTENT_REFUSED,
    ),
    "AuthFailure": (m.SmsPermanentError, m.AUTH_FAILED),
    "UnauthorizedOperation": (m.SmsPermanentError, m.AUTH_FAILED),
    "InvalidParameterValue.SdkAppIdNotExist": (m.SmsPermanentError, m.AUTH_FAILED),
    "InvalidParameter": (m.SmsPermanentError, m.INVALID_PARAMETERS),
    "InvalidParameterValue": (m.SmsPermanentError, m.INVALID_PARAMETERS),
    "MissingParameter": (m.SmsPermanentError, m.INVALID_PARAMETERS),
}


def classify(code: str, request_id: str = "") -> m.SmsError:
    error_class, our_code = ERRORS.get(code) or ERRORS.get(
        code.split(".", 1)[0], (m.SmsPermanentError, m.REJECTED)
    )
    return error_class(our_code, provider_code=code, request_id=request_id or "")


class SmsBackend(GatewayBackend):
    provider = "Tencent Cloud"
    default_region = "ap-guangzhou"

    def extra_required(self):
        return [("OPENDAY_SMS_APP_ID", self.app_id)]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        http_profile = HttpProfile(
            protocol=self.scheme,
            endpoint=self.host or ENDPOINT,
            reqTimeout=self.timeout,
        )
        self.client = sms_client.SmsClient(
            credential.Credential(self.key_id, self.key_secret),
            self.region,
            ClientProfile(httpProfile=http_profile),
        )

    def deliver(self, message: m.SmsMessage, template_id: str) -> str:
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [message.international_phone]
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = template_id
        request.TemplateParamSet = list(message.params)
        if message.idempotency_key:
            request.SessionContext = message.idempotency_key
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as exc:
            # Not chained: the SDK's message may quote the request.
            raise classify(exc.get_code() or "", exc.get_request_id() or "") from None
        statuses = response.SendStatusSet or []
        if not statuses:
            raise m.SmsTemporaryError(m.UNAVAILABLE, request_id=response.RequestId or "")
        status = statuses[0]
        if status.Code != "Ok":
            raise classify(status.Code or "", response.RequestId or "")
        return status.SerialNo or ""
