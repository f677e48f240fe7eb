"""Send each hot-lead alert once to SNS, EventBridge and, when configured, a chat webhook.

Idempotency records live in DynamoDB at two levels, all keyed by the alert id:

- one per channel, so a retry after SNS succeeded and EventBridge failed repeats only the
  EventBridge call: the SNS step returns its stored result instead of publishing again;
- one for the whole alert, so a redelivered alert whose channels all succeeded costs one read.

A channel call that raises deletes its in-progress record, so the next delivery retries it.
The one case that can still send twice is a channel call that succeeds and a crash before its
record is marked complete: the record expires with the Lambda timeout and the call runs again.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from lead_scoring.aws.alerts import HotLeadAlert, email_hash, mask_email

logger = logging.getLogger(__name__)

EVENT_SOURCE = "lead-scoring"
EVENT_DETAIL_TYPE = "Lead Became Hot"
UNASSIGNED_OWNER = "unassigned"
DEFAULT_IDEMPOTENCY_DAYS = 30
WEBHOOK_TIMEOUT_SECONDS = 5
SECRET_MAX_AGE_SECONDS = 300


class DeliveryError(RuntimeError):
    """A channel did not accept the notification."""


@dataclass(frozen=True)
class NotifySettings:
    topic_arn: str
    event_bus_name: str
    idempotency_table: str
    webhook_secret_name: str | None = None
    idempotency_days: int = DEFAULT_IDEMPOTENCY_DAYS

    @classmethod
    def from_env(cls) -> NotifySettings:
        return cls(
            topic_arn=os.environ["TOPIC_ARN"],
            event_bus_name=os.environ["EVENT_BUS_NAME"],
            idempotency_table=os.environ["IDEMPOTENCY_TABLE"],
            webhook_secret_name=os.environ.get("WEBHOOK_SECRET_NAME") or None,
            idempotency_days=int(os.environ.get("IDEMPOTENCY_DAYS", DEFAULT_IDEMPOTENCY_DAYS)),
        )


def webhook_url_from_secret(secret_name: str | None) -> str | None:
    """Read the webhook URL from Secrets Manager: the secret is the URL or JSON with ``url``."""
    if not secret_name:
        return None
    value = parameters.get_secret(secret_name, max_age=SECRET_MAX_AGE_SECONDS)
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    value = value.strip()
    if value.startswith("{"):
        value = str(json.loads(value).get("url") or "")
    return value or None


def post_webhook(url: str, document: dict[str, Any]) -> int:
    """POST a JSON document and return the HTTP status; raise DeliveryError unless 2xx."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError("webhook URL must use http or https")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=json.dumps(document).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            status = int(response.status)
    except OSError as exc:
        # HTTPError is an OSError too; the URL is a secret, so only the reason is reported.
        raise DeliveryError(f"webhook POST failed: {getattr(exc, 'code', None) or exc}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook POST returned HTTP {status}")
    return status


def webhook_document(alert: HotLeadAlert) -> dict[str, Any]:
    """Build the chat message: the payload with the owner masked, because a channel is wider
    than the owner's inbox."""
    payload = alert.notification()
    payload["owner"] = mask_email(alert.owner_email)
    pages = ", ".join(alert.recent_priority_pages) or "none"
    text = (
        f"Hot lead {alert.lead_id}: score {alert.score:g}, grade {alert.grade or 'none'}, "
        f"owner {payload['owner'] or UNASSIGNED_OWNER}. Reasons: {alert.top_reasons or 'none'}. "
        f"Recent priority pages: {pages}."
    )
    return {"text": text, "lead": payload}


