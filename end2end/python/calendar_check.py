"""Reads a Wheelhouse maintenance calendar with `icalendar` (PyPI), a parser nobody here wrote,
and checks what calendar applications rely on: it parses, every event has its own UID, a
DTSTAMP, and ends after it starts. Prints one line per event; exits non-zero on a fault."""
import sys

from icalendar import Calendar


def main(path: str) -> int:
    with open(path, "rb") as file:
        calendar = Calendar.from_ical(file.read())
    events = list(calendar.walk("VEVENT"))
    if not events:
        print("no event in the calendar")
        return 1
    uids = [str(event["UID"]) for event in events]
    faults = []
    if len(set(uids)) != len(uids):
        faults.append(f"{len(uids) - len(set(uids))} events share a UID")
    for event in events:
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        print(start, end, event["UID"], "|", event["SUMMARY"])
        if "DTSTAMP" not in event:
            faults.append(f"{event['UID']}: no DTSTAMP")
        if end <= start:
            faults.append(f"{event['UID']}: ends before it starts")
    print(f"{len(events)} events, {len(set(uids))} distinct UIDs")
    for fault in faults:
        print("FAULT:", fault)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
