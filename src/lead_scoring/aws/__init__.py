"""Code shared by the AWS Lambda functions: S3 landing, run lock, warehouse state, alerts."""
