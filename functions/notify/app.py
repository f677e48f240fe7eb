"""Deliver hot-lead alerts from the alert queue, each alert once per channel."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser import ValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from lead_scoring.aws.alerts import parse_alert_message
from lead_scoring.aws.notify import Notifier, NotifySettings, log_keys

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# The shared package logs through the standard library; give it this function's JSON format.
copy_config_to_registered_loggers(source_logger=logger, include={"lead_scoring"})

notifier = Notifier(
    NotifySettings.from_env(),
    sns=boto3.client("sns"),
    events=boto3.client("events"),
    dynamodb=boto3.client("dynamodb"),
)
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    try:
        alert = parse_alert_message(record.body)
    except (ValueError, ValidationError):
        # Redelivery cannot repair the message: after the queue's retries it lands in the
        # dead-letter queue, whose alarm makes someone look at it.
        logger.exception("alert message invalid", extra={"message_id": record.message_id})
        raise
    keys = log_keys(alert)
    logger.append_keys(**keys)
    try:
        notifier.notify(alert)
    except Exception:
        # The record goes back to the queue; per-channel records keep the retry from
        # repeating the channels that already succeeded.
        logger.exception(
            "alert delivery failed; will be retried", extra={"message_id": record.message_id}
        )
        raise
    else:
        metrics.add_metric(name="AlertsDelivered", unit=MetricUnit.Count, value=1)
    finally:
        logger.remove_keys(list(keys))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    notifier.register_context(context)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
