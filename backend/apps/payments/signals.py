"""What bank reconciliation announces; side-effect apps listen, payments calls none.

`bank_transaction_unmatched` is sent inside the transaction that stored a
bank credit whose text named no booking (outcome `unmatched`), with the
stored `transaction`. A receiver writes what must commit with it (a webhook
message) and nothing slow; if it raises, the credit's transaction rolls back.
"""

from django.dispatch import Signal

bank_transaction_unmatched = Signal()
