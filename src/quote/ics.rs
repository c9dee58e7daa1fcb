//! The iCalendar invitation of the joint intervention day (C-4): one event over the crews'
//! arrival window, in Brussels time, sent as a request so calendar programs offer to add it.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use icalendar::{
    Attendee, Calendar, CalendarDateTime, Component, EventLike, EventStatus, Property,
};

/// When the crews arrive on the joint day, in Brussels time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrivalWindow {
    pub from: NaiveTime,
    pub to: NaiveTime,
}

impl ArrivalWindow {
    /// **Interpretation** (no rule gives the hours): the crews of the joint day arrive in the
    /// morning, between 8:00 and 12:00, and the household is there to let them in.
    pub const MORNING: ArrivalWindow = ArrivalWindow {
        from: NaiveTime::from_hms_opt(8, 0, 0).expect("valid time"),
        to: NaiveTime::from_hms_opt(12, 0, 0).expect("valid time"),
    };
}

/// The zone every time of the invitation is given in.
pub const TIME_ZONE: &str = "Europe/Brussels";

/// Europe/Brussels as calendar programs read it: CET, and CEST from the last Sunday of March
/// to the last Sunday of October (EU summer time).
const BRUSSELS_VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Brussels\r\n\
BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n\
DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n\
DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
END:VTIMEZONE\r\n";

/// What the invitation carries; every value is given by the caller, so the same day gives the
/// same bytes (the stamp is the time the day was confirmed, not the time of rendering).
#[derive(Debug, Clone, PartialEq)]
pub struct JointDayInvite {
    /// Stable per request and day, e.g. `CMH-2026-000042-joint-day@connect-my-home`; a changed
    /// day keeps the UID so calendars move the event instead of adding a second one.
    pub uid: String,
    pub reference: String,
    pub date: NaiveDate,
    /// When the crews arrive that day (Brussels time): the event's start and end.
    pub arrival: ArrivalWindow,
    /// The site's address, one line.
    pub site: String,
    /// Translated title, e.g. "Connect my home: raccordements CMH-2026-000042".
    pub summary: String,
    /// Translated description: who comes, what to prepare.
    pub description: String,
    pub organizer_email: String,
    pub attendee_email: String,
    /// DTSTAMP: when this version of the invitation was issued.
    pub stamp: DateTime<Utc>,
    /// 0 for the first invitation, then 1, 2… when the day changes.
    pub sequence: u32,
}

/// The `.ics` text: `METHOD:REQUEST`, the Brussels time zone and one `VEVENT` over the crews'
/// arrival window (`DTSTART;TZID=Europe/Brussels` to `DTEND`).
pub fn invitation(day: JointDayInvite) -> String {
    let at = |time: NaiveTime| CalendarDateTime::WithTimezone {
        date_time: day.date.and_time(time),
        tzid: TIME_ZONE.to_owned(),
    };
    let mut event = icalendar::Event::new();
    event
        .uid(&day.uid)
        .timestamp(day.stamp)
        .sequence(day.sequence)
        .starts(at(day.arrival.from))
        .ends(at(day.arrival.to))
        .summary(&day.summary)
        .description(&day.description)
        .location(&day.site)
        .status(EventStatus::Confirmed)
        .add_property("TRANSP", "TRANSPARENT")
        .append_property(
            Property::new("ORGANIZER", format!("mailto:{}", day.organizer_email))
                .add_parameter("CN", "Connect my home")
                .done(),
        )
        .attendee(
            Attendee::new(format!("mailto:{}", day.attendee_email))
                .role(icalendar::Role::ReqParticipant)
                .rsvp(false),
        )
        .add_property("X-CMH-REFERENCE", &day.reference);
    let mut calendar = Calendar::empty();
    calendar
        .append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//Connect my home//Joint day//FR"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", "REQUEST"))
        .push(event.done());
    // The zone the times are given in, defined before the event that uses it (RFC 5545).
    let text = calendar.done().to_string();
    match text.find("BEGIN:VEVENT") {
        Some(at) => format!("{}{BRUSSELS_VTIMEZONE}{}", &text[..at], &text[at..]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite() -> JointDayInvite {
        JointDayInvite {
            uid: "CMH-2026-000042-joint-day@connect-my-home".into(),
            reference: "CMH-2026-000042".into(),
            date: NaiveDate::from_ymd_opt(2027, 3, 9).unwrap(),
            arrival: ArrivalWindow::MORNING,
            site: "Rue des Champs 12, 5000 Namur".into(),
            summary: "Connect my home : raccordements CMH-2026-000042".into(),
            description: "ORES, SWDE, Proximus et VOO viennent le même jour.".into(),
            organizer_email: "julien.ores@example.be".into(),
            attendee_email: "marie@example.be".into(),
            stamp: DateTime::parse_from_rfc3339("2026-12-01T09:30:00Z")
                .unwrap()
                .with_timezone(&Utc),
            sequence: 0,
        }
    }

    #[test]
    fn c_4_the_joint_day_is_one_request_over_the_crews_arrival_window() {
        let ics = invitation(invite());
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
        assert!(ics.contains("METHOD:REQUEST\r\n"), "{ics}");
        assert!(
            ics.contains("DTSTART;TZID=Europe/Brussels:20270309T080000\r\n"),
            "{ics}"
        );
        assert!(
            ics.contains("DTEND;TZID=Europe/Brussels:20270309T120000\r\n"),
            "{ics}"
        );
        assert!(!ics.contains("VALUE=DATE"), "not an all-day event: {ics}");
        let zone = ics
            .find("BEGIN:VTIMEZONE\r\nTZID:Europe/Brussels\r\n")
            .unwrap();
        assert!(zone < ics.find("BEGIN:VEVENT").unwrap(), "{ics}");
        assert!(ics.contains("DTSTAMP:20261201T093000Z\r\n"), "{ics}");
        assert!(ics.contains("UID:CMH-2026-000042-joint-day@connect-my-home\r\n"));
        assert!(ics.contains("ORGANIZER;CN=Connect my home:mailto:julien.ores@example.be"));
        assert!(ics.contains("mailto:marie@example.be"));
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);
        // Same input, same bytes.
        assert_eq!(ics, invitation(invite()));
    }
}
