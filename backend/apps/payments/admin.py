import hashlib

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.payments import background, selectors, services
from apps.payments.exceptions import StatementUnreadable
from apps.payments.models import BankStatementImport, BankTransaction
from apps.payments.sepa import refunds_export_sepa
from apps.payments.statements import CSV_PRESETS, FORMATS
from common.admin import ReadOnlyAdminMixin
from common.exceptions import DomainError


class StatementUploadForm(forms.Form):
    file = forms.FileField(label=_("File"), required=False)
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("", _("Detect")), *[(name, name) for name in FORMATS]],
        required=False,
    )
    csv_preset = forms.ChoiceField(
        label=_("CSV preset"),
        choices=[("", _("Setting")), *[(name, name) for name in CSV_PRESETS]],
        required=False,
    )
    csv_map = forms.CharField(
        label=_("CSV columns"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The previewed file stays on the server (apps.payments.background); the
    # Apply step names it by its hash, so it applies the same bytes without
    # posting them again (which a large file could not).
    file_sha256 = forms.CharField(required=False, widget=forms.HiddenInput)


@admin.register(BankStatementImport)
class BankStatementImportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Applied imports, and the "Import bank statement" page."""

    list_display = [
        "created_at",
        "file_name",
        "file_format",
        "imported_by",
        "status",
        "progress",
        "summary",
    ]
    readonly_fields = [
        "file_name",
        "file_format",
        "file_sha256",
        "imported_by",
        "status",
        "credits_total",
        "credits_done",
        "error",
        "summary",
        "created_at",
    ]

    @admin.display(description=_("Credits applied"))
    def progress(self, obj):
        return f"{obj.credits_done} / {obj.credits_total}"

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="payments_bankstatementimport_import",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["can_import"] = request.user.has_perm(
            "payments.import_bank_statement"
        )
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not request.user.has_perm("payments.import_bank_statement"):
            raise PermissionDenied
        form = StatementUploadForm(request.POST or None, request.FILES or None)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import bank statement"),
            "opts": self.model._meta,
            "form": form,
            "result": None,
        }
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                content, file_name = self._content(data, request.user)
                csv_dialect = None
                if data["format"] in ("", "csv"):
                    csv_dialect = selectors.csv_dialect_for(
                        preset=data["csv_preset"], mapping=data["csv_map"]
                    )
                apply = "apply" in request.POST
                result = services.bank_statement_import(
                    content=content,
                    file_name=file_name,
                    file_format=data["format"] or None,
                    csv_dialect=csv_dialect,
                    actor=request.user,
                    dry_run=not apply,
                )
            except DomainError as error:
                form.add_error(None, error.detail)
            else:
                sha256 = hashlib.sha256(content).hexdigest()
                if apply:
                    background.statement_file_forget(sha256=sha256, user=request.user)
                    return self._applied(request, result)
                background.statement_file_keep(
                    content=content,
                    sha256=sha256,
                    file_name=file_name,
                    user=request.user,
                )
                context["result"] = result
                context["file_name"] = file_name
                context["form"] = StatementUploadForm(
                    initial={
                        **{
                            key: data[key]
                            for key in ("format", "csv_preset", "csv_map")
                        },
                        "file_sha256": sha256,
                    }
                )
        return TemplateResponse(
            request, "admin/payments/bankstatementimport/import.html", context
        )

    def _applied(self, request, result):
        if result.queued:
            self.message_user(
                request,
                _(
                    "Queued: %(count)d credits are being applied in the "
                    "background; this list shows the progress."
                )
                % {"count": result.statement_import.credits_total},
                messages.SUCCESS,
            )
            return redirect("admin:payments_bankstatementimport_changelist")
        self.message_user(
            request,
            _("Imported: %(summary)s")
            % {"summary": ", ".join(f"{k} {v}" for k, v in result.summary.items())},
            messages.SUCCESS,
        )
        return redirect(
            reverse("admin:payments_banktransaction_changelist")
            + f"?statement_import__id__exact={result.statement_import.pk}"
        )

    @staticmethod
    def _content(data, user) -> tuple[bytes, str]:
        upload = data["file"]
        if upload:
            return upload.read(settings.BANK_STATEMENT_MAX_BYTES + 1), upload.name
        if data["file_sha256"]:
            kept = background.statement_file_read(sha256=data["file_sha256"], user=user)
            if kept is not None:
                return kept
            raise StatementUnreadable(
                _("The previewed file is no longer kept; choose it again.")
            )
        raise StatementUnreadable(_("Choose a statement file."))


def _run(modeladmin, request, queryset, service, done: str):
    if not request.user.has_perm("payments.reconcile_bank_transaction"):
        raise PermissionDenied
    count = 0
    for transaction in queryset:
        try:
            service(transaction=transaction, actor=request.user)
            count += 1
        except DomainError as error:
            modeladmin.message_user(
                request, f"{transaction}: {error.detail}", messages.ERROR
            )
    if count:
        modeladmin.message_user(request, f"{done}: {count}.", messages.SUCCESS)


@admin.register(BankTransaction)
class BankTransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every credit from the bank; late, unmatched and refund lists are filters."""

    list_display = [
        "booking_date",
        "amount",
        "currency",
        "counterparty_name",
        "remittance",
        "outcome",
        "booking",
        "suggested_booking",
        "refund_status",
        "note",
    ]
    list_filter = [
        "outcome",
        "refund_status",
        "paid_before_deadline",
        "statement_import",
    ]
    list_select_related = ["booking", "suggested_booking"]
    search_fields = ["remittance", "counterparty_name", "bank_transaction_id"]
    actions = ["accept_suggestion", "rebook", "mark_refunded", "export_refunds"]
    fields = [
        "statement_import",
        "bank_transaction_id",
        "booking_date",
        "amount",
        "currency",
        "counterparty_name",
        "counterparty_account",
        "remittance",
        "outcome",
        "booking",
        "suggested_booking",
        "rebooked_booking",
        "overpaid_amount",
        "paid_before_deadline",
        "note",
        "refund_status",
        "refunded_at",
        "resolved_by",
        "resolved_at",
    ]
    readonly_fields = fields

    def get_urls(self):
        return [
            path(
                "<int:pk>/match/",
                self.admin_site.admin_view(self.match_view),
                name="payments_banktransaction_match",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["can_reconcile"] = request.user.has_perm(
            "payments.reconcile_bank_transaction"
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def match_view(self, request, pk):
        if not request.user.has_perm("payments.reconcile_bank_transaction"):
            raise PermissionDenied
        transaction = BankTransaction.objects.get(pk=pk)
        from apps.bookings.models import Booking

        reference = request.POST.get("reference", "").strip().upper()
        booking = Booking.objects.filter(reference=reference).first()
        if booking is None:
            self.message_user(
                request,
                _("No booking %(reference)r.") % {"reference": reference},
                messages.ERROR,
            )
        else:
            try:
                services.bank_transaction_match(
                    transaction=transaction, booking=booking, actor=request.user
                )
                self.message_user(request, _("Matched."), messages.SUCCESS)
            except DomainError as error:
                self.message_user(request, error.detail, messages.ERROR)
        return redirect("admin:payments_banktransaction_change", pk)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("payments.reconcile_bank_transaction"):
            for name in self.actions:
                actions.pop(name, None)
        return actions

    @admin.action(description=_("Accept the suggested booking"))
    def accept_suggestion(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            services.bank_transaction_accept_suggestion,
            _("Matched"),
        )

    @admin.action(description=_("Rebook the same slot (late payments)"))
    def rebook(self, request, queryset):
        _run(self, request, queryset, services.bank_transaction_rebook, _("Rebooked"))

    @admin.action(description=_("Mark refunded"))
    def mark_refunded(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            services.bank_transaction_mark_refunded,
            _("Refunded"),
        )

    @admin.action(description=_("Export refunds due as SEPA XML (pain.001)"))
    def export_refunds(self, request, queryset):
        if not request.user.has_perm("payments.reconcile_bank_transaction"):
            raise PermissionDenied
        try:
            export = refunds_export_sepa(
                transactions=list(queryset.filter(refund_status="due")),
                execution_date=timezone.localdate(),
            )
        except DomainError as error:
            self.message_user(request, error.detail, messages.ERROR)
            return None
        for pk, why in export.skipped.items():
            self.message_user(
                request,
                _("Transaction %(pk)s skipped: %(why)s") % {"pk": pk, "why": why},
                messages.WARNING,
            )
        if not export.included:
            self.message_user(request, _("No refund to export."), messages.WARNING)
            return None
        response = HttpResponse(export.xml, content_type="application/xml")
        response["Content-Disposition"] = 'attachment; filename="refunds-pain001.xml"'
        return response
