"""botocore failures -> errors a newcomer can act on: which credentials were tried, how to log in again, which
region, which IAM action is missing.

Pure apart from reading the environment and checking whether the AWS config files exist; botocore is imported
lazily (only `fnship.aws` may import it).
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from pathlib import Path

from fnship.errors import AwsError, FnError

LOCAL_HINT = "or add --local to deploy to the embedded emulator (no account needed)"

# https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html and each service's common errors.
ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden"}
)
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
INVALID_CREDENTIAL_CODES = frozenset(
    {"UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch"}
)
# IAM action prefixes that differ from the API's signing name.
IAM_PREFIXES = {"tagging": "tag", "monitoring": "cloudwatch"}
# Operations whose IAM action is not named after them (S3 says only "Access Denied", so the name is ours to give):
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
IAM_ACTION_NAMES = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "DeleteObjects"): "s3:DeleteObject",
    ("s3", "GetBucketNotificationConfiguration"): "s3:GetBucketNotification",
    ("s3", "PutBucketNotificationConfiguration"): "s3:PutBucketNotification",
    ("s3", "PutBucketEncryption"): "s3:PutEncryptionConfiguration",
    ("s3", "PutPublicAccessBlock"): "s3:PutBucketPublicAccessBlock",
}
# AWS's own wording: "User: arn:... is not authorized to perform: lambda:CreateFunction on resource: arn:..."
NOT_AUTHORIZED = re.compile(
    r"not authorized to perform:?\s+(?P<action>[\w-]+:[\w*]+)(?: on resource:?\s+(?P<res>\S+))?"
)


def profile_in_use(profile: str | None) -> str:
    """The profile botocore reads: --profile / provider.profile, else AWS_PROFILE, else `default`."""
    return profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE") or "default"


def _config_files() -> list[tuple[str, bool]]:
    files = [
        os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials",
        os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config",
    ]
    return [(f, Path(os.path.expanduser(f)).is_file()) for f in files]


def no_credentials(profile: str | None) -> FnError:
    """NoCredentialsError: say what botocore's credential chain looked at, in its order, and how to fix it.
    https://boto3.amazonaws.com/v1/documentation/api/latest/guide/credentials.html#configuring-credentials"""
    name = profile_in_use(profile)
    env_state = "set" if os.environ.get("AWS_ACCESS_KEY_ID") else "not set"
    files = ", ".join(f"{f} ({'found' if found else 'not found'})" for f, found in _config_files())
    tried = [
        f"environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY ({env_state})",
        f"profile {name!r} in {files}",
        "container and EC2 instance roles (none)",
    ]
    return FnError(
        "No AWS credentials found. Tried:\n    " + "\n    ".join(tried),
        hint=f"run `aws configure --profile {name}` (or `aws sso login --profile {name}`) and pass --profile {name}, "
        f"or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, {LOCAL_HINT}; in CI see docs/ci.md (OIDC)",
    )


