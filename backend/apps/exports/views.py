from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation

from apps.exports import services, writers
from apps.exports.serializers import (
    BookingExportQuerySerializer,
    PaymentExportQuerySerializer,
)
from common.api import ErrorSerializer

FILE_RESPONSES = {
    (200, content_type.split(";")[0]): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="The export as a file, streamed: xlsx, or CSV for `csv` and "
        "`csv-semicolon`.",
    )
    for name, content_type in writers.CONTENT_TYPES.items()
    if name != writers.CSV_SEMICOLON
}


class _NoFormatOverride:
    URL_FORMAT_OVERRIDE = None


class FileFormatNegotiation(DefaultContentNegotiation):
    """Here `?format=` names the file to build (xlsx, csv, ...), not one of
    DRF's renderers; errors are still rendered as the client accepts."""

    settings = _NoFormatOverride()


def _streamed(request, *, kind: str, query_serializer):
    query = query_serializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    export = services.export_file(
        kind=kind,
        query=query.export_query(),
        file_format=query.validated_data["format"],
        include_contact=services.may_see_contact(request.user),
    )
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class ExportViewSet(viewsets.GenericViewSet):
    """The month's books for the accountant: bookings and payments as files."""

    action_permissions = {
        "bookings": services.PERMISSIONS[services.BOOKINGS],
        "payments": services.PERMISSIONS[services.PAYMENTS],
    }
    filter_backends = []
    pagination_class = None
    content_negotiation_class = FileFormatNegotiation

    @extend_schema(
        parameters=[BookingExportQuerySerializer],
        summary="Export bookings (xlsx or CSV)",
        responses={**FILE_RESPONSES, 400: ErrorSerializer},
        description="One row per booking whose appointment (or creation, "
        "`date_basis=created`) falls from `from` to `to`: reference, created, "
        "appointment, service, staff, amount due, amount paid, paid on, payment "
        "source, status, and guest name and email for roles that may see them. "
        "The xlsx ends with totals per service and per staff member. Cells that "
        "could run as a formula are written as text.",
    )
    @action(detail=False, methods=["get"])
    def bookings(self, request):
        return _streamed(
            request,
            kind=services.BOOKINGS,
            query_serializer=BookingExportQuerySerializer,
        )

    @extend_schema(
        parameters=[PaymentExportQuerySerializer],
        summary="Export payments (xlsx or CSV)",
        responses={**FILE_RESPONSES, 400: ErrorSerializer},
        description="Every bank credit (any outcome) and every payment staff "
        "verified, by the day paid (or the booking's appointment or creation "
        "day): amount, source, booking, outcome, refund. The xlsx ends with "
        "totals per service and per staff member of what paid for bookings.",
    )
    @action(detail=False, methods=["get"])
    def payments(self, request):
        return _streamed(
            request,
            kind=services.PAYMENTS,
            query_serializer=PaymentExportQuerySerializer,
        )
