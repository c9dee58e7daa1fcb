//! When a failed delivery or assessment is tried again.

use chrono::Duration;

/// Delay before the next attempt after `attempts` failures: 30 s, 1 min, 2 min, … capped at 1 h.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let seconds = 30i64.saturating_mul(1i64 << exponent.min(16));
    Duration::seconds(seconds.min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(8), Duration::seconds(3600));
        assert_eq!(backoff(50), Duration::seconds(3600));
    }
}
