"""Ingest activity events from the HTTP API and from the ingest queue into the raw S3 prefix."""

from __future__ import annotations

import json
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lead_scoring.aws.activity import known_activity_types
from lead_scoring.aws.ingest import IngestSettings, QueueIngest, RawWriter, handle_http_body

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# The shared package logs through the standard library; give it this function's JSON format.
copy_config_to_registered_loggers(source_logger=logger, include={"lead_scoring"})

settings = IngestSettings.from_env()
writer = RawWriter(boto3.client("s3"), settings.bucket)
app = APIGatewayHttpResolver()
processor = BatchProcessor(event_type=EventType.SQS)

# Read the vocabulary at cold start, so a broken package fails on the first request.
known_activity_types()


@app.post("/events")
@tracer.capture_method
def post_events() -> Response:
    request_id = app.current_event.request_context.request_id
    outcome = handle_http_body(writer, settings, app.current_event.decoded_body or "", request_id)
    if outcome.result is not None:
        metrics.add_metric(
            name="EventsAccepted", unit=MetricUnit.Count, value=outcome.result.accepted
        )
        metrics.add_metric(
            name="EventsRejected", unit=MetricUnit.Count, value=outcome.result.rejected
        )
    return Response(
        status_code=outcome.status_code,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(outcome.body),
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        return _handle_queue_batch(event, context)
    return app.resolve(event, context)


def _handle_queue_batch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ingest = QueueIngest(writer, settings)

    def record_handler(record: SQSRecord) -> None:
        ingest.process(record.message_id, record.body)

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=ingest.accepted)
    metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=ingest.rejected)
    return response
