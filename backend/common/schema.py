"""OpenAPI generation: the contract a frontend generates its client from.

Every operation gets a readable operationId (`bookings_verify_payment`), a
one-line summary, a tag per resource, `{}` in its security when anyone may
call it, and every error it can answer with the headers that go with them.
The post-processing hook then makes the whole document strict: integer path
ids, an `ErrorCode` enum read from the exceptions themselves, and no field a
response carries that its schema does not name (`additionalProperties:
false`). The committed docs/openapi.yaml is this output (a test compares).
"""

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_view_model
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from common.api import ErrorSerializer
from common.errors import error_code_values
from common.fields import ID_SCHEMA
from common.schema_errors import add_error_responses, error_schemas

RETRY_AFTER = {
    "description": "Seconds to wait before sending the same request again.",
    "schema": {"type": "integer", "minimum": 0},
}
IDEMPOTENT_REPLAYED = {
    "description": "`true` when this is the stored response to an earlier "
    "request with the same `Idempotency-Key`, not a new booking.",
    "schema": {"type": "string", "enum": ["true"]},
}
# Summaries of the standard viewset actions; custom actions state their own.
STANDARD_SUMMARIES = {
    "list": "List {plural}",
    "retrieve": "Get one {noun}",
    "create": "Create a {noun}",
    "update": "Replace a {noun}",
    "partial_update": "Change some fields of a {noun}",
    "destroy": "Delete a {noun}",
}


def audience_schemas(*, staff, public, name: str, list_description: str) -> dict:
    """extend_schema_view arguments for a resource guests read and staff manage.

    Reads answer one of two shapes (`oneOf`), told apart by the read-only
    `audience` field each carries (`staff` or `public`, the discriminator);
    writes are staff-only and take and return the staff shape.
    """

    def either(many=False):
        return PolymorphicProxySerializer(
            component_name=name,
            serializers={"staff": staff, "public": public},
            resource_type_field_name="audience",
            many=many,
        )

    return {
        "list": extend_schema(description=list_description, responses=either(True)),
        "retrieve": extend_schema(
            description="Guests get the public fields, staff every field.",
            responses=either(),
        ),
        "create": extend_schema(
            description="Staff only.", request=staff, responses={201: staff}
        ),
        "update": extend_schema(
            description="Staff only.", request=staff, responses=staff
        ),
        "partial_update": extend_schema(
            description="Staff only.", request=staff, responses=staff
        ),
        "destroy": extend_schema(description="Staff only.", responses={204: None}),
    }


class TokenScheme(OpenApiAuthenticationExtension):
    """Staff API tokens (django-rest-knox) as an HTTP bearer scheme, which
    every client generator sends without hand-written headers."""

    target_class = "common.auth.StaffTokenAuthentication"
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The header is `Authorization: Bearer <key>` "
            "(`Token <key>` is accepted too), with the key that "
            "`python manage.py createstaffuser <username> --role <role> --token` "
            "printed once. Keys expire (STAFF_API_TOKEN_DAYS) and can be "
            "revoked (`revokestafftokens`). The browsable API and the Desk "
            "also accept a staff login session, which is for browsers and not "
            "part of this contract.",
        }


class RelatedIdField(OpenApiSerializerFieldExtension):
    """Every relation by primary key, read or written, is the schema's one
    id type (drf-spectacular would copy the column's bigint range)."""

    target_class = "rest_framework.relations.PrimaryKeyRelatedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return dict(ID_SCHEMA)


class AnyOfFieldsSchema(OpenApiSerializerExtension):
    """A request body that needs one of several fields, not blank: `not` all
    of them absent or blank. openapi-python-client read `anyOf` branches
    (with or without properties) as a class per branch or as `Any`; `not`
    beside the properties leaves it one class with every field."""

    target_class = "common.fields.AnyOfFields"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(
            self.target, direction, bypass_extensions=True
        )
        if direction == "request":
            blank = {"type": "string", "pattern": r"^\s*$"}
            schema["not"] = {
                "properties": {name: blank for name in self.target.any_of_fields}
            }
        return schema


class AudienceFieldSchema(OpenApiSerializerFieldExtension):
    """`audience` is one fixed word per shape: the discriminator's value."""

    target_class = "common.fields.AudienceField"

    def map_serializer_field(self, auto_schema, direction):
        audience = self.target.audience
        return {
            "type": "string",
            "const": audience,
            "readOnly": True,
            "description": f"Always `{audience}`: which shape this body is.",
        }


