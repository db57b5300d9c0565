"""What the business calendar announces; side-effect apps listen.

`closure_reschedule_offered` is sent by a closure made with
`on_conflict=offer_reschedule`, inside its transaction, once, with
`offers`: (booking, nearest free times) for each confirmed booking left
inside it, whose guest is to be offered another time. notifications writes
those emails; this app imports none of its listeners.
"""

from django.dispatch import Signal

closure_reschedule_offered = Signal()
