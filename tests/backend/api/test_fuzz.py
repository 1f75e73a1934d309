"""Schemathesis over the company API's OpenAPI schema (/api/schema/ on a company domain), against a real
uvicorn, signed in with a bearer token as a company admin and as a resident.

Every operation gets a bounded number of generated requests, valid and invalid ones, and every answer is
checked: no 5xx, a documented status code, a documented content type and headers, and a body that matches
the documented schema (errors included: {"error": {"code", "message", "fields"}}).

Knobs for longer local runs (the defaults keep this test to about two minutes here):
- SCHEMATHESIS_EXAMPLES: generated requests per operation in the fuzzing phase (default 8);
- SCHEMATHESIS_PHASES: default "examples,fuzzing"; add "coverage" for every boundary and invalid value the
  schema implies (about 60 more requests per operation, some ten minutes);
- SCHEMATHESIS_SEED: a fixed seed (default 2026) makes a run repeatable; SCHEMATHESIS_PATHS: a regular
  expression to fuzz only the matching paths, e.g. "payments".

The company is its own (tests/backend/api/fuzz_company.py), seeded with real rows so generated ids reach
them, and dropped afterwards. The server talks to localstripe, so the online-payment operations run too:
nothing leaves this machine. No operation is excluded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig

from tests.backend.api.fuzz_company import PASSWORD, FuzzCompany, fuzz_company_create, fuzz_company_drop
from tests.conftest import ROOT, asgi_server, free_port, subprocess_env

# No django_db mark: the server must see the seeded company, so it is committed (and dropped afterwards).
pytestmark = [pytest.mark.fuzz]

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
PHASES = os.environ.get("SCHEMATHESIS_PHASES", "examples,fuzzing").split(",")
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "2026"))
PATHS = os.environ.get("SCHEMATHESIS_PATHS", "")
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]


@pytest.fixture(scope="module")
def fuzz_company(django_db_setup: None, django_db_blocker: Any) -> Iterator[FuzzCompany]:
    with django_db_blocker.unblock():
        company = fuzz_company_create()
    try:
        yield company
    finally:
        with django_db_blocker.unblock():
            fuzz_company_drop()


@pytest.fixture(scope="module")
def fuzz_server(fuzz_company: FuzzCompany, localstripe: str, django_db_blocker: Any) -> Iterator[str]:
    """A uvicorn of its own, started after localstripe so it inherits the Stripe settings. Yields the base URL."""
    port = free_port()
    with django_db_blocker.unblock():
        env = subprocess_env(PLATFORM_URL_PORT=f":{port}")
    # The server's log is kept where a CI run leaves it (.data/test-logs/, not a rotating temp dir): a server
    # error the fuzzer finds is explained by the traceback there.
    log = ROOT / ".data" / "test-logs" / "fuzz-uvicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with asgi_server(port, env, log):
        yield f"http://127.0.0.1:{port}"


def company_host(server: str, company: FuzzCompany) -> str:
    return f"{company.host}:{server.rsplit(':', 1)[1]}"


@pytest.fixture(scope="module")
def tokens(fuzz_server: str, fuzz_company: FuzzCompany) -> dict[str, str]:
    """A bearer token per login, from the token endpoint; the resident also starts an online payment (at
    localstripe), so the operations on a payment by id reach a real one."""
    host = company_host(fuzz_server, fuzz_company)
    tokens = {}
    for role, email in fuzz_company.logins.items():
        response = requests.post(
            f"{fuzz_server}/api/v1/auth/token/",
            json={"username": email, "password": PASSWORD},
            headers={"Host": host},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        tokens[role] = str(response.json()["token"])
    started = requests.post(
        f"{fuzz_server}/api/v1/payments/online/",
        json={"unit": fuzz_company.home_unit_id, "top_up": 10000, "method_type": "card"},
        headers={"Host": host, "Authorization": f"Bearer {tokens['resident']}", "Idempotency-Key": "fuzz-seed"},
        timeout=30,
    )
    assert started.status_code == 201, started.text
    return tokens


@pytest.fixture(scope="module", params=["company_admin", "resident"])
def api_schema(request: pytest.FixtureRequest, fuzz_server: str, fuzz_company: FuzzCompany, tokens: Any) -> Any:
    """The schema as the company domain serves it, with the caller's token and the company's Host header on
    every generated request."""
    host = company_host(fuzz_server, fuzz_company)
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": {"Host": host, "Authorization": f"Bearer {tokens[request.param]}"},
            "request-timeout": 30,
            "generation": {"max-examples": EXAMPLES, "database": "none", "deterministic": True},
            "phases": {
                phase: {"enabled": phase in PHASES} for phase in ("examples", "coverage", "fuzzing", "stateful")
            },
        }
    )
    return schemathesis.openapi.from_url(f"{fuzz_server}/api/schema/", config=config, headers={"Host": host})


schema = schemathesis.pytest.from_fixture("api_schema")
if PATHS:
    schema = schema.include(path_regex=PATHS)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's lazy schemas read and rename `item._nodeid` to label each operation's subtest;
    pytest 9.2 keeps the id in `item._id` instead. Give it the attribute it reads (the subtests keep their
    operation labels; the item keeps its own id)."""
    request.node._nodeid = request.node.nodeid


@schema.parametrize()
def test_company_api_answers_every_request_within_its_schema(case: Any) -> None:
    case.call_and_validate(checks=[getattr(schemathesis.checks, name) for name in CHECKS])
