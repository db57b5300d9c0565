from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services as booking_services
from apps.bookings.models import Booking, BookingEvent
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking
from apps.payments import exceptions, services
from apps.payments.models import BankStatementImport, BankTransaction
from apps.payments.selectors import bank_transactions_late, csv_dialect_for
from apps.payments.statements import parse_statement
from apps.payments.tests import samples

pytestmark = pytest.mark.django_db
Outcome = BankTransaction.Outcome


@pytest.fixture
def make_booking(service, staff_member):
    counter = iter(range(1, 1000))

    def make(**overrides):
        index = next(counter)
        start = timezone.now().replace(microsecond=0) + timedelta(days=1, hours=index)
        slot = AvailabilityFactory(
            staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
        )
        fields = {
            "customer_email": f"g{index}@example.com",
            "customer_phone": f"91234{index:04d}",
        }
        fields.update(overrides)
        return unpaid_booking(service, slot, **fields)

    return make


@pytest.fixture
def manager(db):
    return StaffUserFactory(username="manager")


def run_import(content, *, actor=None, dry_run=False, **kwargs):
    return services.bank_statement_import(
        content=content, file_name="statement", actor=actor, dry_run=dry_run, **kwargs
    )


def credit(amount, text, **extra):
    return {"amount": amount, "text": text, **extra}


def test_every_outcome_from_one_statement(make_booking, manager, settings):
    matched, overpaid, paid, late, under, wrong, amb1, amb2 = (
        make_booking() for _ in range(8)
    )
    booking_services.booking_verify_payment(booking=paid, actor=manager)
    booking_services.booking_cancel(booking=late, actor=manager, reason="no show")
    due = matched.amount_due
    content = samples.camt053(
        [
            credit(
                due, f"booking {matched.reference.lower()[:3]} {matched.reference[3:]}"
            ),
            credit(due + 5, f"REF-{overpaid.reference[:4]}-{overpaid.reference[4:]}"),
            credit(due, f"ref {paid.reference}"),
            credit(due, f"ref {late.reference}"),
            credit(due - Decimal("0.01"), f"ref {under.reference}"),
            credit(due, f"ref {wrong.reference}", ccy="USD"),
            credit(due, f"{amb1.reference} and {amb2.reference}"),
            credit(due, "no reference at all"),
            credit(due, "a debit", ind="DBIT"),
        ]
    )
    result = run_import(content, actor=manager)

    assert result.summary == {
        "matched": 2,
        "already_paid": 1,
        "late": 1,
        "underpaid": 1,
        "wrong_currency": 1,
        "ambiguous": 1,
        "unmatched": 1,
        "duplicates": 0,
        "debits_ignored": 1,
    }
    for booking in (matched, overpaid):
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CONFIRMED
        event = booking.events.last()
        assert event.source == BookingEvent.Source.BANK
        assert event.actor == manager
        assert event.note.startswith("bank transaction REF")
    for booking in (under, wrong, amb1, amb2):
        booking.refresh_from_db()
        assert booking.status == Booking.Status.AWAITING_PAYMENT
    rows = {row.booking_id: row for row in BankTransaction.objects.all()}
    assert rows[overpaid.pk].overpaid_amount == Decimal("5.00")
    assert rows[overpaid.pk].refund_status == "due"
    assert rows[matched.pk].refund_status == ""
    assert rows[late.pk].outcome == Outcome.LATE
    assert rows[late.pk].refund_status == "due"
    assert BankTransaction.objects.count() == 8  # credits only
    assert BankStatementImport.objects.get().summary["matched"] == 2


def test_reimport_applies_nothing_twice(make_booking, manager):
    booking = make_booking()
    content = samples.camt053([credit(booking.amount_due, booking.reference)])
    run_import(content, actor=manager)
    again = run_import(content, actor=manager)
    assert again.summary["duplicates"] == 1
    assert again.summary["matched"] == 0
    assert BankTransaction.objects.count() == 1
    assert booking.events.filter(source="bank").count() == 1


def test_overlapping_statement_without_ids_is_deduplicated(make_booking, manager):
    first, second = make_booking(), make_booking()
    csv_one = f"date,amount,currency,remittance,counterparty,transaction_id\n2026-03-02,{first.amount_due},EUR,{first.reference},A,\n"  # noqa: E501
    csv_two = csv_one + f"2026-03-03,{second.amount_due},EUR,{second.reference},B,\n"
    run_import(csv_one.encode(), actor=manager)
    result = run_import(csv_two.encode(), actor=manager)
    assert result.summary["duplicates"] == 1
    assert result.summary["matched"] == 1
    assert BankTransaction.objects.count() == 2


