from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.availability.serializers import (
    BookableSlotQuerySerializer,
    BookableSlotSerializer,
)
from apps.availability.views import bookable_slots_for
from apps.bookings import selectors, services
from apps.bookings.filters import BookingFilter
from apps.bookings.models import BookingEvent
from apps.bookings.serializers import (
    BookingCancelSerializer,
    BookingCreateSerializer,
    BookingDetailSerializer,
    BookingSerializer,
    BookingUpdateSerializer,
)


def _source_for(user) -> str:
    if user.is_authenticated and user.is_staff:
        return BookingEvent.Source.STAFF
    return BookingEvent.Source.GUEST


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
    public_actions = {"create", "availability"}

    def get_permissions(self):
        if self.action in self.public_actions:
            return [permissions.AllowAny()]
        return [permissions.IsAdminUser()]

    def get_queryset(self):
        bookings = selectors.booking_list()
        if self.action == "retrieve" or self.action in {
            "update",
            "partial_update",
            "verify_payment",
            "cancel",
            "complete",
        }:
            bookings = bookings.prefetch_related("events__actor")
        return bookings

    def get_serializer_class(self):
        # Input serializers here give the browsable API the right forms.
        if self.action == "create":
            return BookingCreateSerializer
        if self.action == "cancel":
            return BookingCancelSerializer
        if self.request is not None and self.request.method in ("PUT", "PATCH"):
            return BookingUpdateSerializer
        if self.action == "list":
            return BookingSerializer
        return BookingDetailSerializer

    def _render(self, booking, serializer_class=BookingDetailSerializer):
        """Re-read the booking with its relations and render it."""
        booking = self.get_queryset().get(pk=booking.pk)
        return Response(serializer_class(booking).data)

    @extend_schema(
        request=BookingCreateSerializer,
        responses={201: BookingSerializer},
        description="Book a slot. The booking awaits payment until "
        "`payment_expires_at`; `payment_instructions` says how to pay. "
        "409 `slot_unavailable` means someone else was faster: refresh the slots.",
    )
    def create(self, request, *args, **kwargs):
        serializer = BookingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = services.booking_create(
            **serializer.validated_data,
            actor=request.user,
            source=_source_for(request.user),
        )
        response = self._render(booking, BookingSerializer)
        response.status_code = status.HTTP_201_CREATED
        return response

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        booking = self.get_object()
        serializer = BookingUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        booking = services.booking_update(
            booking=booking, actor=request.user, changes=serializer.validated_data
        )
        return self._render(booking)

    def destroy(self, request, *args, **kwargs):
        services.booking_delete(booking=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=BookingDetailSerializer,
        description="Staff only. `awaiting_payment` -> `confirmed`, recording "
        "who verified the payment and when.",
    )
    @action(detail=True, methods=["post"], url_path="verify-payment")
    def verify_payment(self, request, pk=None):
        booking = services.booking_verify_payment(
            booking=self.get_object(), actor=request.user
        )
        return self._render(booking)

    @extend_schema(
        request=BookingCancelSerializer,
        responses=BookingDetailSerializer,
        description="Staff only. Cancels an `awaiting_payment` or `confirmed` "
        "booking before its slot starts and frees the slot.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        serializer = BookingCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = services.booking_cancel(
            booking=self.get_object(),
            actor=request.user,
            reason=serializer.validated_data.get("reason", ""),
        )
        return self._render(booking)

    @extend_schema(
        request=None,
        responses=BookingDetailSerializer,
        description="Staff only. `confirmed` -> `completed`; final and immutable.",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        booking = services.booking_complete(
            booking=self.get_object(), actor=request.user
        )
        return self._render(booking)

    @extend_schema(
        parameters=[BookableSlotQuerySerializer],
        responses=BookableSlotSerializer(many=True),
        description="Bookable slots, earliest first: in the future, free, their "
        "staff member active; with `service`, only slots of staff offering it "
        "and long enough for it. `date` is a day in the business timezone.",
    )
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[],
        serializer_class=BookableSlotSerializer,
    )
    def availability(self, request):
        page = self.paginate_queryset(bookable_slots_for(request))
        serializer = BookableSlotSerializer(page, many=True)
        return self.get_paginated_response(serializer.data)
