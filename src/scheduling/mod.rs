//! Scheduling, pure (no I/O): the working-day calendar, the joint intervention day of rule C-4
//! and the backlog optimiser.

pub mod backlog;
pub mod calendar;
pub mod holidays;
pub mod joint;

pub use backlog::{Instance, Options, Plan, Score, evaluate, optimise};
pub use calendar::{
    DayOff, LeadTime, WorkCalendar, easter_sunday, is_public_holiday, lead_time_due_date,
    public_holidays,
};
pub use holidays::{ConstructionHolidays, HolidayDataError, HolidayPeriod, PeriodError, Province};
pub use joint::{
    Blocked, Blocker, Bookings, CandidateDay, Crew, FreeCrews, ImpossibleDay, JointDayError,
    JointDayQuery, JointDays, OperatorWindow, Wait, first_day_after_payment,
    first_day_after_permit, joint_days,
};