def test_dry_run_writes_nothing(make_booking):
    booking = make_booking()
    content = samples.camt053([credit(booking.amount_due, booking.reference)])
    result = run_import(content, dry_run=True)
    assert result.summary["matched"] == 1
    assert result.results[0].booking_reference == booking.reference
    assert not BankTransaction.objects.exists()
    assert not BankStatementImport.objects.exists()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.AWAITING_PAYMENT


def test_payment_before_deadline_of_an_expired_booking_is_late_with_that_fact(
    make_booking, manager
):
    booking = make_booking()
    booking_services.bookings_expire_unpaid(now=booking.payment_expires_at)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    paid_on = timezone.localdate(booking.payment_expires_at).isoformat()
    content = samples.camt053(
        [credit(booking.amount_due, booking.reference, date=paid_on)]
    )
    run_import(content, actor=manager)
    row = BankTransaction.objects.get()
    assert row.outcome == Outcome.LATE
    assert row.paid_before_deadline is True
    assert "on or before the payment deadline" in row.note
    assert list(bank_transactions_late()) == [row]


def test_rebook_late_payment(make_booking, manager):
    booking = make_booking()
    booking_services.booking_cancel(booking=booking, actor=manager)
    run_import(samples.camt053([credit(booking.amount_due, booking.reference)]))
    row = BankTransaction.objects.get()
    services.bank_transaction_rebook(transaction=row, actor=manager)
    row.refresh_from_db()
    booking.refresh_from_db()
    new = row.rebooked_booking
    assert booking.status == Booking.Status.CANCELLED  # cancelled is final
    assert new.status == Booking.Status.CONFIRMED
    assert new.availability_id == booking.availability_id
    assert new.customer_email == booking.customer_email
    assert row.refund_status == ""
    assert booking.reference in new.events.last().note
    with pytest.raises(exceptions.TransactionNotOpen):
        services.bank_transaction_rebook(transaction=row, actor=manager)
    assert not bank_transactions_late().exists()


def test_rebook_refused_when_slot_taken(make_booking, manager, service):
    booking = make_booking()
    booking_services.booking_cancel(booking=booking, actor=manager)
    unpaid_booking(service, booking.availability, customer_email="other@example.com")
    run_import(samples.camt053([credit(booking.amount_due, booking.reference)]))
    row = BankTransaction.objects.get()
    with pytest.raises(exceptions.SlotNoLongerBookable):
        services.bank_transaction_rebook(transaction=row, actor=manager)
    row.refresh_from_db()
    assert row.rebooked_booking is None and row.refund_status == "due"


def test_mark_refunded(make_booking, manager):
    booking = make_booking()
    booking_services.booking_cancel(booking=booking, actor=manager)
    run_import(samples.camt053([credit(booking.amount_due, booking.reference)]))
    row = BankTransaction.objects.get()
    services.bank_transaction_mark_refunded(transaction=row, actor=manager)
    row.refresh_from_db()
    assert row.refund_status == "refunded" and row.resolved_by == manager
    with pytest.raises(exceptions.TransactionNotOpen):
        services.bank_transaction_mark_refunded(transaction=row, actor=manager)
    with pytest.raises(exceptions.TransactionNotOpen):
        services.bank_transaction_rebook(transaction=row, actor=manager)


def test_manual_match_applies_the_same_checks(make_booking, manager):
    booking, cheap = make_booking(), make_booking()
    run_import(
        samples.camt053(
            [credit(booking.amount_due, "for my massage"), credit("1.00", "hello")]
        )
    )
    full, small = BankTransaction.objects.order_by("amount").reverse()
    services.bank_transaction_match(transaction=full, booking=booking, actor=manager)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    full.refresh_from_db()
    assert full.outcome == Outcome.MATCHED and full.resolved_by == manager
    services.bank_transaction_match(transaction=small, booking=cheap, actor=manager)
    small.refresh_from_db()
    assert small.outcome == Outcome.UNDERPAID
    with pytest.raises(exceptions.TransactionNotOpen):
        services.bank_transaction_match(transaction=full, booking=cheap, actor=manager)


