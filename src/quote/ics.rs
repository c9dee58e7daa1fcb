//! The iCalendar invitation of the joint intervention day (C-4): one all-day event, sent as a
//! request so calendar programs offer to add it.

use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{Attendee, Calendar, Component, EventLike, EventStatus, Property};

/// What the invitation carries; every value is given by the caller, so the same day gives the
/// same bytes (the stamp is the time the day was confirmed, not the time of rendering).
#[derive(Debug, Clone, PartialEq)]
pub struct JointDayInvite {
    /// Stable per request and day, e.g. `CMH-2026-000042-joint-day@connect-my-home`; a changed
    /// day keeps the UID so calendars move the event instead of adding a second one.
    pub uid: String,
    pub reference: String,
    pub date: NaiveDate,
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

/// The `.ics` text: `METHOD:REQUEST`, one `VEVENT` from `DTSTART;VALUE=DATE` to the next day.
pub fn invitation(day: JointDayInvite) -> String {
    let mut event = icalendar::Event::new();
    event
        .uid(&day.uid)
        .timestamp(day.stamp)
        .sequence(day.sequence)
        .starts(day.date)
        // DTEND is exclusive (RFC 5545): an all-day event ends the next day.
        .ends(day.date.succ_opt().unwrap_or(day.date))
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
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite() -> JointDayInvite {
        JointDayInvite {
            uid: "CMH-2026-000042-joint-day@connect-my-home".into(),
            reference: "CMH-2026-000042".into(),
            date: NaiveDate::from_ymd_opt(2027, 3, 9).unwrap(),
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
    fn c_4_the_joint_day_is_one_all_day_request() {
        let ics = invitation(invite());
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
        assert!(ics.contains("METHOD:REQUEST\r\n"), "{ics}");
        assert!(ics.contains("DTSTART;VALUE=DATE:20270309\r\n"), "{ics}");
        assert!(ics.contains("DTEND;VALUE=DATE:20270310\r\n"), "{ics}");
        assert!(ics.contains("DTSTAMP:20261201T093000Z\r\n"), "{ics}");
        assert!(ics.contains("UID:CMH-2026-000042-joint-day@connect-my-home\r\n"));
        assert!(ics.contains("ORGANIZER;CN=Connect my home:mailto:julien.ores@example.be"));
        assert!(ics.contains("mailto:marie@example.be"));
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);
        // Same input, same bytes.
        assert_eq!(ics, invitation(invite()));
    }
}
