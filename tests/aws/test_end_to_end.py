"""The whole AWS path on moto's server: ingest, the real dbt build, Parquet marts, notify.

DuckDB reads the raw objects and writes the marts over HTTP to the server on 127.0.0.1, and
the hot-lead messages arrive on a queue subscribed to the topic, as an owner's inbox would.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lead_scoring.aws.local import LocalAws, run_local, sample_scenario

pytestmark = pytest.mark.slow


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalAws]:
    # The handlers read their settings from the environment LocalAws sets.
    for name in ("DATA_BUCKET", "LOCK_TABLE", "IDEMPOTENCY_TABLE", "ALERT_QUEUE_URL"):
        monkeypatch.delenv(name, raising=False)
    with LocalAws(tmp_path) as aws:
        yield aws


def read_mart(local: LocalAws, table: str, folder: Path) -> list[dict[str, Any]]:
    path = folder / f"{table}.parquet"
    local.client("s3").download_file(local.bucket, f"marts/{table}/data.parquet", str(path))
    cursor = duckdb.connect().execute(f"select * from read_parquet('{path}')")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_events_to_hot_lead_messages(local: LocalAws, tmp_path: Path) -> None:
    # Given leads in the raw prefix and a batch of events, one of them malformed
    data = sample_scenario()
    for table in ("accounts", "leads"):
        local.upload_raw(table, data[table])
    events = [*data["activities"], {"event_id": "E-broken", "activity_type": "page_view"}]
    started = time.monotonic()

    # When the events are posted, scored and the alerts delivered
    response = local.post_events(events)
    report = local.run_scoring()
    delivery = local.deliver_alerts()
    notifications = local.received_notifications()
    elapsed = time.monotonic() - started
    print(f"\ningest to notification: {elapsed:.1f} s (scoring run {report['seconds']:.1f} s)")

    # Then the valid events are accepted and the broken one is kept as rejected
    body = json.loads(response["body"])
    assert response["statusCode"] == 207
    assert body["accepted"] == len(data["activities"])
    assert body["rejected"] == 1
    rejected = local.client("s3").list_objects_v2(Bucket=local.bucket, Prefix="rejected/")
    assert rejected["KeyCount"] == 1

    # And the run was started by the raw-object notifications and loaded every event
    assert report["status"] == "success"
    assert report["trigger"] == "raw_objects"
    assert report["events_processed"] == len(data["activities"])
    assert report["alerts_raised"] == 2

    # And the marts are in S3 as Parquet
    marts = local.client("s3").list_objects_v2(Bucket=local.bucket, Prefix="marts/")
    keys = {item["Key"] for item in marts["Contents"]}
    assert {
        "marts/lead_scores/data.parquet",
        "marts/lead_qualification/data.parquet",
        "marts/hot_lead_alerts/data.parquet",
    } <= keys
    outbox = read_mart(local, "hot_lead_alerts", tmp_path)
    assert sorted(row["lead_id"] for row in outbox) == ["L-100", "L-200"]

    # And each newly hot lead produced exactly one message, addressed to its owner
    assert delivery == {"delivered": 2, "failed": 0}
    assert sorted(n["payload"]["lead_id"] for n in notifications) == ["L-100", "L-200"]
    for notification in notifications:
        payload = notification["payload"]
        assert payload["stage"] == "hot"
        assert payload["score"] >= 100
        assert payload["owner"] == "dana.owner@seller.example"
        assert notification["attributes"]["owner"] == "dana.owner@seller.example"
        assert any("/pricing" in page for page in payload["recent_priority_pages"])
    alert_ids = {row["alert_id"] for row in outbox}
    assert {n["attributes"]["alert_id"] for n in notifications} == alert_ids

    # When a second run finds no new events
    second = local.run_scoring()
    local.deliver_alerts()

    # Then it sends nothing
    assert second["status"] == "success"
    assert second["trigger"] == "schedule"
    assert second["events_processed"] == 0
    assert second["alerts_raised"] == 0
    assert local.received_notifications() == []

    # When notify receives an alert it already delivered (a queue redelivery)
    sqs = local.client("sqs")
    for row in outbox:
        sqs.send_message(QueueUrl=local.ref("AlertQueue"), MessageBody=json.dumps(row, default=str))
    redelivery = local.deliver_alerts()

    # Then it succeeds without sending a second message
    assert redelivery == {"delivered": 2, "failed": 0}
    assert local.received_notifications() == []


def test_run_local_stops_server(capsys: pytest.CaptureFixture[str]) -> None:
    # When the local demonstration runs
    summary = run_local(leads=20, events=300, seed=3)

    output = capsys.readouterr().out
    assert summary.events_accepted > 0
    assert len(summary.notifications) >= 2
    assert summary.seconds_to_first_notification is not None
    assert "hot lead L-100" in output
    assert "dana.owner@seller.example" not in output
    assert "server stopped" in output

    # And nothing listens on its port afterwards
    port = int(summary.endpoint_url.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
