from django.conf import settings
from django.db import transaction
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.response import Response

from apps.availability.selectors import availability_bookable_days
from apps.availability.serializers import (
    BookableDaysQuerySerializer,
    BookableDaysSerializer,
    BookableSlotQuerySerializer,
    BookableSlotSerializer,
)
from apps.availability.views import bookable_slot_page
from apps.bookings import exceptions, guest_access, idempotency, selectors, services
from apps.bookings.filters import BookingFilter
from apps.bookings.models import Booking, BookingEvent
from apps.bookings.serializers import (
    BookingCancelSerializer,
    BookingCreateSerializer,
    BookingDetailSerializer,
    BookingRescheduleSerializer,
    BookingSerializer,
    BookingUpdateSerializer,
    GuestBookingSerializer,
    GuestCancelSerializer,
    GuestLookupSerializer,
    GuestRescheduleSerializer,
    booking_body,
)
from apps.bookings.throttles import (
    BookingCreateThrottle,
    BookingLookupThrottle,
    DeskBookingThrottle,
)
from common.api import UncountedPagination
from common.exceptions import DomainError, LockTimeout, raises
from common.http import ClientKeys, client_keys
from common.permissions import PUBLIC, action_permissions, has_staff_permission

NO_BOOKING_MATCHES = "No booking matches this reference and contact."


def _source_for(request) -> str:
    """Staff who may book for a caller book as staff (no per-contact limit)."""
    if has_staff_permission(request, "bookings.add_booking"):
        return BookingEvent.Source.STAFF
    return BookingEvent.Source.GUEST


# A PATCH or PUT that changes `status` also needs that transition's permission.
STATUS_CHANGE_PERMISSIONS = {
    Booking.Status.CONFIRMED: "bookings.verify_payment",
    Booking.Status.CANCELLED: "bookings.cancel_booking",
    Booking.Status.COMPLETED: "bookings.complete_booking",
}


