"""The floors' one endpoint each: book a free slot, answer 201 with the booking.

Both run `book` below, the raw baseline's transaction written with the ORM
(BEGIN, the slot locked with its staff member, the booking and its audit
event inserted, the slot flagged, COMMIT); they differ only in the edge: a
plain view with `json.loads` and `JsonResponse` (F1), or a DRF APIView with a
serializer for the input and one for the answer (F2).
"""

import json
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_POST
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.availability.models import Availability
from apps.bookings.models import Booking, BookingEvent

AMOUNT_DUE = Decimal(30)
PAYMENT_WINDOW = timedelta(minutes=30)


def book(*, service_id, slot_id, name, email, phone):
    """The booking, or None when the slot is missing, taken or its staff away."""
    now = timezone.now()
    with transaction.atomic():
        slot = (
            Availability.objects.select_for_update(no_key=True, of=("self",))
            .select_related("staff")
            .filter(pk=slot_id)
            .first()
        )
        if slot is None or slot.is_booked or not slot.staff.is_active:
            return None
        booking = Booking.objects.create(
            service_id=service_id,
            staff_id=slot.staff_id,
            availability=slot,
            customer_name=name,
            customer_email=email,
            customer_phone=phone,
            customer_phone_digits=phone.lstrip("+"),
            customer_email_key=email.lower(),
            amount_due=AMOUNT_DUE,
            status=Booking.Status.AWAITING_PAYMENT,
            payment_expires_at=now + PAYMENT_WINDOW,
            created_at=now,
        )
        BookingEvent.objects.create(
            booking=booking,
            kind=BookingEvent.Kind.CREATED,
            from_status="",
            to_status=booking.status,
            source=BookingEvent.Source.GUEST,
            created_at=now,
        )
        Availability.objects.filter(pk=slot_id).update(is_booked=True, updated_at=now)
    return booking


UNAVAILABLE = {"code": "slot_unavailable", "detail": "This slot is not free."}


# --- F1: plain Django -----------------------------------------------------------------


@require_POST
def f1_create(request):
    try:
        data = json.loads(request.body)
        fields = {
            "service_id": int(data["service"]),
            "slot_id": int(data["availability"]),
            "name": str(data["customer_name"])[:120],
            "email": str(data["customer_email"]),
            "phone": str(data["customer_phone"])[:32],
        }
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"code": "invalid"}, status=400)
    booking = book(**fields)
    if booking is None:
        return JsonResponse(UNAVAILABLE, status=409)
    return JsonResponse(
        {
            "id": booking.pk,
            "reference": booking.reference,
            "status": booking.status,
            "service": booking.service_id,
            "staff": booking.staff_id,
            "availability": booking.availability_id,
            "customer_name": booking.customer_name,
            "customer_email": booking.customer_email,
            "customer_phone": booking.customer_phone,
            "amount_due": str(booking.amount_due),
            "payment_expires_at": booking.payment_expires_at.isoformat(),
            "created_at": booking.created_at.isoformat(),
        },
        status=201,
    )


# --- F2: DRF --------------------------------------------------------------------------


class F2CreateSerializer(serializers.Serializer):
    service = serializers.IntegerField(min_value=1)
    availability = serializers.IntegerField(min_value=1)
    customer_name = serializers.CharField(max_length=120)
    customer_email = serializers.EmailField()
    customer_phone = serializers.CharField(max_length=32)


class F2BookingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Booking
        fields = (
            "id",
            "reference",
            "status",
            "service",
            "staff",
            "availability",
            "customer_name",
            "customer_email",
            "customer_phone",
            "amount_due",
            "payment_expires_at",
            "created_at",
        )
        read_only_fields = fields


class F2Create(APIView):
    permission_classes = [AllowAny]
    throttle_classes = []

    def post(self, request):
        serializer = F2CreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        booking = book(
            service_id=data["service"],
            slot_id=data["availability"],
            name=data["customer_name"],
            email=data["customer_email"],
            phone=data["customer_phone"],
        )
        if booking is None:
            return Response(UNAVAILABLE, status=status.HTTP_409_CONFLICT)
        return Response(
            F2BookingSerializer(booking).data, status=status.HTTP_201_CREATED
        )
