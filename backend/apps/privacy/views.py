from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.privacy import exceptions as privacy_errors
from apps.privacy import guest, services
from apps.privacy.models import ErasureRecord
from apps.privacy.serializers import (
    ContactSerializer,
    ErasureRequestSerializer,
    ErasureResultSerializer,
    ErasureSerializer,
    ExportSerializer,
    GuestConfirmAnswerSerializer,
    GuestConfirmSerializer,
    GuestRequestAnswerSerializer,
    GuestRequestSerializer,
)
from apps.ratelimits.throttles import FixedWindowThrottle
from common.api import ErrorSerializer
from common.exceptions import LockTimeout, raises
from common.permissions import PUBLIC


def erasure_answer(result: services.ErasureResult) -> dict:
    return ErasureResultSerializer(_answered(result)).data


def _answered(result: services.ErasureResult):
    """The record, with what the answer says beyond it."""
    record = result.record
    record.nothing_left = result.nothing_left
    record.previous_erasures = [previous.created_at for previous in result.previous]
    if result.nothing_left:
        record.detail = "Nothing is left of this contact: no booking holds it." + (
            " It was erased before." if result.previous else ""
        )
    else:
        record.detail = (
            f"Anonymised {len(result.erased)} bookings; kept {len(result.kept)} "
            "still ahead."
        )
    return record


class ErasureViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Erase a guest's personal data on request; the record of past erasures."""

    queryset = ErasureRecord.objects.select_related("requested_by")
    serializer_class = ErasureSerializer
    action_permissions = {
        "list": ("privacy.view_erasurerecord",),
        "create": ("privacy.erase_personal_data",),
    }
    filter_backends = []

    @extend_schema(
        request=ErasureRequestSerializer,
        responses={201: ErasureResultSerializer, 400: ErrorSerializer},
        summary="Erase a guest's personal data",
        description="Anonymises every booking of the email or phone that is not "
        "still ahead (awaiting payment, or confirmed with the appointment to "
        "come): name, email, phone, notes, cancel reason and client hashes, and "
        "the same data in the emails sent, audit notes, stored answers, bank "
        "credits matched and webhook messages. Amounts, dates, references and "
        "statuses stay. `kept` lists the bookings left, with why.",
    )
    @raises(privacy_errors.ContactRequired, privacy_errors.ContactUnusable, LockTimeout)
    def create(self, request):
        query = ErasureRequestSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        result = services.personal_data_erase(
            email=query.validated_data.get("email", ""),
            phone=query.validated_data.get("phone", ""),
            reason=query.validated_data["reason"],
            actor=request.user,
        )
        return Response(erasure_answer(result), status=status.HTTP_201_CREATED)


class ExportViewSet(viewsets.GenericViewSet):
    """What the business holds about one guest, as JSON (the right of access)."""

    action_permissions = {"list": ("privacy.export_personal_data",)}
    filter_backends = []
    pagination_class = None
    serializer_class = ExportSerializer

    @extend_schema(
        parameters=[ContactSerializer],
        responses={200: ExportSerializer, 400: ErrorSerializer},
        summary="Export a guest's personal data",
        description="Every booking of the email (or phone), its audit trail, the "
        "emails sent about it, the bank credits matched to it, webhook messages "
        "about it, and the erasures already made for the contact.",
    )
    @raises(privacy_errors.ContactRequired, privacy_errors.ContactUnusable)
    def list(self, request):
        query = ContactSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = services.personal_data_export(
            email=query.validated_data.get("email", ""),
            phone=query.validated_data.get("phone", ""),
        )
        response = Response(ExportSerializer(data).data)
        response["Cache-Control"] = "private, no-store"
        return response


class GuestLookupThrottle(FixedWindowThrottle):
    """The lookups' budget: probing addresses costs what probing references
    costs (the same counter)."""

    scope = "booking_lookup"


GUEST_ANSWER = (
    "If this address has bookings with us, we have emailed it a link to "
    "confirm. The link works once and for a short while."
)


class GuestRequestViewSet(viewsets.GenericViewSet):
    """A guest asks for their data, or for its erasure, from the guest page."""

    action_permissions = {"create": PUBLIC, "confirm": PUBLIC}
    throttle_classes = [GuestLookupThrottle]
    authentication_classes = []
    filter_backends = []
    serializer_class = GuestRequestSerializer

    @extend_schema(
        request=GuestRequestSerializer,
        responses={202: GuestRequestAnswerSerializer, 400: ErrorSerializer},
        summary="Ask to export or erase your data",
        description="The same answer, with the same work behind it, whether or "
        "not the address is known; a link to confirm is emailed (by the next "
        "scheduled run) only to an address with bookings.",
    )
    def create(self, request):
        query = GuestRequestSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        guest.guest_request_create(**query.validated_data)
        return Response({"detail": GUEST_ANSWER}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=GuestConfirmSerializer,
        responses={200: GuestConfirmAnswerSerializer, 400: ErrorSerializer},
        summary="Confirm with the emailed link",
        description="Exports (the JSON of GET /api/privacy/export/) or erases "
        "(the answer of POST /api/privacy/erasures/), once per link.",
    )
    @action(detail=False, methods=["post"])
    @raises(
        privacy_errors.ContactRequired,
        privacy_errors.ContactUnusable,
        privacy_errors.PrivacyLinkInvalid,
        LockTimeout,
    )
    def confirm(self, request):
        query = GuestConfirmSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        done = guest.guest_request_confirm(token=query.validated_data["token"])
        answer = {
            "action": done.action,
            "export": done.export,
            "erasure": _answered(done.erasure) if done.erasure else None,
        }
        response = Response(GuestConfirmAnswerSerializer(answer).data)
        response["Cache-Control"] = "private, no-store"
        return response
