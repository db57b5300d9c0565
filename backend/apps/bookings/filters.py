from apps.bookings.models import Booking
from common.filters import FilterSet, LocalDateFilter


class BookingFilter(FilterSet):
    date = LocalDateFilter(
        field_name="availability__start_time",
        label="Bookings whose slot starts on this date (business timezone)",
    )

    class Meta:
        model = Booking
        fields = ["status", "service", "staff", "date"]
