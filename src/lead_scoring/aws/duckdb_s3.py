"""Give a DuckDB connection access to S3 through the httpfs extension shipped as a wheel.

The extension file comes from the ``duckdb-extension-httpfs`` package, which must match the
installed duckdb release exactly. It is loaded from that file, never installed from the
network, so a Lambda function without internet access still reads and writes S3.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import duckdb

# The name of the DuckDB secret object, not a credential.
SECRET_NAME = "lead_scoring_s3"  # noqa: S105


class HttpfsNotFoundError(RuntimeError):
    """The httpfs extension file for the installed duckdb release is missing."""


def httpfs_extension_path() -> Path:
    """Return the httpfs extension file bundled for the installed duckdb version."""
    package_root = Path(str(resources.files("duckdb_extension_httpfs")))
    path = package_root / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if not path.is_file():
        bundled = sorted(p.name for p in (package_root / "extensions").glob("v*"))
        raise HttpfsNotFoundError(
            f"httpfs extension for duckdb {duckdb.__version__} not found at {path} "
            f"(bundled versions: {', '.join(bundled) or 'none'}); install "
            f"duckdb-extension-httpfs=={duckdb.__version__}"
        )
    return path


@dataclass(frozen=True)
class S3Endpoint:
    """Where DuckDB sends S3 requests and with which credentials."""

    region: str
    key_id: str
    secret: str
    session_token: str | None = None
    endpoint: str | None = None
    use_ssl: bool = True
    url_style: str = "vhost"

    @classmethod
    def from_environment(cls) -> S3Endpoint:
        """Resolve region and credentials as boto3 does, and the endpoint from AWS_ENDPOINT_URL.

        A custom endpoint (such as a local S3 emulator) gets path-style URLs, because its
        host name cannot carry the bucket as a subdomain.
        """
        session = boto3.session.Session()
        credentials = session.get_credentials()
        if credentials is None:
            raise RuntimeError("no AWS credentials found for DuckDB's S3 access")
        frozen = credentials.get_frozen_credentials()
        region = session.region_name or os.environ.get("AWS_REGION") or "us-east-1"
        endpoint_url = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if not endpoint_url:
            return cls(region, frozen.access_key, frozen.secret_key, frozen.token)
        parts = urlsplit(endpoint_url)
        return cls(
            region,
            frozen.access_key,
            frozen.secret_key,
            frozen.token,
            endpoint=parts.netloc,
            use_ssl=parts.scheme == "https",
            url_style="path",
        )


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def enable_s3(con: duckdb.DuckDBPyConnection, endpoint: S3Endpoint | None = None) -> None:
    """Load httpfs from the bundled file and register an S3 secret on the connection."""
    # Without these, a missing extension would be fetched from the network on first use.
    con.execute("set autoinstall_known_extensions = false")
    con.execute("set autoload_known_extensions = false")
    con.execute(f"load {_quote(str(httpfs_extension_path()))}")
    endpoint = endpoint or S3Endpoint.from_environment()
    options = [
        "type s3",
        "provider config",
        f"key_id {_quote(endpoint.key_id)}",
        f"secret {_quote(endpoint.secret)}",
        f"region {_quote(endpoint.region)}",
        f"url_style {_quote(endpoint.url_style)}",
        f"use_ssl {'true' if endpoint.use_ssl else 'false'}",
    ]
    if endpoint.session_token:
        options.append(f"session_token {_quote(endpoint.session_token)}")
    if endpoint.endpoint:
        options.append(f"endpoint {_quote(endpoint.endpoint)}")
    con.execute(f"create or replace temporary secret {SECRET_NAME} ({', '.join(options)})")