class ContractAutoSchema(AutoSchema):
    def _action(self) -> str | None:
        return getattr(self.view, "action", None)

    def _resource_tokens(self) -> list[str]:
        """The path's words without the action's own (`bookings`, not
        `bookings verify-payment`)."""
        tokens = self._tokenize_path()
        action = self._action()
        handler = getattr(self.view, action, None) if action else None
        url_path = getattr(handler, "url_path", None)
        if url_path and getattr(handler, "mapping", None) is not None:
            tokens = tokens[: len(tokens) - len(url_path.split("/"))]
        return [token.replace("-", "_") for token in tokens]

    def get_operation_id(self) -> str:
        action = self._action()
        if action is None:
            return super().get_operation_id()
        return "_".join([*self._resource_tokens(), action])

    def get_tags(self) -> list[str]:
        return ["/".join(self._resource_tokens()) or "root"]

    def get_summary(self) -> str | None:
        template = STANDARD_SUMMARIES.get(self._action() or "")
        model = get_view_model(self.view, emit_warnings=False)
        if template is None or model is None:
            return None
        noun, plural = getattr(
            self.view,
            "schema_nouns",
            (model._meta.verbose_name, model._meta.verbose_name_plural),
        )
        return template.format(noun=noun, plural=plural).capitalize()

    def get_auth(self):
        auths = super().get_auth()
        if {} not in auths and self._anyone_may_call():
            auths.append({})
        return auths

    def _anyone_may_call(self) -> bool:
        """Whether the view's permissions let an anonymous request through."""
        request = Request(APIRequestFactory().generic(self.method, self.path))
        request.user = AnonymousUser()
        return all(
            permission.has_permission(request, self.view)
            for permission in self.view.get_permissions()
        )

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            add_error_responses(self, operation, self._error_response)
        return operation

    def _error_response(self, status_code: str, description: str) -> dict:
        return self._get_response_for_code(
            OpenApiResponse(ErrorSerializer, description=description),
            status_code,
            media_types=["application/json"],
        )


def _operations(result):
    for path, path_item in result["paths"].items():
        for method, operation in path_item.items():
            yield path, method, operation


def _spell_nullable_for_31(node) -> None:
    """`nullable: true` is OpenAPI 3.0 (DRF's paginator still writes it); 3.1
    ignores it, so `next: null` would fail. Spell it `type: [X, "null"]`."""
    if isinstance(node, dict):
        if node.pop("nullable", False) and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        for value in node.values():
            _spell_nullable_for_31(value)
    elif isinstance(node, list):
        for value in node:
            _spell_nullable_for_31(value)


# Response fields the server leaves out in some answers: only field errors
# carry `errors`, and these summaries and instructions name what applies.
SOMETIMES_ABSENT = {
    "Error",
    "ImportSummary",
    "PaymentInstructions",
    "ClosureConflictError",
}


def _always_sent(name: str, schema: dict) -> bool:
    return (
        schema.get("type") == "object"
        and "properties" in schema
        and not name.endswith("Request")
        and name not in SOMETIMES_ABSENT
    )


def _names_an_id(parameter) -> bool:
    return parameter["in"] == "path" and parameter["name"] == "id"


def contract_postprocessing_hook(result, generator, request, public):
    """Make the generated document strict (see the module docstring)."""
    _spell_nullable_for_31(result)
    schemas = result["components"]["schemas"]
    schemas["ErrorCode"] = {
        "type": "string",
        "enum": error_code_values(),
        "description": "Every error code the API answers with; docs/api.md "
        "says what each means.",
    }
    schemas["Error"]["properties"]["code"] = {"$ref": "#/components/schemas/ErrorCode"}
    for name, schema in schemas.items():
        # Requests may carry keys the server ignores (documented); responses
        # carry exactly what their schema names.
        if (
            schema.get("type") == "object"
            and "properties" in schema
            and not name.endswith("Request")
        ):
            schema.setdefault("additionalProperties", False)
        if _always_sent(name, schema):
            # Generators type a field not `required` as possibly undefined;
            # the contract check (every test's responses) holds the server to it.
            schema["required"] = list(schema["properties"])
        own_id = schema.get("properties", {}).get("id")
        if own_id is not None and own_id.get("type") == "integer":
            own_id.update(ID_SCHEMA)
    error_schemas(result)
    for _path, _method, operation in _operations(result):
        for parameter in operation.get("parameters", []):
            if _names_an_id(parameter):
                parameter["schema"] = dict(ID_SCHEMA)
        takes_key = any(
            parameter["name"] == "Idempotency-Key"
            for parameter in operation.get("parameters", [])
        )
        if takes_key:
            for status_code, response in operation["responses"].items():
                headers = response.setdefault("headers", {})
                headers["Idempotent-Replayed"] = IDEMPOTENT_REPLAYED
                if status_code == "409":
                    headers["Retry-After"] = RETRY_AFTER
    return result


def schema_document() -> str:
    """The schema as /api/schema/ serves it, as YAML (docs/openapi.yaml)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiYamlRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return OpenApiYamlRenderer().render(schema, renderer_context={}).decode()


class StrictFilterParameters(DjangoFilterExtension):
    """StrictFilterBackend refuses a filter given with no value, so no string
    filter's schema allows "" (choices with a blank one listed it)."""

    target_class = "common.filters.StrictFilterBackend"
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        parameters = super().get_schema_operation_parameters(
            auto_schema, *args, **kwargs
        )
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") != "string":
                continue
            if "enum" in schema:
                schema["enum"] = [value for value in schema["enum"] if value != ""]
            elif "format" not in schema and "pattern" not in schema:
                schema.setdefault("minLength", 1)
        return parameters
