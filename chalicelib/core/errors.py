"""The error taxonomy.

Each class name is the error name Step Functions sees when a stage raises it
(the Lambda `errorType`), so `statemachines/*.asl.json` declares the retry
policy per category with `ErrorEquals` on these names. Python code never loops
on retries of its own beyond boto3's retry mode.
"""

from __future__ import annotations

from typing import ClassVar, Literal

Severity = Literal["low", "medium", "high", "critical"]


class CostReportError(Exception):
    """Base class: a failure with a category, a severity and what to do about it.

    Whether it is retried is the ASL's decision (Retry per error name), not the class's.
    """

    category: ClassVar[str] = "unknown"
    severity: ClassVar[Severity] = "high"
    recommended_action: ClassVar[str] = "Inspect the execution history and the stage logs."


class ConfigurationError(CostReportError):
    category = "configuration"
    severity = "medium"
    recommended_action = "Fix the client configuration field named in the message, then rerun the same input."


class ConfigChangedError(ConfigurationError):
    """A client's config was edited after its run checked it against every other client."""

    recommended_action = ("The client's config was edited while the run was in flight; rerun the same input: "
                          "the new config is checked against every other client first.")


class AuthorizationError(CostReportError):
    category = "authorization"
    severity = "high"
    recommended_action = (
        "Check the client's payer role: its trust policy must allow this account with the configured "
        "ExternalId, and it must grant ce:GetCostAndUsage. Then rerun the same input."
    )


class NetworkError(CostReportError):
    category = "network"
    severity = "medium"
    recommended_action = "Transient network failure, retried automatically; rerun the same input if it persists."


class ThrottlingError(CostReportError):
    category = "throttling"
    severity = "low"
    recommended_action = (
        "An AWS API rate limit was hit and retried with backoff; lower MaxConcurrency if it keeps happening."
    )


class ServiceUnavailableError(CostReportError):
    category = "service_unavailable"
    severity = "medium"
    recommended_action = "An AWS service returned 5xx; retried automatically. Rerun the same input later."


class DataValidationError(CostReportError):
    category = "data_validation"
    severity = "high"
    recommended_action = "Cost data or a stored artefact was malformed; inspect the object named in the message."


class BusinessLogicError(CostReportError):
    category = "business_logic"
    severity = "medium"
    recommended_action = "A business rule refused the report; read the message and rerun with force if intended."


ERROR_CLASSES: dict[str, type[CostReportError]] = {
    cls.__name__: cls
    for cls in (
        ConfigurationError,
        ConfigChangedError,
        AuthorizationError,
        NetworkError,
        ThrottlingError,
        ServiceUnavailableError,
        DataValidationError,
        BusinessLogicError,
    )
}

# AWS error codes by category (codes from the botocore service models and docs).
_THROTTLING_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "LimitExceededException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
    "SlowDown",
}
_AUTH_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidIdentityToken",
}
_CONFIG_CODES = {
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "AccountSuspendedException",
    "SendingPausedException",
    "NotFoundException",
    "ResourceNotFoundException",
    "NoSuchBucket",
    "ConfigurationSetDoesNotExist",
}
_UNAVAILABLE_CODES = {"ServiceUnavailable", "InternalError", "InternalFailure", "InternalServerError"}
_DATA_CODES = {"DataUnavailableException", "BillExpirationException", "InvalidNextTokenException"}


def aws_error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError (`ConditionalCheckFailedException`), else None."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "")) or None
    return None


def classify_aws_error(exc: BaseException, doing: str) -> CostReportError:
    """Map a botocore exception to the taxonomy, keeping the AWS code in the message."""
    from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError, HTTPClientError

    if isinstance(exc, CostReportError):
        return exc
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        message = f"{doing}: {code}: {error.get('Message', '')}".rstrip(": ")
        if code in _THROTTLING_CODES or status == 429:
            return ThrottlingError(message)
        if code in _AUTH_CODES or status == 403:
            return AuthorizationError(message)
        if code in _CONFIG_CODES:
            return ConfigurationError(message)
        if code in _DATA_CODES:
            return DataValidationError(message)
        if code in _UNAVAILABLE_CODES or status >= 500:
            return ServiceUnavailableError(message)
        if code.endswith("ValidationException") or code.startswith("Invalid"):
            return DataValidationError(message)
        return ServiceUnavailableError(message) if status == 0 else BusinessLogicError(message)
    if isinstance(exc, (BotoConnectionError, HTTPClientError, TimeoutError, ConnectionError)):
        return NetworkError(f"{doing}: {type(exc).__name__}: {exc}")
    # Not an AWS answer at all (a bug, or a library's own failure): unclassified, not a business rule.
    return CostReportError(f"{doing}: {type(exc).__name__}: {exc}")


# Error names raised by libraries (not ours) that mean "a service or a concurrent attempt was in the
# way": Powertools' idempotency store unreachable (DynamoDB errors after boto3's retries), or the
# same delivery still in progress elsewhere; the engine's own task timeout.
_TRANSIENT_ERROR_NAMES: dict[str, type[CostReportError]] = {
    "IdempotencyPersistenceLayerError": ServiceUnavailableError,
    "IdempotencyAlreadyInProgressError": ServiceUnavailableError,
    "States.Timeout": ServiceUnavailableError,
    "States.TaskFailed": ServiceUnavailableError,
}


def error_details(error_name: str, cause: str | None = None) -> dict[str, str]:
    """Category, severity and recommended action for an ASL error name (as caught by a Catch)."""
    cls = ERROR_CLASSES.get(error_name) or _TRANSIENT_ERROR_NAMES.get(error_name)
    if cls is None:
        if error_name.startswith("Lambda."):
            cls = ServiceUnavailableError
        else:  # an error nobody classified (a bug, most likely): say so rather than guess a rule
            cls = CostReportError
    return {
        "error": error_name,
        "category": cls.category,
        "severity": cls.severity,
        "recommended_action": cls.recommended_action,
        "message": _cause_message(cause),
    }


def _cause_message(cause: str | None) -> str:
    """The Catch `Cause` of a Lambda error is a JSON document; keep only its message."""
    if not cause:
        return ""
    import json

    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause[:2000]
    if isinstance(parsed, dict):
        return str(parsed.get("errorMessage", cause))[:2000]
    return cause[:2000]
