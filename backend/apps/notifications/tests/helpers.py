"""Read what a sent email really carries, from its serialised MIME form."""

from icalendar import Calendar


def attached_files(message) -> list[tuple[str, str, str]]:
    """(filename, content type with parameters, decoded text) of each attachment."""
    files = []
    for part in message.message().walk():
        filename = part.get_filename()
        if filename:
            files.append(
                (
                    filename,
                    part["Content-Type"],
                    part.get_payload(decode=True).decode("utf-8"),
                )
            )
    return files


def attached_calendar(message) -> Calendar:
    ((filename, _, content),) = attached_files(message)
    assert filename.endswith(".ics")
    return Calendar.from_ical(content)
