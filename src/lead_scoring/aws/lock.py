"""A run lock on DynamoDB: one conditional put, an expiry, and release by the owner only."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)

DEFAULT_LOCK_SECONDS = 960


@dataclass
class RunLock:
    """Mutual exclusion between scoring runs.

    The item's ``expires_at`` (epoch seconds) is also the table's TTL attribute. A holder that
    dies without releasing blocks others only until then, because an expired lock can be taken
    over; DynamoDB's TTL deletion may lag by hours, so the condition checks the time itself.
    The duration must exceed the function timeout, so a live run never loses its lock.
    """

    dynamodb: Any
    table: str
    name: str = "scoring"
    seconds: int = DEFAULT_LOCK_SECONDS

    def acquire(self, owner: str) -> bool:
        """Take the lock for ``owner`` and return True, or return False while another holds it."""
        now = int(time.time())
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item={
                    "lock_id": {"S": self.name},
                    "owner": {"S": owner},
                    "acquired_at": {"N": str(now)},
                    "expires_at": {"N": str(now + self.seconds)},
                },
                ConditionExpression="attribute_not_exists(lock_id) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def holder(self) -> str | None:
        item = self.dynamodb.get_item(
            TableName=self.table, Key={"lock_id": {"S": self.name}}, ConsistentRead=True
        ).get("Item")
        return item["owner"]["S"] if item else None

    def release(self, owner: str) -> bool:
        """Delete the lock if ``owner`` still holds it; return False if someone took it over."""
        try:
            self.dynamodb.delete_item(
                TableName=self.table,
                Key={"lock_id": {"S": self.name}},
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": {"S": owner}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                logger.warning("lock was taken over before release", extra={"run_id": owner})
                return False
            raise
        return True