class Notifier:
    """Deliver alerts through each channel with idempotency per alert and per channel."""

    def __init__(
        self,
        settings: NotifySettings,
        sns: Any,
        events: Any,
        dynamodb: Any,
        webhook_url: Callable[[], str | None] | None = None,
    ) -> None:
        self.settings = settings
        self.sns = sns
        self.events = events
        self.dynamodb = dynamodb
        self.webhook_url = webhook_url or (
            lambda: webhook_url_from_secret(settings.webhook_secret_name)
        )
        self.config = IdempotencyConfig(
            event_key_jmespath="alert_id",
            expires_after_seconds=settings.idempotency_days * 86_400,
            raise_on_no_idempotency_key=True,
        )
        # One persistence layer per decorated function: a layer stores the name of the function
        # it last served, and the nested calls below would otherwise overwrite each other's.
        self._deliver = self._idempotent(self._deliver_all, "notify.alert")
        self._sns = self._idempotent(self._publish_sns, "notify.sns")
        self._eventbridge = self._idempotent(self._put_event, "notify.eventbridge")
        self._webhook = self._idempotent(self._post_webhook, "notify.webhook")

    def _idempotent(
        self, function: Callable[..., dict[str, Any]], key_prefix: str
    ) -> Callable[..., dict[str, Any]]:
        layer = DynamoDBPersistenceLayer(
            table_name=self.settings.idempotency_table, boto3_client=self.dynamodb
        )
        return idempotent_function(
            function,
            data_keyword_argument="alert",
            persistence_store=layer,
            config=self.config,
            key_prefix=key_prefix,
        )

    def register_context(self, context: LambdaContext) -> None:
        """Let in-progress records expire with the invocation, so a crashed one is retried."""
        self.config.register_lambda_context(context)

    def notify(self, alert: HotLeadAlert) -> dict[str, Any]:
        """Deliver one alert through every channel; raise if any channel fails."""
        return self._deliver(alert=alert.model_dump(mode="json"))

    def _deliver_all(self, alert: dict[str, Any]) -> dict[str, Any]:
        results = {
            "sns": self._sns(alert=alert),
            "eventbridge": self._eventbridge(alert=alert),
            "webhook": self._webhook(alert=alert),
        }
        return {"alert_id": alert["alert_id"], "channels": results}

    def _publish_sns(self, alert: dict[str, Any]) -> dict[str, Any]:
        model = HotLeadAlert.model_validate(alert)
        owner = model.owner_email or UNASSIGNED_OWNER
        response = self.sns.publish(
            TopicArn=self.settings.topic_arn,
            Subject=f"Hot lead {model.lead_id}"[:100],
            Message=json.dumps(model.notification()),
            MessageAttributes={
                "owner": {"DataType": "String", "StringValue": owner},
                "alert_id": {"DataType": "String", "StringValue": model.alert_id},
            },
        )
        logger.info(
            "SNS notification sent",
            extra={"message_id": response["MessageId"], "owner": mask_email(owner)},
        )
        return {"message_id": response["MessageId"]}

    def _put_event(self, alert: dict[str, Any]) -> dict[str, Any]:
        model = HotLeadAlert.model_validate(alert)
        response = self.events.put_events(
            Entries=[
                {
                    "Source": EVENT_SOURCE,
                    "DetailType": EVENT_DETAIL_TYPE,
                    "Detail": json.dumps(model.notification()),
                    "EventBusName": self.settings.event_bus_name,
                }
            ]
        )
        entry = response["Entries"][0] if response.get("Entries") else {}
        if response.get("FailedEntryCount") or "EventId" not in entry:
            code, message = entry.get("ErrorCode"), entry.get("ErrorMessage")
            raise DeliveryError(f"EventBridge rejected the event: {code} {message}")
        logger.info("EventBridge event sent", extra={"event_id": entry["EventId"]})
        return {"event_id": entry["EventId"]}

    def _post_webhook(self, alert: dict[str, Any]) -> dict[str, Any]:
        url = self.webhook_url()
        if not url:
            return {"status": "not configured"}
        status = post_webhook(url, webhook_document(HotLeadAlert.model_validate(alert)))
        logger.info("webhook notification sent", extra={"http_status": status})
        return {"status": status}


def log_keys(alert: HotLeadAlert) -> dict[str, Any]:
    """Return the ids to append to every log line about an alert, with the owner hashed."""
    return {
        "alert_id": alert.alert_id,
        "lead_id": alert.lead_id,
        "owner_hash": email_hash(alert.owner_email),
    }
