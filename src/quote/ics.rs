//! Joint-day invitation (placeholder).
use chrono::{DateTime, NaiveDate, Utc};

pub struct JointDayInvite {
    pub uid: String,
    pub reference: String,
    pub date: NaiveDate,
    pub site: String,
    pub summary: String,
    pub description: String,
    pub organizer_email: String,
    pub attendee_email: String,
    pub stamp: DateTime<Utc>,
}

pub fn invitation(invite: &JointDayInvite) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:{}\r\nDTSTART;VALUE=DATE:{}\r\nSUMMARY:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        invite.uid,
        invite.date.format("%Y%m%d"),
        invite.summary
    )
}
