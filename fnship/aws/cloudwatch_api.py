"""CloudWatch alarms: read the states of the alarms a release watches; create and delete the per-version errors
alarm fnship adds to every shift. Metrics: a period's totals of Lambda's own metrics, for `fn cost`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from fnship.aws.calls import aws_call, paged, tag_list

if TYPE_CHECKING:
    import datetime

    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef, GetMetricDataInputTypeDef, MetricDataQueryTypeDef

# DescribeAlarms takes at most 100 names per call.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
DESCRIBE_BATCH = 100
# GetMetricData takes at most 500 queries per call.
METRIC_QUERIES_PER_CALL = 500


class CloudWatchApi:
    def __init__(self, client: CloudWatchClient) -> None:
        self._client = client

    def alarm_states(self, names: Iterable[str]) -> dict[str, str | None]:
        """name -> OK | ALARM | INSUFFICIENT_DATA, or None for an alarm that does not exist."""
        wanted = list(dict.fromkeys(names))
        states: dict[str, str | None] = dict.fromkeys(wanted)
        for start in range(0, len(wanted), DESCRIBE_BATCH):
            batch = wanted[start : start + DESCRIBE_BATCH]
            page = aws_call(
                f"alarms {', '.join(batch)}",
                "DescribeAlarms",
                self._client.describe_alarms,
                AlarmNames=batch,
                AlarmTypes=["MetricAlarm", "CompositeAlarm"],
            )
            for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
                states[alarm["AlarmName"]] = alarm["StateValue"]
        return states

    def alarm_names(self, prefix: str) -> list[str]:
        """The metric alarms whose names start with `prefix`."""
        found = paged(
            self._client,
            "describe_alarms",
            f"alarms {prefix}*",
            "MetricAlarms",
            AlarmNamePrefix=prefix,
            AlarmTypes=["MetricAlarm"],
        )
        return [alarm["AlarmName"] for alarm in found]

    def put_version_errors_alarm(self, name: str, *, function: str, alias: str, version: str, tags: dict[str, str]):
        """An alarm on the new version's errors only: Lambda's `Errors` metric by `ExecutedVersion`, so errors of
        the old version (an alarm already firing on it) do not abort the release.
        https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#invocation-metrics
        """
        aws_call(
            f"alarm {name}",
            "PutMetricAlarm",
            self._client.put_metric_alarm,
            AlarmName=name,
            AlarmDescription=f"fnship: errors of {function} version {version} during a traffic shift",
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Dimensions=[
                {"Name": "FunctionName", "Value": function},
                {"Name": "Resource", "Value": f"{function}:{alias}"},
                {"Name": "ExecutedVersion", "Value": version},
            ],
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=0,
            ComparisonOperator="GreaterThanThreshold",
            TreatMissingData="notBreaching",
            Tags=tag_list(tags),
        )

    def delete_alarms(self, names: Iterable[str]) -> None:
        wanted = list(names)
        for start in range(0, len(wanted), DESCRIBE_BATCH):
            batch = wanted[start : start + DESCRIBE_BATCH]
            aws_call(f"alarms {', '.join(batch)}", "DeleteAlarms", self._client.delete_alarms, AlarmNames=batch)

    def lambda_metrics(
        self,
        series: Iterable[tuple[str, str | None]],
        metrics: Iterable[tuple[str, str]],
        *,
        start: datetime.datetime,
        end: datetime.datetime,
    ) -> dict[tuple[str, str | None], dict[str, float | None]]:
        """(function name, qualifier) -> metric -> the statistic over [start, end) of Lambda's own metrics
        (`AWS/Lambda`), or None where there is no data point. A series without a qualifier is the function's
        (dimension FunctionName); with one, that alias's or version's (FunctionName and Resource `name:qualifier`,
        where Lambda emits provisioned concurrency's metrics). `metrics` are (MetricName, Stat) pairs; one
        GetMetricData data point per query covers the whole period.
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
        https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html"""
        keys = list(dict.fromkeys(series))
        wanted = list(metrics)
        seconds = max(60, int((end - start).total_seconds()))
        period = ((seconds + 59) // 60) * 60
        queries: list[MetricDataQueryTypeDef] = []
        ids: dict[str, tuple[tuple[str, str | None], str, str]] = {}
        for s_index, (name, qualifier) in enumerate(keys):
            dimensions: list[DimensionTypeDef] = [{"Name": "FunctionName", "Value": name}]
            if qualifier:
                dimensions.append({"Name": "Resource", "Value": f"{name}:{qualifier}"})
            for m_index, (metric, stat) in enumerate(wanted):
                query_id = f"s{s_index}m{m_index}"
                ids[query_id] = ((name, qualifier), metric, stat)
                queries.append(
                    {
                        "Id": query_id,
                        "MetricStat": {
                            "Metric": {"Namespace": "AWS/Lambda", "MetricName": metric, "Dimensions": dimensions},
                            "Period": period,
                            "Stat": stat,
                        },
                        "ReturnData": True,
                    }
                )
        found: dict[tuple[tuple[str, str | None], str], list[float]] = {}
        for batch_start in range(0, len(queries), METRIC_QUERIES_PER_CALL):
            batch = queries[batch_start : batch_start + METRIC_QUERIES_PER_CALL]
            token: str | None = None
            while True:
                kwargs: GetMetricDataInputTypeDef = {"MetricDataQueries": batch, "StartTime": start, "EndTime": end}
                if token:
                    kwargs["NextToken"] = token
                page = aws_call("Lambda metrics", "GetMetricData", self._client.get_metric_data, **kwargs)
                for result in page.get("MetricDataResults", []):
                    key, metric, _stat = ids[result["Id"]]
                    found.setdefault((key, metric), []).extend(float(v) for v in result.get("Values") or [])
                token = page.get("NextToken")
                if not token:
                    break
        totals: dict[tuple[str, str | None], dict[str, float | None]] = {
            key: dict.fromkeys(m for m, _ in wanted) for key in keys
        }
        for (key, metric), values in found.items():
            if values:
                stat = dict(wanted)[metric]
                totals[key][metric] = _combine(stat, values)
        return totals


def _combine(stat: str, values: list[float]) -> float:
    """Data points of one statistic, should the period come back in more than one."""
    if stat == "Maximum":
        return max(values)
    if stat == "Minimum":
        return min(values)
    if stat == "Average":
        return sum(values) / len(values)
    return float(sum(values))
