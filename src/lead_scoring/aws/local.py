"""Run the whole AWS path on this machine against moto's server on 127.0.0.1.

``LocalAws`` starts the server, creates the resources the SAM template declares and calls the
Lambda handlers in process with the environment the template gives them. It stands in for the
Lambda service, so it turns HTTP requests and queue messages into events and deletes the
messages a handler reports as processed. ``run_local`` drives one demonstration on top.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import importlib
import json
import logging
import os
import socket
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from lead_scoring import paths
from lead_scoring.aws.alerts import mask_email
from lead_scoring.aws.template import (
    Resolver,
    function_environment,
    load_template,
    resources_of_type,
)
from lead_scoring.dbt_runner import patched_environ

REGION = "us-east-1"
FUNCTIONS = {
    "ingest": "IngestFunction",
    "run_scoring": "RunScoringFunction",
    "notify": "NotifyFunction",
}
INBOX_QUEUE = "lead-scoring-local-hot-lead-inbox"
# Fake credentials: requests go to the local server only, and botocore must never look for
# real ones (profile files, the instance metadata address).
FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "LeadScoring",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


class LocalContext:
    """The parts of a Lambda context that Powertools reads."""

    def __init__(self, function_name: str, timeout_seconds: int = 900) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 1024
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_api_event(body: str, path: str = "/events") -> dict[str, Any]:
    """Build an API Gateway HTTP API (payload 2.0) event for a POST request."""
    now = datetime.now(UTC)
    return {
        "version": "2.0",
        "routeKey": f"POST {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "lead-scoring-local",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"POST {path}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": base64.b64encode(body.encode("utf-8")).decode("ascii"),
        "isBase64Encoded": True,
    }


def sqs_event(messages: Sequence[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """Build the event Lambda passes for messages received from a queue."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(int(time.time() * 1000)),
                    "SenderId": "local",
                    "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


