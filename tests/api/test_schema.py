"""Property-based tests of the whole API against its own OpenAPI schema: whatever a client
sends, no 5xx, and every response matches what the schema promises."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import InvitationFactory, RegistrationFactory, SubEventFactory

# Loaded at import, before the suite's settings apply: ask over HTTPS so that the site's
# HTTPS redirect lets the request through.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application(), base_url="https://localhost"
)


@pytest.fixture
def app(db, settings):
    settings.OPENDAY_RATELIMIT = False
    for sub_event in SubEventFactory.create_batch(2):
        RegistrationFactory(sub_event=sub_event)
        InvitationFactory(sub_event=sub_event)
    # Like Django's test client: a request must not close the connection that holds the
    # test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    # A fresh application, so its middleware reads the suite's settings (no HTTPS redirect).
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema_and_never_fails(case, app):
    # What the API promises: never a 5xx, only documented status codes, bodies and headers
    # as documented. (Schemathesis' "valid data must be accepted" check is left out: a
    # well-formed registration is still refused when, say, the phone number is not a
    # mobile number; such refusals are documented 4xx answers.)
    case.call_and_validate(
        app=app,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            response_headers_conformance,
        ],
    )
