from drf_spectacular.utils import extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.availability import exceptions as availability_errors
from apps.availability import services
from apps.availability.filters import AvailabilityFilter
from apps.availability.models import Availability
from apps.availability.selectors import (
    availability_bookable_listing,
    availability_bookable_rows,
    availability_list,
)
from apps.availability.serializers import (
    AvailabilitySerializer,
    BookableSlotQuerySerializer,
    BookableSlotSerializer,
)
from common.exceptions import LockTimeout, raises
from common.filters import StrictFilterBackend
from common.permissions import has_staff_permission, model_permissions
from common.schema import audience_schemas


def bookable_slot_query(request) -> BookableSlotQuerySerializer:
    """The guest's query parameters, checked for shape (400 on bad ones)."""
    query = BookableSlotQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query


def bookable_slot_page(view, request, *, counted: bool = True):
    """One page of bookable slots for a guest, or 400 for an unknown id.

    A counted page (with `count`) reads the queryset; an uncounted one
    (UncountedPagination: only slices) the same rows through fixed SQL.
    """
    query = bookable_slot_query(request)
    rows = availability_bookable_rows if counted else availability_bookable_listing
    slots = rows(
        service_id=query.validated_data.get("service"),
        staff_id=query.validated_data.get("staff"),
        day=query.validated_data.get("date"),
    )
    page = view.paginate_queryset(slots)
    if not page:
        query.check_ids_exist()
    return view.get_paginated_response(view.get_serializer(page, many=True).data)


def _sees_every_slot(request) -> bool:
    return has_staff_permission(request, "availability.view_availability")


@extend_schema_view(
    **audience_schemas(
        staff=AvailabilitySerializer,
        public=BookableSlotSerializer,
        name="SlotForAudience",
        list_description="Guests get the bookable slots (future, free, active "
        "staff) and may filter by `service`, `staff`, `date`. Staff get every "
        "slot and may filter by `service`, `staff`, `date`, `is_booked`, "
        "`is_closed`, `source`.",
    )
)
class AvailabilityViewSet(viewsets.ModelViewSet):
    """Time slots of staff members that bookings take."""

    schema_nouns = ("slot", "slots")

    action_permissions = model_permissions("availability", "availability")
    filterset_class = AvailabilityFilter
    ordering_fields = ["start_time", "end_time", "created_at"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if _sees_every_slot(self.request):
            return availability_list()
        return availability_bookable_rows()

    def list(self, request, *args, **kwargs):
        if _sees_every_slot(request):
            return super().list(request, *args, **kwargs)
        # Guests' rows ignore the staff filters, but a value the schema
        # forbids (`?source=AAA`) is refused for them as for staff.
        filterset = StrictFilterBackend().get_filterset(
            request, Availability.objects.none(), self
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return bookable_slot_page(self, request)

    def filter_queryset(self, queryset):
        # Guests' filters are applied by the selector in get_queryset.
        if _sees_every_slot(self.request):
            return super().filter_queryset(queryset)
        return queryset

    def get_serializer_class(self):
        if _sees_every_slot(self.request):
            return AvailabilitySerializer
        return BookableSlotSerializer

    @raises(*availability_errors.SLOT_WRITE_ERRORS)
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        slot = services.availability_create(**serializer.validated_data)
        return Response(self.get_serializer(slot).data, status=status.HTTP_201_CREATED)

    @raises(*availability_errors.SLOT_WRITE_ERRORS)
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(
            self.get_object(), data=request.data, partial=partial
        )
        serializer.is_valid(raise_exception=True)
        slot = services.availability_update(
            availability=serializer.instance, changes=serializer.validated_data
        )
        return Response(self.get_serializer(slot).data)

    @raises(
        availability_errors.SlotHasActiveBooking,
        availability_errors.SlotHeld,
        LockTimeout,
    )
    def destroy(self, request, *args, **kwargs):
        services.availability_delete(availability=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
