"""The waiting list's API: guests join, leave and answer offers by token;
staff list the entries and offer a slot by hand."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.bookings import exceptions as bookings_errors
from apps.bookings.serializers import BookingSerializer
from apps.waitlist import exceptions, selectors, services
from apps.waitlist.filters import WaitlistEntryFilter
from apps.waitlist.models import WaitlistOffer, token_hash
from apps.waitlist.serializers import (
    WaitlistEntrySerializer,
    WaitlistJoinedSerializer,
    WaitlistJoinSerializer,
    WaitlistLeftSerializer,
    WaitlistOfferByHandSerializer,
    WaitlistOfferMadeSerializer,
    WaitlistOfferSerializer,
    WaitlistTokenSerializer,
)
from apps.waitlist.throttles import WaitlistJoinThrottle, WaitlistLinkThrottle
from common.exceptions import LockTimeout, raises
from common.http import client_keys
from common.permissions import PUBLIC

JOINED = (
    "Thank you. If this address is not on the waiting list for these days yet, "
    "it gets an email confirming it, with a link to leave; we email it again "
    "as soon as a time that suits frees."
)


class WaitlistViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Guests wait for a time; staff see who waits and offer times by hand."""

    filterset_class = WaitlistEntryFilter
    ordering_fields = ["created_at", "date_from"]
    lookup_value_regex = r"\d+"
    serializer_class = WaitlistEntrySerializer
    action_permissions = {
        "create": PUBLIC,
        "leave": PUBLIC,
        "offer_show": PUBLIC,
        "offer_accept": PUBLIC,
        "offer_decline": PUBLIC,
        "list": ("waitlist.view_waitlistentry",),
        "retrieve": ("waitlist.view_waitlistentry",),
        "offer": ("waitlist.offer_slot",),
    }
    link_actions = {"leave", "offer_show", "offer_accept", "offer_decline"}

    def get_throttles(self):
        if self.action == "create":
            return [WaitlistJoinThrottle()]
        if self.action in self.link_actions:
            return [WaitlistLinkThrottle()]
        return []

    def get_queryset(self):
        return selectors.waitlist_entries_all()

    def get_serializer_class(self):
        return {
            "create": WaitlistJoinSerializer,
            "leave": WaitlistTokenSerializer,
            "offer_show": WaitlistTokenSerializer,
            "offer_accept": WaitlistTokenSerializer,
            "offer_decline": WaitlistTokenSerializer,
            "offer": WaitlistOfferByHandSerializer,
        }.get(self.action, WaitlistEntrySerializer)

    def _token(self, request) -> str:
        serializer = WaitlistTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["token"]

    @extend_schema(
        request=WaitlistJoinSerializer,
        responses={202: WaitlistJoinedSerializer},
        summary="Wait for a time (guests)",
        description="Join the waiting list for a service (optionally one staff "
        "member) on some days, optionally in a daily window. The answer is the "
        "same whether or not the contact is listed already; the confirmation "
        "email carries the link to leave. 409 `waitlist_limit_reached` when this "
        "client has as many open entries as one may; throttled per client IP.",
    )
    @raises(
        exceptions.UnknownService,
        exceptions.UnknownStaff,
        exceptions.DatesOutOfRange,
        exceptions.InvalidTimeWindow,
        exceptions.TooManyEntries,
        LockTimeout,
    )
    def create(self, request, *args, **kwargs):
        serializer = WaitlistJoinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        # No `language` given: the one LocaleMiddleware read from
        # Accept-Language (or the business's own).
        fields.setdefault("language", request.LANGUAGE_CODE)
        services.waitlist_join(
            service_id=fields.pop("service"),
            staff_id=fields.pop("staff", None),
            **fields,
            client_key=client_keys(request).client,
        )
        return Response({"detail": JOINED}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=WaitlistTokenSerializer,
        responses=WaitlistLeftSerializer,
        summary="Leave the waiting list (the email's link)",
    )
    @action(detail=False, methods=["post"])
    @raises(exceptions.UnknownToken, exceptions.EntryClosed, LockTimeout)
    def leave(self, request):
        entry = services.waitlist_leave(token=self._token(request))
        return Response({"status": entry.status})

    @extend_schema(
        request=WaitlistTokenSerializer,
        responses=WaitlistOfferSerializer,
        summary="See an offer (the email's link)",
    )
    @action(detail=False, methods=["post"], url_path="offers/show")
    @raises(exceptions.UnknownToken)
    def offer_show(self, request):
        offer = (
            WaitlistOffer.objects.select_related(
                "entry__service", "availability__staff"
            )
            .filter(token_hash=token_hash(self._token(request)))
            .first()
        )
        if offer is None:
            raise exceptions.UnknownToken()
        return Response(WaitlistOfferSerializer(offer).data)

    @extend_schema(
        request=WaitlistTokenSerializer,
        responses={201: BookingSerializer},
        summary="Book the offered time (the email's link)",
        description="Books the offered slot through the normal create path and "
        "answers as `POST /api/bookings/` does. 409 `offer_expired` once its "
        "time ran out, `offer_closed` once answered, `slot_unavailable` when "
        "an offer made to everyone was booked first.",
    )
    @action(detail=False, methods=["post"], url_path="offers/accept")
    @raises(
        exceptions.UnknownToken,
        exceptions.OfferClosed,
        exceptions.OfferExpired,
        bookings_errors.InactiveService,
        *bookings_errors.SLOT_BOOKABLE_ERRORS,
        bookings_errors.TooManyUnpaidBookings,
        LockTimeout,
    )
    def offer_accept(self, request):
        client = client_keys(request)
        booking = services.waitlist_offer_accept(
            token=self._token(request),
            client_key=client.client,
            client_site_key=client.site,
            client_network_key=client.network,
        )
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=WaitlistTokenSerializer,
        responses=WaitlistOfferSerializer,
        summary="Say no to an offer (the email's link)",
    )
    @action(detail=False, methods=["post"], url_path="offers/decline")
    @raises(exceptions.UnknownToken, exceptions.OfferClosed, LockTimeout)
    def offer_decline(self, request):
        offer = services.waitlist_offer_decline(token=self._token(request))
        offer = WaitlistOffer.objects.select_related(
            "entry__service", "availability__staff"
        ).get(pk=offer.pk)
        return Response(WaitlistOfferSerializer(offer).data)

    @extend_schema(
        request=WaitlistOfferByHandSerializer,
        responses={201: WaitlistOfferMadeSerializer},
        summary="Offer a slot to an entry by hand (staff)",
        description="Holds the slot for the entry and emails the offer, as the "
        "job does; 409 when the slot is not free or the entry not waiting.",
    )
    @action(detail=True, methods=["post"])
    @raises(
        exceptions.EntryClosed,
        exceptions.NoMatchingSlot,
        bookings_errors.UnknownService,
        bookings_errors.UnknownSlot,
        *bookings_errors.SLOT_BOOKABLE_ERRORS,
        LockTimeout,
    )
    def offer(self, request, pk=None):
        entry = self.get_object()
        serializer = WaitlistOfferByHandSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = services.waitlist_offer_make(
            entry_id=entry.pk,
            availability_id=serializer.validated_data["availability"],
            held=True,
            made_by=request.user,
        )
        return Response(
            WaitlistOfferMadeSerializer(offer).data, status=status.HTTP_201_CREATED
        )
