"""The business calendar over HTTP: working hours and closures (staff), and
the closed days the guest page shows (public)."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.schedules import exceptions as schedules_errors
from apps.schedules import selectors, services
from apps.schedules.filters import ClosureFilter, WorkingHoursFilter
from apps.schedules.serializers import (
    ClosedDaysQuerySerializer,
    ClosedDaysSerializer,
    ClosureConflictErrorSerializer,
    ClosureResultSerializer,
    ClosureSerializer,
    ClosureWriteSerializer,
    FillHorizonSerializer,
    HorizonResultSerializer,
    WorkingHoursSerializer,
)
from common.exceptions import LockTimeout, raises
from common.permissions import PUBLIC

WORKING_HOURS_ERRORS = (
    schedules_errors.InvalidWorkingHours,
    schedules_errors.SlotLongerThanRule,
    schedules_errors.InvalidValidityPeriod,
    schedules_errors.WorkingHoursOverlap,
    LockTimeout,
)
CLOSURE_ERRORS = (
    schedules_errors.InvalidClosureTimes,
    schedules_errors.AbsenceNeedsStaff,
    schedules_errors.ClosureOutOfRange,
    schedules_errors.ClosureConflicts,
    LockTimeout,
)


def _staff_only(app_label: str, model_name: str) -> dict:
    """Front desk reads (view), Manager writes (add, change, delete)."""
    view = (f"{app_label}.view_{model_name}",)
    return {
        "list": view,
        "retrieve": view,
        "create": (f"{app_label}.add_{model_name}",),
        "update": (f"{app_label}.change_{model_name}",),
        "partial_update": (f"{app_label}.change_{model_name}",),
        "destroy": (f"{app_label}.delete_{model_name}",),
    }


@extend_schema_view(
    list=extend_schema(description="Staff only. Filter by `staff`, `weekday`."),
    create=extend_schema(
        description="Manager. A weekly rule: on `weekday` (Monday = 0) from "
        "`start` to `end`, one slot of `slot_minutes` every `slot_minutes + "
        "buffer_minutes`. Several rules a day make breaks. The horizon job "
        "(`run_scheduled_jobs`, or `POST /api/working-hours/fill/`) makes the "
        "slots. 400 `working_hours_overlap` when it overlaps another rule of "
        "the staff member, `invalid_working_hours` for times out of order or "
        "outside 00:00-24:00."
    ),
    destroy=extend_schema(
        description="Manager. The next horizon run removes the free slots it "
        "made; booked ones stay."
    ),
)
class WorkingHoursViewSet(viewsets.ModelViewSet):
    """Weekly working hours of staff members, which the slots are made from."""

    schema_nouns = ("working-hours rule", "working-hours rules")
    serializer_class = WorkingHoursSerializer
    filterset_class = WorkingHoursFilter
    ordering_fields = ["staff", "weekday", "start_minute"]
    lookup_value_regex = r"\d+"
    action_permissions = {
        **_staff_only("schedules", "workinghours"),
        "fill": ("schedules.change_workinghours",),
    }

    def get_queryset(self):
        return selectors.working_hours_list()

    def get_serializer_class(self):
        if self.action == "fill":
            return FillHorizonSerializer
        return WorkingHoursSerializer

    @raises(*WORKING_HOURS_ERRORS)
    def create(self, request, *args, **kwargs):
        serializer = WorkingHoursSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.working_hours_create(**serializer.validated_data)
        return Response(
            WorkingHoursSerializer(rule).data, status=status.HTTP_201_CREATED
        )

    @raises(*WORKING_HOURS_ERRORS)
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        serializer = WorkingHoursSerializer(
            self.get_object(), data=request.data, partial=partial
        )
        serializer.is_valid(raise_exception=True)
        rule = services.working_hours_update(
            rule=serializer.instance, changes=serializer.validated_data
        )
        return Response(WorkingHoursSerializer(rule).data)

    @raises(LockTimeout)
    def destroy(self, request, *args, **kwargs):
        services.working_hours_delete(rule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=FillHorizonSerializer,
        responses=HorizonResultSerializer,
        summary="Make the slots the working hours call for, now",
        description="Manager. Runs the horizon job at once (it also runs with "
        "`run_scheduled_jobs`): slots up to `horizon_days` ahead (default "
        "BOOKING_SLOT_HORIZON_DAYS), free slots no rule makes any more "
        "removed, none made inside a closure. 400 `horizon_too_long` over "
        "366 days.",
    )
    @action(detail=False, methods=["post"])
    @raises(schedules_errors.HorizonTooLong, LockTimeout)
    def fill(self, request):
        serializer = FillHorizonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.slots_fill_horizon(
            horizon_days=serializer.validated_data.get("horizon_days")
        )
        return Response(HorizonResultSerializer(result).data)


CLOSURE_WRITE_RESPONSES = {
    409: OpenApiResponse(
        ClosureConflictErrorSerializer,
        description="`closure_conflicts`: active bookings lie inside the "
        "closure; they are listed under `bookings`. Send it again with "
        "`on_conflict`. Nothing was written.",
    ),
}


@extend_schema_view(
    list=extend_schema(
        description="Staff only. Filter by `kind`, `staff`, `business` (whole-"
        "business ones only), `after` and `before` (instants)."
    ),
    create=extend_schema(
        request=ClosureWriteSerializer,
        responses={201: ClosureResultSerializer, **CLOSURE_WRITE_RESPONSES},
        description="Manager. Close the business (`staff` null) or mark a staff "
        "member absent from `starts_at` to `ends_at`: every slot it overlaps is "
        "hidden at once and the horizon job makes none there. Active bookings "
        "inside it are a 409 `closure_conflicts` listing them, unless "
        "`on_conflict` says what to do. All of it commits together or not at "
        "all.",
    ),
    update=extend_schema(
        request=ClosureWriteSerializer,
        responses={200: ClosureResultSerializer, **CLOSURE_WRITE_RESPONSES},
        description="Manager. Bookings the new time covers that the old one did "
        "not are handled as for a new closure; slots it no longer covers open.",
    ),
    partial_update=extend_schema(
        request=ClosureWriteSerializer,
        responses={200: ClosureResultSerializer, **CLOSURE_WRITE_RESPONSES},
        description="Manager. As PUT, with only the fields given.",
    ),
    destroy=extend_schema(
        description="Manager. The slots it hid open again (unless another "
        "closure covers them); slots it kept the horizon job from making come "
        "on its next run."
    ),
)
class ClosureViewSet(viewsets.ModelViewSet):
    """Holidays, closed days and staff absences."""

    schema_nouns = ("closure", "closures")
    filterset_class = ClosureFilter
    ordering_fields = ["starts_at", "ends_at", "created_at"]
    lookup_value_regex = r"\d+"
    action_permissions = {**_staff_only("schedules", "closure"), "days": PUBLIC}

    def get_queryset(self):
        return selectors.closure_list().select_related("created_by")

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return ClosureWriteSerializer
        if self.action == "days":
            return ClosedDaysQuerySerializer
        return ClosureSerializer

    @raises(*CLOSURE_ERRORS)
    def create(self, request, *args, **kwargs):
        serializer = ClosureWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        on_conflict = fields.pop("on_conflict", None)
        result = services.closure_create(
            **fields, on_conflict=on_conflict, actor=request.user
        )
        return Response(_result(result), status=status.HTTP_201_CREATED)

    @raises(*CLOSURE_ERRORS)
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        serializer = ClosureWriteSerializer(
            self.get_object(), data=request.data, partial=partial
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        on_conflict = changes.pop("on_conflict", None)
        result = services.closure_update(
            closure=serializer.instance,
            changes=changes,
            on_conflict=on_conflict,
            actor=request.user,
        )
        return Response(_result(result))

    @raises(LockTimeout)
    def destroy(self, request, *args, **kwargs):
        services.closure_delete(closure=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[ClosedDaysQuerySerializer],
        responses=ClosedDaysSerializer,
        summary="Days a closure touches, for the guest calendar",
        description="Public. The calendar days (business timezone) from `from` "
        "to `to` that a whole-business closure touches (with `staff`, that "
        "staff member's absences too), one entry per day and closure, with "
        "whether it lasts all day and the note a guest may see. At most 62 "
        "days per request.",
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def days(self, request):
        query = ClosedDaysQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        days = selectors.closed_days(
            first_day=query.validated_data["first_day"],
            last_day=query.validated_data["last_day"],
            staff_id=query.validated_data.get("staff"),
        )
        return Response(
            ClosedDaysSerializer(
                {"timezone": settings.BOOKING_TIMEZONE, "days": days}
            ).data
        )


def _result(result: services.ClosureResult) -> dict:
    """The closure as written, with what became of the bookings inside it."""
    closure = (
        selectors.closure_list().select_related("created_by").get(pk=result.closure.pk)
    )
    closure.handled_bookings = [
        *({"reference": b.reference, "outcome": "kept"} for b in result.kept),
        *({"reference": b.reference, "outcome": "cancelled"} for b in result.cancelled),
        *(
            {"reference": b.reference, "outcome": "offered_reschedule"}
            for b in result.offered
        ),
    ]
    return ClosureResultSerializer(closure).data
