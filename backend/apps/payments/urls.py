from rest_framework.routers import DefaultRouter

from apps.payments.views import BankStatementImportViewSet, BankTransactionViewSet

router = DefaultRouter()
router.register(
    "payments/imports", BankStatementImportViewSet, basename="bank-statement-import"
)
router.register(
    "payments/transactions", BankTransactionViewSet, basename="bank-transaction"
)
