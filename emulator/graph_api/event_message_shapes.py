"""What Graph adds to a meeting message: its derived ``@odata.type`` and the eventMessage
properties (with those of eventMessageRequest or eventMessageResponse).

These come with the default property set only: ``$select`` works on
microsoft.graph.message and so cannot name them.
"""

from datetime import timedelta

from ..mailstore.message import to_datetime


def graph_type(message):
    """``#microsoft.graph.eventMessageRequest`` and so on; ``None`` for a plain message."""
    if message.kind == "message":
        return None
    return "#microsoft.graph." + message.kind


def date_time_time_zone(timestamp):
    """Graph's dateTimeTimeZone: a local time with seven fraction digits and no offset,
    plus the zone's name (UTC unless ``Prefer: outlook.timezone`` asks otherwise)."""
    if timestamp is None:
        return None
    moment = to_datetime(timestamp)
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S") + ".0000000", "timeZone": "UTC"}


def _location(name):
    if name is None:
        return None
    if not name:
        return {"displayName": "", "locationType": "default", "uniqueIdType": "unknown"}
    return {
        "displayName": name,
        "locationType": "default",
        "uniqueId": name,
        "uniqueIdType": "private",
    }


def event_message_properties(message):
    """The properties of the message's event kind, in the order Graph writes them."""
    meeting = message.meeting or {}
    start, end = meeting.get("start"), meeting.get("end")
    if start is not None and end is None:
        end = int((to_datetime(start) + timedelta(hours=1)).timestamp())
    result = {
        "meetingMessageType": meeting.get("meetingMessageType", "none"),
        "type": meeting.get("type", "singleInstance"),
        "isOutOfDate": bool(meeting.get("isOutOfDate", False)),
        "isAllDay": bool(meeting.get("isAllDay", False)),
        "isDelegated": bool(meeting.get("isDelegated", False)),
        "startDateTime": date_time_time_zone(start),
        "endDateTime": date_time_time_zone(end),
        "location": _location(meeting.get("location", "")),
        "recurrence": None,
    }
    if message.kind == "eventMessageRequest":
        result.update(
            {
                "responseRequested": bool(meeting.get("responseRequested", True)),
                "allowNewTimeProposals": bool(meeting.get("allowNewTimeProposals", True)),
                "meetingRequestType": meeting.get("meetingRequestType", "newMeetingRequest"),
                "previousStartDateTime": date_time_time_zone(meeting.get("previousStart")),
                "previousEndDateTime": date_time_time_zone(meeting.get("previousEnd")),
                "previousLocation": _location(meeting.get("previousLocation")),
            }
        )
    elif message.kind == "eventMessageResponse":
        result.update(
            {
                "responseType": meeting.get("responseType", "accepted"),
                "proposedNewTime": None,
            }
        )
    return result
