"""fnship: ship AWS Lambda functions from a serverless.yml, straight through boto3."""

__version__ = "0.1.0"
