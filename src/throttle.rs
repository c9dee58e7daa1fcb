//! Throttles per client address (GCRA, `governor` keyed limiters) and what a refused caller
//! is told: which limit, and when to try again.
//!
//! These counts live in each instance's memory: with several instances behind a load
//! balancer each allows its own quota (spread evenly, up to that many times the configured
//! rate), and a restart forgets them. They only brake anonymous floods; the limits that must
//! hold exactly — failed sign-ins per account, confirmations per mailbox, documents per
//! request — are counted in the database (see `services::auth`, `services::submit`,
//! `services::documents`).

use std::{
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
    time::Duration,
};

use governor::{
    Quota, RateLimiter, clock::Clock as GovernorClock, middleware::NoOpMiddleware, nanos::Nanos,
    state::keyed::DashMapStateStore,
};

use crate::{clock::Clock, config::Limits};

/// What was limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Sign-in attempts from one client address.
    SignInAddress,
    /// Failed sign-ins on one account.
    SignInAccount,
    /// Requests filed from one client address.
    Filing,
    /// Filing confirmations sent to one mailbox.
    FilingMail,
    /// Estimates from one client address.
    Estimate,
    /// New private links asked from one client address (each sends mail).
    LinkMail,
}

impl Limit {
    /// The message key's last part (`page_error.too_many.<key>`).
    pub fn key(self) -> &'static str {
        match self {
            Limit::SignInAddress => "sign_in_address",
            Limit::SignInAccount => "sign_in_account",
            Limit::Filing => "filing",
            Limit::FilingMail => "filing_mail",
            Limit::Estimate => "estimate",
            Limit::LinkMail => "link_mail",
        }
    }
}

/// A refusal: the limit reached and how long until it lets the caller through again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub limit: Limit,
    pub retry_after: Duration,
}

impl Limited {
    /// Whole seconds to wait (`Retry-After`), rounded up, at least one.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs();
        let secs = if self.retry_after.subsec_nanos() > 0 {
            secs.saturating_add(1)
        } else {
            secs
        };
        secs.max(1)
    }
}

/// The application's clock as governor reads it: nanoseconds since the Unix epoch, so a
/// test's clock moved on lets a throttled caller through like real time would.
#[derive(Clone)]
struct AppClock(Clock);

impl GovernorClock for AppClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let nanos = self.0.now().timestamp_nanos_opt().unwrap_or(0);
        Nanos::from(u64::try_from(nanos).unwrap_or(0))
    }
}

type Limiter = RateLimiter<IpAddr, DashMapStateStore<IpAddr>, AppClock, NoOpMiddleware<Nanos>>;

/// One keyed limiter: `burst` calls at once per client, then one more every `window / burst`.
pub struct Throttle {
    limit: Limit,
    limiter: Limiter,
    clock: AppClock,
}

impl Throttle {
    pub fn new(limit: Limit, burst: NonZeroU32, window: Duration, clock: &Clock) -> Self {
        let clock = AppClock(clock.clone());
        let period = (window / burst.get()).max(Duration::from_nanos(1));
        let quota = Quota::with_period(period)
            .expect("a period of at least one nanosecond")
            .allow_burst(burst);
        Throttle {
            limit,
            limiter: RateLimiter::dashmap_with_clock(quota, clock.clone()),
            clock,
        }
    }

    /// Counts one call of `client`; refused once its quota is spent.
    pub fn check(&self, client: IpAddr) -> Result<(), Limited> {
        self.limiter
            .check_key(&client_key(client))
            .map_err(|not_until| Limited {
                limit: self.limit,
                retry_after: not_until.wait_time_from(self.clock.now()),
            })
    }

    /// Forgets the clients whose quota is whole again (their state is that of a new client).
    fn retain_recent(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// The key a client is counted under: an IPv4 address, or the /64 network of an IPv6 one
/// (one subscriber gets a whole /64 and could otherwise change address at every call).
fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(network))
            }
        },
    }
}

/// The per-address throttles of one instance.
pub struct Throttles {
    pub sign_in: Throttle,
    pub filing: Throttle,
    pub estimate: Throttle,
    pub link_mail: Throttle,
}

impl Throttles {
    pub fn new(limits: &Limits, clock: &Clock) -> Self {
        const MINUTE: Duration = Duration::from_secs(60);
        Throttles {
            sign_in: Throttle::new(
                Limit::SignInAddress,
                limits.sign_in_attempts_per_address,
                MINUTE * limits.sign_in_window_minutes.get(),
                clock,
            ),
            filing: Throttle::new(
                Limit::Filing,
                limits.filings_per_address_per_hour,
                MINUTE * 60,
                clock,
            ),
            estimate: Throttle::new(
                Limit::Estimate,
                limits.estimates_per_address_per_minute,
                MINUTE,
                clock,
            ),
            link_mail: Throttle::new(
                Limit::LinkMail,
                limits.link_mails_per_address_per_hour,
                MINUTE * 60,
                clock,
            ),
        }
    }

    /// Drops the state of idle clients, so memory follows the active ones only.
    pub fn retain_recent(&self) {
        self.sign_in.retain_recent();
        self.filing.retain_recent();
        self.estimate.retain_recent();
        self.link_mail.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> Clock {
        Clock::starting_at("2026-12-02T09:00:00Z".parse().unwrap())
    }

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 7));
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 1));

    #[test]
    fn a_burst_passes_then_one_call_per_share_of_the_window() {
        let clock = clock();
        let window = Duration::from_secs(3600);
        let throttle = Throttle::new(Limit::Filing, NonZeroU32::new(10).unwrap(), window, &clock);
        for _ in 0..10 {
            assert_eq!(throttle.check(HOME), Ok(()));
        }
        let refused = throttle.check(HOME).unwrap_err();
        assert_eq!(refused.limit, Limit::Filing);
        // One call more every six minutes: the wait is at most that.
        assert!(refused.retry_after <= Duration::from_secs(360));
        assert!(refused.retry_after > Duration::from_secs(350));
        assert_eq!(
            refused.retry_after_secs(),
            refused.retry_after.as_secs() + 1
        );
        // Another client is not held back.
        assert_eq!(throttle.check(OTHER), Ok(()));
        clock.advance(chrono::Duration::minutes(6));
        assert_eq!(throttle.check(HOME), Ok(()));
        assert!(throttle.check(HOME).is_err());
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), HOME);
    }

    #[test]
    fn idle_clients_are_forgotten() {
        let clock = clock();
        let throttle = Throttle::new(
            Limit::Estimate,
            NonZeroU32::new(2).unwrap(),
            Duration::from_secs(60),
            &clock,
        );
        throttle.check(HOME).unwrap();
        throttle.check(OTHER).unwrap();
        assert_eq!(throttle.limiter.len(), 2);
        clock.advance(chrono::Duration::minutes(2));
        throttle.retain_recent();
        assert_eq!(throttle.limiter.len(), 0);
    }
}