def profile_not_found(profile: str, available: list[str]) -> FnError:
    from fnship.errors import InputError

    choices = ", ".join(sorted(available)) or "(none: no profile is configured)"
    env_names = [name for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE") if os.environ.get(name) == profile]
    source = f" (set by {env_names[0]})" if env_names else ""
    return InputError(
        f"AWS profile {profile!r}{source} is not in {' or '.join(f for f, _ in _config_files())}",
        hint=f"profiles found: {choices}; create it with `aws configure --profile {profile}` "
        f"(or `aws configure sso --profile {profile}`), {LOCAL_HINT}",
    )


def sso_expired(profile: str | None, detail: str) -> FnError:
    name = profile_in_use(profile)
    return FnError(
        f"The AWS SSO session of profile {name!r} has expired or was never started ({detail})",
        hint=f"run `aws sso login --profile {name}`, then the same fn command again",
    )


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region of every partition in botocore's endpoint data (no network).

    The data file is read directly (a botocore session costs ~0.15 s), and the answer is kept in fnship's cache
    directory keyed by the file's size and mtime: parsing the 1 MB file is most of what an unchanged
    `fn package` costs.
    """
    import importlib.util

    spec = importlib.util.find_spec("botocore")
    for location in list(spec.submodule_search_locations or []) if spec else []:
        endpoints = Path(location) / "data" / "endpoints.json"
        if endpoints.is_file():
            return _regions_of(endpoints)
    return frozenset()


def _regions_of(endpoints: Path) -> frozenset[str]:
    import json

    from fnship.paths import default_cache_dir

    stat = endpoints.stat()
    cached = default_cache_dir() / "regions" / f"{stat.st_size}-{stat.st_mtime_ns}.txt"
    try:
        return frozenset(cached.read_text().split())
    except OSError:
        pass
    regions: set[str] = set()
    for partition in json.loads(endpoints.read_text()).get("partitions", []):
        regions.update(partition.get("regions", {}))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text("\n".join(sorted(regions)))
    except OSError:
        pass  # a read-only home: parse again next time
    return frozenset(regions)


def region_problem(region: str) -> tuple[str, str] | None:
    """(message, hint) when `region` is not a region botocore knows, else None."""
    regions = known_regions()
    if not regions or region in regions:  # no endpoint data to judge by: let AWS answer
        return None
    close = difflib.get_close_matches(region, sorted(regions), n=3, cutoff=0.6)
    import botocore

    suggestion = f"did you mean {', '.join(close)}? " if close else ""
    return (
        f"{region!r} is not an AWS region (not among the {len(regions)} regions botocore {botocore.__version__} knows)",
        f"{suggestion}set provider.region, --region or AWS_REGION to a region such as us-east-1; "
        "if it is a region newer than your botocore, upgrade boto3",
    )


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(exc).__name__))


def _message(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Message", exc))


def explain(
    exc: BaseException,
    *,
    resource: str,
    action: str,
    service: str = "",
    region: str | None = None,
    profile: str | None = None,
    local_endpoint: str | None = None,
) -> FnError:
    """The FnError for a botocore failure of `action` on `resource` (`service` is the client's signing name;
    `local_endpoint` is the embedded emulator's address when --local / FN_LOCAL=1 pointed the call at it)."""
    from botocore import exceptions as bx

    if isinstance(exc, bx.NoCredentialsError):
        return no_credentials(profile)
    if isinstance(exc, bx.ProfileNotFound):
        return profile_not_found(getattr(exc, "kwargs", {}).get("profile", profile or ""), [])
    sso_errors = tuple(
        getattr(bx, name)
        for name in ("UnauthorizedSSOTokenError", "SSOTokenLoadError", "TokenRetrievalError", "SSOError")
        if hasattr(bx, name)
    )
    if isinstance(exc, sso_errors):
        return sso_expired(profile, str(exc))
    if isinstance(exc, bx.EndpointConnectionError):
        problem = region_problem(region) if region else None
        hint = (
            f"the local AWS emulator is not running at {local_endpoint}: start it with `fn local start` "
            "(`fn deploy --local` starts it itself)"
            if local_endpoint
            else problem[1]
            if problem
            else "check your network and proxy settings, and that the service is offered in region "
            f"{region} (https://aws.amazon.com/about-aws/global-infrastructure/regional-product-services/)"
        )
        return AwsError(resource=resource, action=action, code="EndpointConnectionError", detail=str(exc), hint=hint)
    if isinstance(exc, bx.ClientError):
        code = _code(exc)
        detail = _message(exc)
        if code in ACCESS_DENIED_CODES:
            needed = iam_action_for(exc, action=action, service=service)
            found = NOT_AUTHORIZED.search(detail)
            on = found["res"] if found and found["res"] else resource
            return AwsError(
                resource=resource,
                action=action,
                code=code,
                detail=f"missing IAM permission {needed} (on {on}): {detail}",
                hint=f"allow {needed} for the identity fnship runs as (`aws sts get-caller-identity` shows it); "
                "docs/ci.md lists every permission fnship needs",
            )
        if code in EXPIRED_CODES:
            return AwsError(
                resource=resource,
                action=action,
                code=code,
                detail=detail,
                hint=f"your AWS credentials have expired: `aws sso login --profile {profile_in_use(profile)}`, "
                "assume the role again, or refresh AWS_SESSION_TOKEN",
            )
        if code in INVALID_CREDENTIAL_CODES:
            return AwsError(
                resource=resource,
                action=action,
                code=code,
                detail=detail,
                hint=f"AWS does not accept these credentials in region {region}: check the access key "
                f"(profile {profile_in_use(profile)!r}), or enable the region for your account if it is an "
                "opt-in region (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html)",
            )
        return AwsError(resource=resource, action=action, code=code, detail=detail)
    if isinstance(exc, bx.BotoCoreError):
        return AwsError(resource=resource, action=action, code=type(exc).__name__, detail=str(exc))
    raise TypeError(f"not a botocore error: {exc!r}")


def iam_action_for(exc: BaseException, *, action: str, service: str) -> str:
    """The IAM action a denied call needed: AWS's own message when it names it, else the call's IAM action."""
    found = NOT_AUTHORIZED.search(_message(exc))
    if found:
        return found["action"]
    return iam_action(service, getattr(exc, "operation_name", None) or action)


def iam_action(service: str, operation: str, *, http_method: str = "") -> str:
    """The IAM action that allows `operation` of the API signed as `service` (e.g. `lambda:InvokeFunction`)."""
    if service == "apigateway" and http_method:
        # API Gateway's IAM actions are HTTP methods on resource paths, not operation names:
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/security_iam_service-with-iam.html
        return f"apigateway:{http_method.upper()}"
    named = IAM_ACTION_NAMES.get((service, operation))
    if named:
        return named
    prefix = IAM_PREFIXES.get(service, service)
    return f"{prefix}:{operation}" if prefix else operation