@extend_schema_view(
    list=extend_schema(
        description="Staff only. Filter by `status`, `service`, `staff`, `date`; "
        "sort with `ordering`.",
        responses=BookingSerializer(many=True),
    ),
    retrieve=extend_schema(
        description="Staff only. The booking with its audit events.",
        responses=BookingDetailSerializer,
    ),
    update=extend_schema(
        request=BookingUpdateSerializer,
        responses=BookingDetailSerializer,
    ),
    partial_update=extend_schema(
        request=BookingUpdateSerializer,
        responses=BookingDetailSerializer,
    ),
    destroy=extend_schema(
        description="Staff only. Deletes the booking and frees its slot; "
        "completed bookings cannot be deleted (409).",
        responses={204: None},
    ),
)
class BookingViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Guests create bookings; staff list, verify, complete and cancel them."""

    filterset_class = BookingFilter
    ordering_fields = [
        "created_at",
        "payment_expires_at",
        "status",
        "availability__start_time",
    ]
    lookup_value_regex = r"\d+"
    action_permissions = {
        "create": PUBLIC,
        "availability": PUBLIC,
        "availability_days": PUBLIC,
        "lookup": PUBLIC,
        "lookup_cancel": PUBLIC,
        "lookup_reschedule": PUBLIC,
        "list": ("bookings.view_booking",),
        "retrieve": ("bookings.view_booking",),
        "update": ("bookings.change_booking",),
        "partial_update": ("bookings.change_booking",),
        "destroy": ("bookings.delete_booking",),
        "verify_payment": ("bookings.verify_payment",),
        "cancel": ("bookings.cancel_booking",),
        "complete": ("bookings.complete_booking",),
        "reschedule": ("bookings.reschedule_booking",),
    }
    guest_lookup_actions = {"lookup", "lookup_cancel", "lookup_reschedule"}

    def required_permissions(self, request):
        required = action_permissions(self)
        if self.action in ("update", "partial_update"):
            new_status = (
                request.data.get("status") if hasattr(request.data, "get") else None
            )
            if isinstance(new_status, str) and new_status in STATUS_CHANGE_PERMISSIONS:
                required = (*required, STATUS_CHANGE_PERMISSIONS[new_status])
        return required

    def get_throttles(self):
        if self.action == "create":
            return [BookingCreateThrottle(), DeskBookingThrottle()]
        if self.action in self.guest_lookup_actions:
            return [BookingLookupThrottle()]
        return []

    # Actions that render one booking with its audit events.
    detail_actions = {
        "retrieve",
        "update",
        "partial_update",
        "verify_payment",
        "cancel",
        "complete",
        "reschedule",
    }
    # Serializers by action (the browsable API takes its forms from them);
    # the rest render BookingDetailSerializer.
    action_serializers = {
        "list": BookingSerializer,
        "availability": BookableSlotSerializer,
        "availability_days": BookableDaysQuerySerializer,
        "create": BookingCreateSerializer,
        "cancel": BookingCancelSerializer,
        "lookup": GuestLookupSerializer,
        "lookup_cancel": GuestCancelSerializer,
        "reschedule": BookingRescheduleSerializer,
        "lookup_reschedule": GuestRescheduleSerializer,
    }

    def get_queryset(self):
        bookings = selectors.booking_list()
        if self.action in self.detail_actions:
            bookings = bookings.prefetch_related("events__actor")
        return bookings

    def get_serializer_class(self):
        if self.action in self.action_serializers:
            return self.action_serializers[self.action]
        if self.request is not None and self.request.method in ("PUT", "PATCH"):
            return BookingUpdateSerializer
        return BookingDetailSerializer

    def _render(self, booking, serializer_class=BookingDetailSerializer):
        """Re-read the booking with its relations and render it."""
        booking = self.get_queryset().get(pk=booking.pk)
        return Response(serializer_class(booking).data)

    @extend_schema(
        request=BookingCreateSerializer,
        summary="Book a slot (guests and staff)",
        responses={201: BookingSerializer},
        parameters=[idempotency.HEADER_PARAMETER],
        description="Book a slot. The booking awaits payment until "
        "`payment_expires_at`; `payment_instructions` says how to pay. "
        "409 `slot_unavailable` means someone else was faster: refresh the slots. "
        "Throttled per client IP (429 with Retry-After).\n\n"
        "Staff with the add-booking permission book for a guest at the desk: "
        "no guest limits (throttled per staff user instead), `customer_email` "
        "may be left out, and `paid_at_desk` (`cash`, `card`, `transfer`; "
        "needs the verify-payment permission, else 403) records the payment "
        "at once: 201 with `status: confirmed`. Guests sending `paid_at_desk` "
        "get 400.",
    )
    @raises(*exceptions.CREATE_ERRORS, *idempotency.ERRORS, PermissionDenied)
    def create(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return self._create_booking(request)
        answer, replayed = idempotency.respond_once(
            idempotency.idempotent_request(request, key=key),
            lambda: self._create_booking_answer(request),
        )
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return Response(answer.body, status=answer.status, headers=headers)

    def _create_booking_answer(self, request) -> idempotency.Answer:
        """The create's answer to store with the key: the booking, or a refusal.

        A refusal (4xx) is kept, so a retry is refused the same way; a server
        error propagates and rolls the key back with everything else.
        """
        try:
            response = self._create_booking(request)
        except (DomainError, APIException) as error:
            if error.status_code >= 500:
                raise
            response = self.handle_exception(error)
            return idempotency.Answer(response.status_code, response.data)
        return idempotency.Answer(
            response.status_code, response.data, booking_id=response.data["id"]
        )

    def _create_booking(self, request):
        source = _source_for(request)
        guest = source == BookingEvent.Source.GUEST
        serializer = BookingCreateSerializer(
            data=request.data, context={"desk": not guest}
        )
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        if fields.get("paid_at_desk") and not has_staff_permission(
            request, "bookings.verify_payment"
        ):
            raise PermissionDenied("Taking a payment needs the verify-payment right.")
        client = client_keys(request) if guest else ClientKeys(client="")
        # No `locale` given: the language LocaleMiddleware read from
        # Accept-Language (`pt-PT`, `pt` -> pt-pt), else the business's.
        fields.setdefault("locale", request.LANGUAGE_CODE)
        booking = services.booking_create(
            service_id=fields.pop("service"),
            availability_id=fields.pop("availability"),
            staff_id=fields.pop("staff", None),
            **fields,
            actor=request.user,
            source=source,
            client_key=client.client,
            client_site_key=client.site,
            client_network_key=client.network,
        )
        # booking_create returns the booking with its service, staff and slot
        # loaded, so it renders without reading it back; as a plain dict, the
        # serializer's JSON byte for byte (issue 35).
        return Response(booking_body(booking), status=status.HTTP_201_CREATED)

    @raises(*exceptions.UPDATE_ERRORS)
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        booking = self.get_object()
        serializer = BookingUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        booking = services.booking_update(
            booking=booking, actor=request.user, changes=serializer.validated_data
        )
        return self._render(booking)

    @raises(exceptions.BookingImmutable, LockTimeout)
    def destroy(self, request, *args, **kwargs):
        services.booking_delete(booking=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=BookingDetailSerializer,
        summary="Confirm that a booking is paid",
        description="Staff only. `awaiting_payment` -> `confirmed`, recording "
        "who verified the payment and when.",
    )
    @action(detail=True, methods=["post"], url_path="verify-payment")
    @raises(exceptions.InvalidTransition, LockTimeout)
    def verify_payment(self, request, pk=None):
        booking = services.booking_verify_payment(
            booking=self.get_object(), actor=request.user
        )
        return self._render(booking)

    @extend_schema(
        request=BookingCancelSerializer,
        summary="Cancel a booking (staff)",
        responses=BookingDetailSerializer,
        description="Staff only. Cancels an `awaiting_payment` or `confirmed` "
        "booking before its slot starts and frees the slot. `reason` is "
        "recorded; for a paid booking `refund_due` records that the money is "
        "owed back (the refunds export picks it up); `notify_guest: false` "
        "sends the guest no email. 409 `booking_started` once it started.",
    )
    @action(detail=True, methods=["post"])
    @raises(*exceptions.CANCEL_ERRORS, exceptions.NothingToRefund)
    def cancel(self, request, pk=None):
        serializer = BookingCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = services.booking_cancel(
            booking=self.get_object(),
            actor=request.user,
            reason=serializer.validated_data.get("reason", ""),
            refund_due=serializer.validated_data["refund_due"],
            notify_guest=serializer.validated_data["notify_guest"],
        )
        return self._render(booking)

    @extend_schema(
        request=None,
        responses=BookingDetailSerializer,
        description="Staff only. `confirmed` -> `completed`, once the "
        "appointment has started (409 `booking_not_started` before); final "
        "and immutable.",
        summary="Mark a booking completed",
    )
    @action(detail=True, methods=["post"])
    @raises(*exceptions.COMPLETE_ERRORS)
    def complete(self, request, pk=None):
        booking = services.booking_complete(
            booking=self.get_object(), actor=request.user
        )
        return self._render(booking)

    @extend_schema(
        request=BookingRescheduleSerializer,
        summary="Move a booking to another slot (staff)",
        responses=BookingDetailSerializer,
        description="Staff only. Moves an `awaiting_payment` or `confirmed` "
        "booking, before its slot starts, to another bookable slot for its "
        "service (the staff member follows the slot). Status, payment, "
        "reference, amount and deadline are kept; the guest is emailed. "
        "409 `slot_unavailable` when the target is taken, `invalid_transition` "
        "from a final status, `booking_started` once the current slot started; "
        "400 when the target does not fit the service.",
    )
    @action(detail=True, methods=["post"])
    @raises(*exceptions.RESCHEDULE_ERRORS)
    def reschedule(self, request, pk=None):
        serializer = BookingRescheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = services.booking_reschedule(
            booking=self.get_object(),
            availability=serializer.validated_data["availability"],
            actor=request.user,
            source=BookingEvent.Source.STAFF,
        )
        return self._render(booking)

    def _guest_booking(self, proof_serializer_class):
        proof = proof_serializer_class(data=self.request.data)
        proof.is_valid(raise_exception=True)
        booking = guest_access.booking_for_proof(
            reference=proof.validated_data["reference"],
            email=proof.validated_data.get("email", ""),
            phone=proof.validated_data.get("phone", ""),
            access_token=proof.validated_data.get("access_token", ""),
        )
        if booking is None:
            raise NotFound(NO_BOOKING_MATCHES)
        return booking, proof.validated_data

    def _spend_link(self, booking, proof) -> str | None:
        """Spend the emailed link's token (if that was the proof); the next one.

        Called in the transaction of the guest's action, so a refused action
        leaves the token as it was.
        """
        if not proof.get("access_token"):
            return None
        next_token = guest_access.access_link_spend(
            booking=booking, access_token=proof["access_token"]
        )
        if next_token is None:
            raise NotFound(NO_BOOKING_MATCHES)
        return next_token

    def _render_for_guest(self, booking, access_token):
        booking = self.get_queryset().get(pk=booking.pk)
        booking.access_token = access_token
        return Response(GuestBookingSerializer(booking).data)

    @extend_schema(
        request=GuestLookupSerializer,
        summary="Find my booking by reference and contact (guests)",
        responses=GuestBookingSerializer,
        description="Guests: look up one booking by its reference and the email "
        "or phone it was made with. A wrong contact gets the same 404 as an "
        "unknown reference. Throttled per client IP and IPv6 /48. After "
        "BOOKING_MAX_FAILED_PROOFS_PER_HOUR wrong proofs of one reference "
        "(from anywhere) it answers only to `access_token`, from a link "
        "emailed to the booking's address when its right proof is given.",
    )
    @action(detail=False, methods=["post"])
    @raises(NotFound)
    def lookup(self, request):
        booking, proof = self._guest_booking(GuestLookupSerializer)
        with transaction.atomic():
            next_token = self._spend_link(booking, proof)
        return self._render_for_guest(booking, next_token)

    @extend_schema(
        request=GuestCancelSerializer,
        summary="Cancel my booking (guests)",
        responses=GuestBookingSerializer,
        description="Guests: cancel a booking, with the same proof as lookup. "
        "Allowed while it awaits payment, or when confirmed up to "
        "BOOKING_GUEST_CANCEL_NOTICE_HOURS before it starts (409 "
        "`cancel_notice_passed` after that). Throttled per client IP.",
    )
    @action(detail=False, methods=["post"], url_path="lookup/cancel")
    @raises(NotFound, *exceptions.CANCEL_ERRORS)
    def lookup_cancel(self, request):
        booking, proof = self._guest_booking(GuestCancelSerializer)
        with transaction.atomic():
            next_token = self._spend_link(booking, proof)
            booking = services.booking_cancel(
                booking=booking,
                source=BookingEvent.Source.GUEST,
                reason=proof.get("reason") or "Cancelled by the guest.",
            )
        return self._render_for_guest(booking, next_token)

    @extend_schema(
        request=GuestRescheduleSerializer,
        summary="Move my booking to another slot (guests)",
        responses=GuestBookingSerializer,
        description="Guests: move a booking to another bookable slot for its "
        "service, with the same proof as lookup. Allowed while it awaits "
        "payment, or when confirmed up to BOOKING_GUEST_CANCEL_NOTICE_HOURS "
        "before it starts (409 `reschedule_notice_passed` after that). "
        "Throttled per client IP.",
    )
    @action(detail=False, methods=["post"], url_path="lookup/reschedule")
    @raises(NotFound, *exceptions.RESCHEDULE_ERRORS)
    def lookup_reschedule(self, request):
        booking, proof = self._guest_booking(GuestRescheduleSerializer)
        with transaction.atomic():
            next_token = self._spend_link(booking, proof)
            booking = services.booking_reschedule(
                booking=booking,
                availability=proof["availability"],
                source=BookingEvent.Source.GUEST,
            )
        return self._render_for_guest(booking, next_token)

    @extend_schema(
        parameters=[BookableSlotQuerySerializer],
        summary="List bookable slots for a service and day",
        responses=BookableSlotSerializer(many=True),
        description="Bookable slots, earliest first: in the future, free, their "
        "staff member active; with `service`, only slots of staff offering it "
        "and long enough for it. `date` is a day in the business timezone.",
    )
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[],
        pagination_class=UncountedPagination,
    )
    def availability(self, request):
        return bookable_slot_page(self, request, counted=False)

    @extend_schema(
        summary="Days with bookable slots, for a calendar",
        parameters=[BookableDaysQuerySerializer],
        responses=BookableDaysSerializer,
        description="The calendar days (in the business timezone) from `from` to "
        "`to` that have bookable slots, each with how many; days without are "
        "left out. At most 62 days per request; `service` and `staff` narrow "
        "it as for the slot listing.",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="availability/days",
        filter_backends=[],
        pagination_class=None,
    )
    def availability_days(self, request):
        query = BookableDaysQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        days = availability_bookable_days(
            first_day=query.validated_data["first_day"],
            last_day=query.validated_data["last_day"],
            service_id=query.validated_data.get("service"),
            staff_id=query.validated_data.get("staff"),
        )
        if not days:
            query.check_ids_exist()
        body = {"timezone": settings.BOOKING_TIMEZONE, "days": days}
        return Response(BookableDaysSerializer(body).data)
