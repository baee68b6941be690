"""The example service's handlers (see serverless.yml.example)."""

import json
import os


def hello(event, context):
    name = (event or {}).get("name", "world")
    return {"statusCode": 200, "body": json.dumps({"message": f"hello, {name}", "stage": os.environ.get("STAGE")})}


def report(event, context):
    return {"items": len((event or {}).get("Records", [])), "table": os.environ.get("TABLE_NAME")}


def worker(event, context):
    """SQS batches report partial failures (functionResponseType: ReportBatchItemFailures)."""
    failures = [
        {"itemIdentifier": record["messageId"]}
        for record in (event or {}).get("Records", [])
        if record.get("eventSource") == "aws:sqs" and not record.get("body")
    ]
    return {"batchItemFailures": failures}
