from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from apps.bookings import exceptions as bookings_errors
from apps.payments import exceptions as payments_errors
from apps.payments import selectors, services
from apps.payments.models import BankTransaction
from apps.payments.sepa import refunds_export_sepa
from apps.payments.serializers import (
    BankStatementImportSerializer,
    BankStatementUploadSerializer,
    BankTransactionSerializer,
    ImportResultSerializer,
    ManualMatchSerializer,
    RefundExportQuerySerializer,
    import_result_data,
)
from common.api import ErrorSerializer
from common.exceptions import LockTimeout, raises

VIEW = "payments.view_banktransaction"
IMPORTS_VIEW = "payments.view_bankstatementimport"
IMPORT = "payments.import_bank_statement"
RECONCILE = "payments.reconcile_bank_transaction"


@extend_schema_view(
    list=extend_schema(description="Imports, newest first, with their status."),
    retrieve=extend_schema(
        description="One import: its summary and, while a large statement is "
        "applied in the background, its `status` and `credits_done`."
    ),
)
class BankStatementImportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Upload a bank statement; the credits are reconciled against bookings."""

    serializer_class = BankStatementImportSerializer
    action_permissions = {
        "list": IMPORTS_VIEW,
        "retrieve": IMPORTS_VIEW,
        "create": IMPORT,
    }
    parser_classes = [MultiPartParser]
    filter_backends = []

    def get_queryset(self):
        return selectors.bank_statement_import_list()

    @extend_schema(
        request={"multipart/form-data": BankStatementUploadSerializer},
        summary="Import a bank statement (multipart upload)",
        responses={
            201: ImportResultSerializer,
            200: OpenApiResponse(ImportResultSerializer, description="Dry run."),
            202: OpenApiResponse(
                BankStatementImportSerializer,
                description="More credits than BANK_STATEMENT_BACKGROUND_CREDITS: "
                "checked, queued and applied in the background; follow "
                "`status` and `credits_done` at `/api/payments/imports/{id}/`.",
            ),
            400: ErrorSerializer,
        },
        description="Import a CAMT.053, MT940 or CSV statement (multipart `file`). "
        "Each credit is stored once and reconciled; a re-import applies nothing "
        "twice. With `dry_run` nothing is written. A malformed file (an amount "
        "that is not finite, positive, in cents and below 100 000 000, a bad "
        "`csv_map` option) is 400 `statement_unreadable` naming the line, and "
        "applies nothing.",
    )
    @raises(
        payments_errors.StatementUnreadable,
        payments_errors.StatementTooLarge,
        LockTimeout,
    )
    def create(self, request, *args, **kwargs):
        serializer = BankStatementUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        content = upload.read(_limit() + 1)
        csv_dialect = None
        if data.get("format", "csv") == "csv":
            csv_dialect = selectors.csv_dialect_for(
                preset=data["csv_preset"], mapping=data["csv_map"]
            )
        result = services.bank_statement_import(
            content=content,
            file_name=upload.name or "upload",
            file_format=data.get("format"),
            csv_dialect=csv_dialect,
            actor=request.user,
            dry_run=data["dry_run"],
        )
        if result.queued:
            return Response(
                BankStatementImportSerializer(result.statement_import).data,
                status=status.HTTP_202_ACCEPTED,
            )
        return Response(
            ImportResultSerializer(import_result_data(result)).data,
            status=status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED,
        )


def _limit() -> int:
    from django.conf import settings

    return settings.BANK_STATEMENT_MAX_BYTES


@extend_schema_view(
    list=extend_schema(
        description="Bank credits and their outcome. Filter with `outcome`, "
        "`refund_status`, `late=true` (late payments still open)."
    ),
)
class BankTransactionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Review what the bank statements brought in, and act on what did not match."""

    serializer_class = BankTransactionSerializer
    action_permissions = {
        "list": VIEW,
        "retrieve": VIEW,
        "match": RECONCILE,
        "accept_suggestion": RECONCILE,
        "rebook": RECONCILE,
        "mark_refunded": RECONCILE,
        "refunds_sepa": RECONCILE,
    }
    filterset_fields = ["outcome", "refund_status", "statement_import"]
    ordering_fields = ["booking_date", "amount", "created_at"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if self.request.query_params.get("late") == "true":
            return selectors.bank_transactions_late()
        return selectors.bank_transaction_list()

    def _render(self, transaction):
        transaction = selectors.bank_transaction_list().get(pk=transaction.pk)
        return Response(BankTransactionSerializer(transaction).data)

    @extend_schema(
        request=ManualMatchSerializer,
        summary="Match a bank credit to a booking",
        responses={200: BankTransactionSerializer, 409: ErrorSerializer},
        description="Match an unmatched or ambiguous credit to a booking; the "
        "import's checks apply (the outcome may be `underpaid`, `late`, ...).",
    )
    @action(detail=True, methods=["post"])
    @raises(
        payments_errors.TransactionNotOpen,
        bookings_errors.InvalidTransition,
        LockTimeout,
    )
    def match(self, request, pk=None):
        serializer = ManualMatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        transaction = services.bank_transaction_match(
            transaction=self.get_object(),
            booking=serializer.validated_data["booking"],
            actor=request.user,
        )
        return self._render(transaction)

    @extend_schema(
        request=None,
        responses={200: BankTransactionSerializer, 409: ErrorSerializer},
        summary="Accept the suggested booking for a bank credit",
    )
    @action(detail=True, methods=["post"], url_path="accept-suggestion")
    @raises(
        payments_errors.TransactionNotOpen,
        payments_errors.NoSuggestion,
        bookings_errors.InvalidTransition,
        LockTimeout,
    )
    def accept_suggestion(self, request, pk=None):
        transaction = services.bank_transaction_accept_suggestion(
            transaction=self.get_object(), actor=request.user
        )
        return self._render(transaction)

    @extend_schema(
        request=None,
        responses={200: BankTransactionSerializer, 409: ErrorSerializer},
        summary="Rebook the slot a late payment was for",
        description="A late payment: book the same slot again for the same guest, "
        "confirmed. 409 if the slot is gone or the price went up.",
    )
    @action(detail=True, methods=["post"])
    @raises(
        payments_errors.TransactionNotOpen,
        payments_errors.PaymentBelowPrice,
        payments_errors.SlotNoLongerBookable,
        LockTimeout,
    )
    def rebook(self, request, pk=None):
        transaction = services.bank_transaction_rebook(
            transaction=self.get_object(), actor=request.user
        )
        return self._render(transaction)

    @extend_schema(
        request=None,
        responses={200: BankTransactionSerializer, 409: ErrorSerializer},
        summary="Record that a bank credit was refunded",
    )
    @action(detail=True, methods=["post"], url_path="mark-refunded")
    @raises(payments_errors.TransactionNotOpen, LockTimeout)
    def mark_refunded(self, request, pk=None):
        transaction = services.bank_transaction_mark_refunded(
            transaction=self.get_object(), actor=request.user
        )
        return self._render(transaction)

    @extend_schema(
        parameters=[RefundExportQuerySerializer],
        summary="Export the refunds due as a SEPA file",
        responses={
            (200, "application/xml"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="pain.001.001.03 with every refund due that can be sent.",
            ),
            204: OpenApiResponse(description="No refund can be exported."),
            400: ErrorSerializer,
        },
        description="Refunds due as a SEPA credit transfer file for the bank. "
        "Exporting changes nothing: mark each refunded once the bank ran it.",
    )
    @action(detail=False, methods=["get"], url_path="refunds-sepa")
    @raises(payments_errors.RefundAccountMissing)
    def refunds_sepa(self, request):
        query = RefundExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        export = refunds_export_sepa(
            transactions=list(selectors.bank_transactions_refund_due()),
            execution_date=query.validated_data.get(
                "execution_date", timezone.localdate()
            ),
        )
        if not export.included:
            return Response(status=status.HTTP_204_NO_CONTENT)
        response = HttpResponse(export.xml, content_type="application/xml")
        response["Content-Disposition"] = 'attachment; filename="refunds-pain001.xml"'
        return response


__all__ = ["BankStatementImportViewSet", "BankTransaction", "BankTransactionViewSet"]
