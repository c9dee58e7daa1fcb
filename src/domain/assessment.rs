//! Where an operator's assessment of a request stands: each operator studies its own part.

super::stored_code! {
    /// An assessment's status; stored as its code.
    pub enum AssessmentStatus {
        /// Waiting for the operator's module or staff to answer.
        Pending = "pending",
        /// The operator answered: its latest version holds the answer.
        Answered = "answered",
        /// Given up after its retries (`db::mark_task_failed`): no answer is recorded on it.
        Failed = "failed",
    }
}

impl AssessmentStatus {
    /// The codes, in order, for a filter's choices and the API's description.
    pub fn codes() -> [&'static str; 3] {
        Self::ALL.map(Self::code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_from_their_stored_codes_and_nothing_else() {
        crate::domain::assert_stored_codes(
            &[
                ("pending", AssessmentStatus::Pending),
                ("answered", AssessmentStatus::Answered),
                ("failed", AssessmentStatus::Failed),
            ],
            &["Answered", "done"],
        );
    }
}