@dataclass
class LocalAws:
    """Moto's server with the template's resources, and the handlers wired to them."""

    work_dir: Path
    template_path: Path | None = None
    port: int = 0
    endpoint_url: str = ""
    environments: dict[str, dict[str, str]] = field(default_factory=dict)
    resolver: Resolver | None = None
    inbox_url: str = ""
    _server: Any = None
    _exit_stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _handlers: dict[str, ModuleType] = field(default_factory=dict)

    # -------------------------------------------------------------- lifecycle

    def __enter__(self) -> LocalAws:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        self.port = self.port or free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        # The server logs every request; the handlers' own logs are what a reader needs.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        try:
            # Moto keeps its state per process; an earlier LocalAws in this process left its
            # resources behind.
            reset = urllib.request.Request(  # noqa: S310 (127.0.0.1 only)
                f"{self.endpoint_url}/moto-api/reset", method="POST"
            )
            with urllib.request.urlopen(reset, timeout=30):  # noqa: S310
                pass
            environment = {**FAKE_ENVIRONMENT, "AWS_ENDPOINT_URL": self.endpoint_url}
            self._exit_stack.enter_context(patched_environ(environment))
            self._create_resources()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for name in FUNCTIONS:
            sys.modules.pop(f"functions.{name}.app", None)
        self._handlers.clear()
        self._exit_stack.close()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint_url)

    # -------------------------------------------------------------- resources

    def _create_resources(self) -> None:
        template = load_template(self.template_path)
        resolver = Resolver(template, REGION, parameters={"Stage": "local"})
        self.resolver = resolver
        self._create_buckets(template, resolver)
        self._create_queues(template, resolver)
        self._create_tables(template, resolver)
        self._create_topics_and_buses(template, resolver)
        self._connect_bucket_notifications(template, resolver)
        self._subscribe_inbox()
        work_dir = str(self.work_dir)
        for name, logical_id in FUNCTIONS.items():
            environment = function_environment(template, resolver, logical_id)
            # The packaged project path does not exist here; the checkout is the project.
            environment["LEAD_SCORING_PROJECT_DIR"] = str(paths.project_dir())
            environment["WORK_DIR"] = work_dir
            environment["POWERTOOLS_SERVICE_NAME"] = name
            self.environments[name] = environment

    def _create_buckets(self, template: dict[str, Any], resolver: Resolver) -> None:
        s3 = self.client("s3")
        for logical_id, resource in resources_of_type(template, "AWS::S3::Bucket").items():
            name = resolver.resolve(resource["Properties"]["BucketName"])
            s3.create_bucket(Bucket=name)
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            resolver.physical[logical_id] = {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}

    def _create_queues(self, template: dict[str, Any], resolver: Resolver) -> None:
        sqs = self.client("sqs")
        queues = resources_of_type(template, "AWS::SQS::Queue")
        # Dead-letter queues first, because a redrive policy names its target's ARN.
        ordered = sorted(queues.items(), key=lambda item: "RedrivePolicy" in item[1]["Properties"])
        for logical_id, resource in ordered:
            properties = resource["Properties"]
            name = resolver.resolve(properties["QueueName"])
            attributes = {"VisibilityTimeout": str(properties.get("VisibilityTimeout", 30))}
            if "RedrivePolicy" in properties:
                attributes["RedrivePolicy"] = json.dumps(
                    resolver.resolve(properties["RedrivePolicy"])
                )
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            resolver.physical[logical_id] = {"Ref": url, "Arn": arn, "QueueName": name}

    def _create_tables(self, template: dict[str, Any], resolver: Resolver) -> None:
        dynamodb = self.client("dynamodb")
        for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
            properties = resolver.resolve(resource["Properties"])
            name = properties["TableName"]
            arn = dynamodb.create_table(
                TableName=name,
                AttributeDefinitions=properties["AttributeDefinitions"],
                KeySchema=properties["KeySchema"],
                BillingMode=properties.get("BillingMode", "PAY_PER_REQUEST"),
            )["TableDescription"]["TableArn"]
            ttl = properties.get("TimeToLiveSpecification")
            if ttl:
                dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
            resolver.physical[logical_id] = {"Ref": name, "Arn": arn}

    def _create_topics_and_buses(self, template: dict[str, Any], resolver: Resolver) -> None:
        sns = self.client("sns")
        for logical_id, resource in resources_of_type(template, "AWS::SNS::Topic").items():
            name = resolver.resolve(resource["Properties"]["TopicName"])
            arn = sns.create_topic(Name=name)["TopicArn"]
            resolver.physical[logical_id] = {"Ref": arn, "TopicName": name}
        events = self.client("events")
        for logical_id, resource in resources_of_type(template, "AWS::Events::EventBus").items():
            name = resolver.resolve(resource["Properties"]["Name"])
            arn = events.create_event_bus(Name=name)["EventBusArn"]
            resolver.physical[logical_id] = {"Ref": name, "Arn": arn, "Name": name}

    def _connect_bucket_notifications(self, template: dict[str, Any], resolver: Resolver) -> None:
        s3 = self.client("s3")
        for logical_id, resource in resources_of_type(template, "AWS::S3::Bucket").items():
            notification = resource["Properties"].get("NotificationConfiguration")
            if not notification:
                continue
            configurations = []
            for item in resolver.resolve(notification.get("QueueConfigurations", [])):
                rules = item["Filter"]["S3Key"]["Rules"]
                configurations.append(
                    {
                        "QueueArn": item["Queue"],
                        "Events": [item["Event"]],
                        "Filter": {"Key": {"FilterRules": rules}},
                    }
                )
            s3.put_bucket_notification_configuration(
                Bucket=resolver.ref(logical_id),
                NotificationConfiguration={"QueueConfigurations": configurations},
            )

    def _subscribe_inbox(self) -> None:
        """Subscribe a queue to the hot-lead topic, standing in for the owners' inboxes."""
        sqs = self.client("sqs")
        self.inbox_url = sqs.create_queue(QueueName=INBOX_QUEUE)["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=self.inbox_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.client("sns").subscribe(
            TopicArn=self.ref("HotLeadTopic"),
            Protocol="sqs",
            Endpoint=inbox_arn,
            Attributes={"RawMessageDelivery": "false"},
        )

    def ref(self, logical_id: str) -> str:
        assert self.resolver is not None, "start() creates the resources"
        return self.resolver.ref(logical_id)

    def arn(self, logical_id: str) -> str:
        assert self.resolver is not None, "start() creates the resources"
        return self.resolver.get_att(logical_id, "Arn")

    @property
    def bucket(self) -> str:
        return self.ref("DataBucket")

    # -------------------------------------------------------------- handlers

    def handler(self, name: str) -> ModuleType:
        """Import a function's module with its environment, once per LocalAws."""
        if name not in self._handlers:
            self._exit_stack.enter_context(patched_environ(self.environments[name]))
            root = str(paths.project_dir())
            if root not in sys.path:
                sys.path.insert(0, root)
            sys.modules.pop(f"functions.{name}.app", None)
            self._handlers[name] = importlib.import_module(f"functions.{name}.app")
        return self._handlers[name]

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        module = self.handler(name)
        with patched_environ(self.environments[name]):
            return module.lambda_handler(event, LocalContext(f"lead-scoring-local-{name}"))

    def post_events(self, events: Sequence[dict[str, Any]] | str) -> dict[str, Any]:
        """POST a batch to the ingest function as the HTTP API would; return its response."""
        body = events if isinstance(events, str) else json.dumps(events)
        return self.invoke("ingest", http_api_event(body))

    def upload_raw(self, table: str, rows: Sequence[dict[str, Any]]) -> str:
        """Land source rows other than activities (leads, accounts ...) under raw/<table>/."""
        key = f"raw/{table}/{uuid.uuid4()}.json.gz"
        lines = "".join(json.dumps(row) + "\n" for row in rows)
        self.client("s3").put_object(
            Bucket=self.bucket, Key=key, Body=gzip.compress(lines.encode("utf-8"))
        )
        return key

    def drain(self, queue_logical_id: str, max_messages: int = 10) -> list[dict[str, Any]]:
        """Receive every message now visible on a template queue."""
        return self._drain_url(self.ref(queue_logical_id), max_messages)

    def _drain_url(self, url: str, max_messages: int = 10) -> list[dict[str, Any]]:
        sqs = self.client("sqs")
        messages: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=max_messages,
                WaitTimeSeconds=0,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                return messages
            messages.extend(batch)

    def run_scoring(self) -> dict[str, Any]:
        """Start a scoring run from the raw-object notifications, as their queue would."""
        notifications = self.drain("RawObjectsQueue")
        if notifications:
            event = sqs_event(notifications, self.arn("RawObjectsQueue"))
        else:
            event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
        report = self.invoke("run_scoring", event)
        self._delete(self.ref("RawObjectsQueue"), notifications)
        return report

    def deliver_alerts(self) -> dict[str, Any]:
        """Pass queued alerts to notify and delete the ones it processed."""
        messages = self.drain("AlertQueue")
        if not messages:
            return {"delivered": 0, "failed": 0}
        response = self.invoke("notify", sqs_event(messages, self.arn("AlertQueue")))
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        self._delete(self.ref("AlertQueue"), [m for m in messages if m["MessageId"] not in failed])
        return {"delivered": len(messages) - len(failed), "failed": len(failed)}

    def received_notifications(self) -> list[dict[str, Any]]:
        """Return the hot-lead messages that reached the inbox queue, and delete them."""
        messages = self._drain_url(self.inbox_url)
        self._delete(self.inbox_url, messages)
        notifications = []
        for message in messages:
            envelope = json.loads(message["Body"])
            notifications.append(
                {
                    "payload": json.loads(envelope["Message"]),
                    "attributes": {
                        name: value["Value"]
                        for name, value in envelope.get("MessageAttributes", {}).items()
                    },
                }
            )
        return notifications

    def _delete(self, url: str, messages: Sequence[dict[str, Any]]) -> None:
        sqs = self.client("sqs")
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


