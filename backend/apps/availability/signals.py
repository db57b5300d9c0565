"""What the slot domain announces; apps that keep rules over slots listen.

`slots_written` is sent by the slot writes staff make by hand
(`availability_create`, `availability_update`, `availability_generate`)
inside their transaction, with the ids of the slots made or moved. The
schedules app listens and hides the ones a closure covers before they
commit; this app imports none of its listeners.
"""

from django.dispatch import Signal

slots_written = Signal()