def test_one_character_off_is_suggested_never_applied(make_booking, manager):
    booking = make_booking()
    typo = booking.reference[:3] + ("A" if booking.reference[3] != "A" else "B")
    typo += booking.reference[4:]
    run_import(samples.camt053([credit(booking.amount_due, f"ref {typo}")]))
    row = BankTransaction.objects.get()
    assert row.outcome == Outcome.UNMATCHED
    assert row.suggested_booking == booking
    booking.refresh_from_db()
    assert booking.status == Booking.Status.AWAITING_PAYMENT
    services.bank_transaction_accept_suggestion(transaction=row, actor=manager)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_no_suggestion_for_other_amount_or_two_candidates(make_booking):
    # Fixed references, so that no random one can collide with them.
    booking = make_booking()
    Booking.objects.filter(pk=booking.pk).update(reference="HJKLMNPQ")
    booking.refresh_from_db()
    run_import(samples.camt053([credit(booking.amount_due + 1, "HJKLMNPA", ref="X1")]))
    assert BankTransaction.objects.get().suggested_booking is None
    twin = make_booking()
    Booking.objects.filter(pk=twin.pk).update(reference="HJKLMNPZ")
    # One character from both HJKLMNPQ and HJKLMNPZ, with the exact amount.
    run_import(samples.camt053([credit(booking.amount_due, "HJKLMNPY", ref="X2")]))
    assert (
        BankTransaction.objects.get(bank_transaction_id="X2").suggested_booking is None
    )


@pytest.mark.parametrize(
    ("content", "kwargs"),
    [
        (samples.MT940, {}),
        (samples.CSV_DEFAULT, {}),
        (samples.CSV_SEMICOLON, {"mapping": samples.CSV_SEMICOLON_MAP}),
    ],
)
def test_mt940_and_csv_dialects_match(make_booking, manager, content, kwargs, service):
    booking = make_booking()
    amount = "1.040,00" if "1.040" in content else None
    if amount:
        Booking.objects.filter(pk=booking.pk).update(amount_due=Decimal("1040.00"))
    elif "40,00" in content or "40.00" in content:
        Booking.objects.filter(pk=booking.pk).update(amount_due=Decimal("40.00"))
    text = content.format(ref=booking.reference).encode()
    dialect = csv_dialect_for(**kwargs) if kwargs else None
    result = run_import(text, actor=manager, csv_dialect=dialect)
    assert result.summary["matched"] == 1
    assert result.summary["debits_ignored"] == 1
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


@pytest.mark.parametrize("hostile", [samples.BILLION_LAUGHS, samples.EXTERNAL_ENTITY])
def test_hostile_xml_is_refused_without_expanding(hostile):
    with pytest.raises(exceptions.StatementUnreadable, match="DTD or entities"):
        parse_statement(hostile, file_format="camt053")
    assert not BankTransaction.objects.exists()


def test_malformed_file_applies_nothing_and_says_where(make_booking):
    booking = make_booking()
    content = (
        "date,amount,currency,remittance,counterparty,transaction_id\n"
        f"2026-03-02,{booking.amount_due},EUR,{booking.reference},A,1\n"
        "2026-03-02,forty,EUR,x,B,2\n"
    ).encode()
    with pytest.raises(exceptions.StatementUnreadable, match="record 3"):
        run_import(content)
    with pytest.raises(exceptions.StatementUnreadable, match="line 3"):
        run_import(b"<Document><BkToCstmrStmt>\n<Stmt>\n<Ntry></Stmt>")
    assert not BankTransaction.objects.exists()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.AWAITING_PAYMENT


def test_file_over_the_limit_is_refused(settings):
    settings.BANK_STATEMENT_MAX_BYTES = 1024
    with pytest.raises(exceptions.StatementTooLarge):
        run_import(b"x" * 1025)


def test_command(tmp_path, make_booking, capsys):
    booking = make_booking()
    path = samples.write(
        tmp_path,
        "s.xml",
        samples.camt053([credit(booking.amount_due, booking.reference)]),
    )
    call_command("import_bank_statement", str(path), "--dry-run")
    assert "matched: 1" in capsys.readouterr().out
    assert not BankTransaction.objects.exists()
    call_command("import_bank_statement", str(path), "--format", "camt053")
    out = capsys.readouterr().out
    assert "matched: 1" in out and "unmatched: 0" in out
    bad = samples.write(tmp_path, "bad.xml", samples.BILLION_LAUGHS)
    with pytest.raises(CommandError, match="refused"):
        call_command("import_bank_statement", str(bad))
    with pytest.raises(CommandError):
        call_command("import_bank_statement", str(tmp_path / "missing.csv"))
