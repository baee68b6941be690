"""Lambda prices and cost arithmetic: `fn cost`, `fn tune` and the plan's cost annotation.

`prices` reads the Price List API (through fnship.aws) with a day's cache and a built-in us-east-1 table;
`calc` is pure arithmetic; `traffic` reads a period's CloudWatch metrics; `plan_cost` prices a plan's changes.
"""