# ------------------------------------------------------------------ sample data


def sample_scenario(now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Return a small data set in which two leads become hot today and one stays cold.

    The hot leads are senior marketing people at mid-size US software companies (grade A+
    under the default grading rules) who request a demo and view pricing pages several times
    (score above 100 under the default activity and page rules).
    """
    now = now or datetime.now(UTC)
    stamp = (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    accounts = [
        {
            "account_id": "A-1",
            "name": "Northwind Software",
            "domain": "northwind.example",
            "industry": "Software",
            "employee_count": "220",
            "annual_revenue": "40000000",
            "country": "United States",
        }
    ]
    leads = []
    for lead_id, title in (
        ("L-100", "VP Marketing"),
        ("L-200", "Head of Sales"),
        ("L-300", "Intern"),
    ):
        leads.append(
            {
                "lead_id": lead_id,
                "email": f"{lead_id.lower()}@northwind.example",
                "account_id": "A-1",
                "owner_email": "dana.owner@seller.example",
                "job_title": title,
                "department": "Marketing" if "Marketing" in title or title == "Intern" else "Sales",
                "country": "United States",
                "industry": "Software",
                "company_size": "220",
                "annual_revenue": "40000000",
                "lead_source": "Website",
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    events = []
    for lead_id in ("L-100", "L-200"):
        events.extend(hot_lead_events(lead_id, now))
    events.append(
        {
            "event_id": "E-L-300-1",
            "lead_id": "L-300",
            "activity_type": "page_view",
            "occurred_at": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "url": "https://www.seller.example/careers",
            "duration_seconds": 30,
        }
    )
    return {"accounts": accounts, "leads": leads, "activities": events}


def hot_lead_events(lead_id: str, now: datetime) -> list[dict[str, Any]]:
    """Return events that lift a well-graded lead past the hot threshold today."""

    def at(minutes: int) -> str:
        return (now - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")

    user_agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0"
    events: list[dict[str, Any]] = [
        {
            "event_id": f"E-{lead_id}-session",
            "lead_id": lead_id,
            "activity_type": "session",
            "occurred_at": at(90),
            "duration_seconds": 900,
            "user_agent": user_agent,
        },
        {
            "event_id": f"E-{lead_id}-demo",
            "lead_id": lead_id,
            "activity_type": "form_submission",
            "occurred_at": at(30),
            "asset": "Request a demo",
            "url": "https://www.seller.example/demo",
            "user_agent": user_agent,
            "properties": {"form_id": "demo-request"},
        },
    ]
    for index, path in enumerate(("pricing", "pricing/enterprise", "demo", "pricing")):
        events.append(
            {
                "event_id": f"E-{lead_id}-page-{index}",
                "lead_id": lead_id,
                "activity_type": "page_view",
                "occurred_at": at(80 - index * 10),
                "url": f"https://www.seller.example/{path}",
                "duration_seconds": 45,
                "user_agent": user_agent,
            }
        )
    return events


def generated_sample(leads: int, events: int, seed: int) -> dict[str, list[dict[str, Any]]] | None:
    """Return sample tables from the data generator, or None when it is not installed."""
    try:
        from lead_scoring import generate, warehouse
    except ImportError:
        return None
    import duckdb

    with tempfile.TemporaryDirectory(prefix="lead-scoring-sample-") as folder:
        db_path = Path(folder) / "sample.duckdb"
        generate.generate(db_path, generate.GeneratorConfig(leads=leads, events=events, seed=seed))
        tables: dict[str, list[dict[str, Any]]] = {}
        with contextlib.closing(duckdb.connect(str(db_path), read_only=True)) as con:
            for table in ("accounts", "leads", "lead_attributes", "conversions", "activities"):
                cursor = con.execute(f"select * from {warehouse.RAW_SCHEMA}.{table}")
                names = [column[0] for column in cursor.description]
                tables[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return tables


# ------------------------------------------------------------------ demonstration


@dataclass
class LocalRunSummary:
    endpoint_url: str
    events_posted: int
    events_accepted: int
    events_rejected: int
    scoring_runs: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    seconds_to_first_notification: float | None


def run_local(
    leads: int = 40,
    events: int = 800,
    seed: int = 7,
    batch_size: int = 250,
    timeout_seconds: float = 600.0,
    out: TextIO | None = None,
) -> LocalRunSummary:
    """Run ingest, scoring and notify against a local moto server and print each alert.

    Posts generated sample events (``leads`` leads, ``events`` events, ``seed``) when the data
    generator is available, plus two leads that become hot today, in batches of
    ``batch_size`` through the ingest handler. Stops the server before returning, also on
    errors, and raises TimeoutError when the whole run exceeds ``timeout_seconds``.
    """
    out = out or sys.stdout
    started = time.monotonic()
    deadline = started + timeout_seconds
    with (
        tempfile.TemporaryDirectory(prefix="lead-scoring-aws-local-") as folder,
        LocalAws(Path(folder)) as local,
    ):
        print(f"moto server on {local.endpoint_url}; bucket {local.bucket}", file=out)
        data = generated_sample(leads, events, seed) or {}
        scenario = sample_scenario()
        for table, rows in scenario.items():
            data[table] = data.get(table, []) + rows
        for table in ("accounts", "leads", "lead_attributes", "conversions"):
            if data.get(table):
                local.upload_raw(table, data[table])
        activities = [_json_ready(row) for row in data["activities"]]
        accepted = rejected = 0
        for start in range(0, len(activities), batch_size):
            response = local.post_events(activities[start : start + batch_size])
            body = json.loads(response["body"])
            accepted += int(body.get("accepted", 0))
            rejected += int(body.get("rejected", 0))
        print(
            f"posted {len(activities)} events: {accepted} accepted, {rejected} rejected",
            file=out,
        )
        if time.monotonic() > deadline:
            raise TimeoutError(f"local run exceeded {timeout_seconds} s while posting events")
        report = local.run_scoring()
        print(
            f"scoring run {report['status']}: {report['events_processed']} events, "
            f"{report['leads_scored']} leads, {report['alerts_raised']} alerts "
            f"in {report['seconds']:.1f} s",
            file=out,
        )
        local.deliver_alerts()
        notifications: list[dict[str, Any]] = []
        first_seconds = None
        while time.monotonic() < deadline and len(notifications) < report["alerts_raised"]:
            for notification in local.received_notifications():
                first_seconds = first_seconds or time.monotonic() - started
                notifications.append(notification)
                payload = notification["payload"]
                print(
                    f"hot lead {payload['lead_id']}: score {payload['score']:g}, "
                    f"grade {payload['grade']}, owner {mask_email(payload['owner'])}",
                    file=out,
                )
            time.sleep(0.2)
        print(f"{len(notifications)} hot-lead notifications received; server stopped", file=out)
    return LocalRunSummary(
        endpoint_url=local.endpoint_url,
        events_posted=len(activities),
        events_accepted=accepted,
        events_rejected=rejected,
        scoring_runs=[report],
        notifications=notifications,
        seconds_to_first_notification=first_seconds,
    )


def _json_ready(row: dict[str, Any]) -> dict[str, Any]:
    """Turn a generated raw row (all text) into the JSON an event sender would post."""
    event = {key: value for key, value in row.items() if value is not None and key != "loaded_at"}
    if isinstance(event.get("properties"), str):
        with contextlib.suppress(json.JSONDecodeError):
            event["properties"] = json.loads(event["properties"])
    if isinstance(event.get("duration_seconds"), str):
        with contextlib.suppress(ValueError):
            event["duration_seconds"] = float(event["duration_seconds"])
    return event
