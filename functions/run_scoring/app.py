"""Run the dbt build on a schedule and when new raw objects arrive, one run at a time."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from lead_scoring.aws.runtime import prepare_project
from lead_scoring.aws.scoring import ScoringRun, ScoringSettings, describe_trigger

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# The shared package logs through the standard library; give it this function's JSON format.
copy_config_to_registered_loggers(source_logger=logger, include={"lead_scoring"})

prepare_project()
runner = ScoringRun(
    settings=ScoringSettings.from_env(),
    s3=boto3.client("s3"),
    sqs=boto3.client("sqs"),
    dynamodb=boto3.client("dynamodb"),
)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run_id = str(uuid.uuid4())
    logger.append_keys(run_id=run_id)
    trigger = describe_trigger(event)
    logger.info("scoring run requested", extra=trigger)
    report = runner.run(trigger["trigger"], run_id=run_id)
    if report.status == "success":
        metrics.add_metric(
            name="EventsProcessed", unit=MetricUnit.Count, value=report.events_processed
        )
        metrics.add_metric(name="LeadsScored", unit=MetricUnit.Count, value=report.leads_scored)
        metrics.add_metric(name="AlertsRaised", unit=MetricUnit.Count, value=report.alerts_raised)
        metrics.add_metric(name="RunSeconds", unit=MetricUnit.Seconds, value=report.seconds)
    return report.to_dict()
