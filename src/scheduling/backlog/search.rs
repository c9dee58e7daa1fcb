//! Choosing the day of every request: a pressure-guided greedy construction, short ejection
//! chains, then forced-insertion moves (to serve more) and pull-earlier moves (to wait less) run
//! on several threads in synchronised rounds. Everything is seeded, counted in moves rather than
//! seconds and merged in a fixed order, so the result never depends on timing.

use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};

use super::model::{Day, Model};

const NONE: Day = Day::MAX;

/// How hard to search. The defaults are the settings measured in `docs/PERFORMANCE.md`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub seed: u64,
    /// Worker threads for the search; the plan depends on it, not on the machine.
    pub threads: usize,
    /// Moves per request of the backlog, over all rounds and threads, to serve more...
    pub effort: f64,
    /// ... and then to shorten waiting.
    pub polish: f64,
    /// Most moves to serve more, whatever the size (shortening waiting gets four times as
    /// many): keeps large backlogs within their time target. Counts, not seconds, so that the
    /// plan stays reproducible.
    pub max_moves: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: 1,
            threads: 2,
            effort: 20.0,
            polish: 40.0,
            max_moves: 60_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Served,
    Wait,
}

#[derive(Clone)]
struct State<'m> {
    m: &'m Model,
    day: Vec<Day>,
    used: Vec<u16>,
    /// Per pool, a bit set of the days it still has room.
    room: Vec<u64>,
    occupants: Vec<Vec<u32>>,
    served: usize,
    wait: u64,
    /// Unserved requests with at least one possible day, and each one's position in it.
    unserved: Vec<u32>,
    unserved_pos: Vec<u32>,
    journal: Vec<(u32, Day)>,
    /// Requests moved by the current chain carry the current stamp and may not move again.
    lock: Vec<u32>,
    stamp: u32,
    budget: u32,
}

impl<'m> State<'m> {
    fn new(m: &'m Model) -> Self {
        let n = m.requests();
        let mut s = State {
            m,
            day: vec![NONE; n],
            used: vec![0; m.cap.len()],
            room: vec![0; m.pools() * m.words],
            occupants: vec![Vec::new(); m.cap.len()],
            served: 0,
            wait: 0,
            unserved: Vec::new(),
            unserved_pos: vec![u32::MAX; n],
            journal: Vec::new(),
            lock: vec![0; n],
            stamp: 0,
            budget: 0,
        };
        for p in 0..m.pools() {
            for d in 0..m.horizon {
                if m.cap[p * m.horizon + d] > 0 {
                    s.room[p * m.words + d / 64] |= 1 << (d % 64);
                }
            }
        }
        for r in 0..n {
            if !m.days_of(r).is_empty() {
                s.unserved_pos[r] = s.unserved.len() as u32;
                s.unserved.push(r as u32);
            }
        }
        s
    }

    fn key(&self) -> (usize, std::cmp::Reverse<u64>) {
        (self.served, std::cmp::Reverse(self.wait))
    }

    fn slot(&self, pool: u32, d: Day) -> usize {
        pool as usize * self.m.horizon + d as usize
    }

    /// Moves `r` to day `d` (or out of the plan with `NONE`), recording the move for rollback.
    fn set(&mut self, r: usize, d: Day) {
        self.journal.push((r as u32, self.day[r]));
        self.apply(r, d);
    }

    fn apply(&mut self, r: usize, d: Day) {
        let m = self.m;
        let old = self.day[r];
        if old == d {
            return;
        }
        if old != NONE {
            for &p in m.pools_of(r) {
                let i = self.slot(p, old);
                self.used[i] -= 1;
                if self.used[i] < m.cap[i] {
                    self.room[p as usize * m.words + old as usize / 64] |= 1 << (old % 64);
                }
                let occ = &mut self.occupants[i];
                let k = occ
                    .iter()
                    .position(|&x| x as usize == r)
                    .expect("occupant listed");
                occ.swap_remove(k);
            }
            self.wait -= u64::from(old - m.release[r]);
            self.served -= 1;
            self.unserved_pos[r] = self.unserved.len() as u32;
            self.unserved.push(r as u32);
        }
        if d != NONE {
            for &p in m.pools_of(r) {
                let i = self.slot(p, d);
                self.used[i] += 1;
                if self.used[i] >= m.cap[i] {
                    self.room[p as usize * m.words + d as usize / 64] &= !(1 << (d % 64));
                }
                self.occupants[i].push(r as u32);
            }
            self.wait += u64::from(d - m.release[r]);
            self.served += 1;
            let k = self.unserved_pos[r] as usize;
            let last = *self.unserved.last().expect("request was unserved");
            self.unserved.swap_remove(k);
            if last as usize != r {
                self.unserved_pos[last as usize] = k as u32;
            }
            self.unserved_pos[r] = u32::MAX;
        }
        self.day[r] = d;
    }

    fn rollback(&mut self, mark: usize) {
        while self.journal.len() > mark {
            let (r, d) = self.journal.pop().expect("journal entry");
            self.apply(r as usize, d);
        }
    }

    /// The earliest day before `before` on which `r` fits as things stand, except `avoid`.
    fn first_fit(&self, r: usize, avoid: Day, before: Day) -> Option<Day> {
        let m = self.m;
        let pools = m.pools_of(r);
        for (w, &feasible) in m.feasible_of(r).iter().enumerate() {
            let mut bits = feasible;
            for &p in pools {
                bits &= self.room[p as usize * m.words + w];
            }
            if avoid != NONE && avoid as usize / 64 == w {
                bits &= !(1 << (avoid % 64));
            }
            if bits != 0 {
                let d = (w * 64 + bits.trailing_zeros() as usize) as Day;
                return (d < before).then_some(d);
            }
        }
        None
    }

    /// Serves `r` on its earliest day with room, if any.
    fn insert_direct(&mut self, r: usize, avoid: Day) -> bool {
        match self.first_fit(r, avoid, NONE) {
            Some(d) => {
                self.set(r, d);
                true
            }
            None => false,
        }
    }

    /// Serves the unserved, locked request `r`, moving other requests out of the way along
    /// ejection chains of at most `depth` links. Leaves the state unchanged on failure.
    fn insert(&mut self, r: usize, depth: u32, avoid: Day, rng: &mut StdRng) -> bool {
        if self.insert_direct(r, avoid) {
            return true;
        }
        if depth == 0 {
            return false;
        }
        let m = self.m;
        for &d in m.days_of(r) {
            if d == avoid {
                continue;
            }
            // More than two full pools rarely clear; skipping them keeps chains cheap.
            let full = m
                .pools_of(r)
                .iter()
                .filter(|&&p| self.used[self.slot(p, d)] >= m.cap[self.slot(p, d)])
                .count();
            if full > 2 {
                continue;
            }
            if self.budget == 0 {
                return false;
            }
            self.budget -= 1;
            let mark = self.journal.len();
            self.set(r, d);
            if self.make_room(r, d, depth, rng) {
                return true;
            }
            self.rollback(mark);
        }
        false
    }

    /// Ejects requests from the pools `r` overfills on day `d` and re-serves them elsewhere.
    fn make_room(&mut self, r: usize, d: Day, depth: u32, rng: &mut StdRng) -> bool {
        let m = self.m;
        for &p in m.pools_of(r) {
            let i = self.slot(p, d);
            while self.used[i] > m.cap[i] {
                let mut candidates: Vec<u32> = self.occupants[i]
                    .iter()
                    .copied()
                    .filter(|&q| self.lock[q as usize] != self.stamp)
                    .collect();
                candidates.shuffle(rng);
                let mut moved = false;
                // A few random candidates are enough; trying all of a busy pool costs too much.
                for q in candidates.into_iter().take(MAX_EJECTION_CANDIDATES) {
                    let q = q as usize;
                    let mark = self.journal.len();
                    self.lock[q] = self.stamp;
                    self.set(q, NONE);
                    if self.insert(q, depth - 1, d, rng) {
                        moved = true;
                        break;
                    }
                    self.rollback(mark);
                    self.lock[q] = 0;
                }
                if !moved {
                    return false;
                }
            }
        }
        true
    }

    /// One top-level insertion attempt with its own lock stamp and search budget.
    fn try_serve(&mut self, r: usize, depth: u32, budget: u32, rng: &mut StdRng) -> bool {
        self.stamp += 1;
        self.lock[r] = self.stamp;
        self.budget = budget;
        self.insert(r, depth, NONE, rng)
    }

    /// Moves served requests to earlier days with room, to shorten waiting.
    fn pull_earlier(&mut self) {
        loop {
            let mut improved = false;
            for r in 0..self.m.requests() {
                let cur = self.day[r];
                if cur != NONE
                    && let Some(d) = self.first_fit(r, NONE, cur)
                {
                    self.set(r, d);
                    improved = true;
                }
            }
            if !improved {
                break;
            }
        }
        self.journal.clear();
    }

    /// Tries every unserved request with chains of increasing depth.
    fn chain_pass(&mut self, max_depth: u32, budget: u32, rng: &mut StdRng) {
        let mut order: Vec<u32> = self.unserved.clone();
        order.sort_by_key(|&r| (self.m.days_of(r as usize).len(), r));
        for depth in 1..=max_depth {
            for &r in &order {
                if self.day[r as usize] == NONE {
                    self.try_serve(r as usize, depth, budget, rng);
                }
            }
        }
        self.journal.clear();
    }

    /// Forces a random unserved request onto one of its days by ejecting one request from each
    /// full pool, then re-serves the ejected ones elsewhere if it can. Kept when no fewer
    /// requests are served: a plateau move that lets the search wander between equal plans.
    fn force_step(&mut self, rng: &mut StdRng, scratch: &mut Vec<u32>) {
        let m = self.m;
        if self.unserved.is_empty() {
            return;
        }
        let r = self.unserved[rng.gen_range(0..self.unserved.len())] as usize;
        let days = m.days_of(r);
        // The earlier of two random days: serving matters most, but waiting counts too.
        let k = rng
            .gen_range(0..days.len())
            .min(rng.gen_range(0..days.len()));
        let d = days[k];
        let before = (self.served, self.wait);
        let mark = self.journal.len();
        scratch.clear();
        for &p in m.pools_of(r) {
            let i = self.slot(p, d);
            if self.used[i] >= m.cap[i] {
                let occ = &self.occupants[i];
                let q = occ[rng.gen_range(0..occ.len())];
                scratch.push(q);
                self.set(q as usize, NONE);
            }
        }
        self.set(r, d);
        scratch.sort_by_key(|&q| m.days_of(q as usize).len());
        for &q in scratch.iter() {
            let q = q as usize;
            // Short chains: many cheap tries beat few deep ones (measured on sizes M and XL).
            if self.day[q] == NONE {
                self.try_serve(q, 1, 5, rng);
            }
        }
        // Equal plans are accepted so that the search can wander, but only while waiting stays
        // within a small allowance; otherwise they would drift far from short waits.
        if self.served < before.0 || (self.served == before.0 && self.wait > before.1 + WAIT_SLACK)
        {
            self.rollback(mark);
        }
        self.journal.clear();
    }

    /// Moves a random served request to an earlier day, ejecting one request from each full
    /// pool to its own earliest day with room; kept when the total waiting drops.
    fn wait_step(&mut self, rng: &mut StdRng, scratch: &mut Vec<u32>) {
        let m = self.m;
        let r = rng.gen_range(0..m.requests());
        let cur = self.day[r];
        if cur == NONE {
            return;
        }
        let days = m.days_of(r);
        let earlier = days.partition_point(|&d| d < cur);
        if earlier == 0 {
            return;
        }
        let d = days[rng.gen_range(0..earlier)];
        let before = (self.served, self.wait);
        let mark = self.journal.len();
        self.set(r, NONE);
        scratch.clear();
        for &p in m.pools_of(r) {
            let i = self.slot(p, d);
            if self.used[i] >= m.cap[i] {
                let occ = &self.occupants[i];
                let q = occ[rng.gen_range(0..occ.len())];
                scratch.push(q);
                self.set(q as usize, NONE);
            }
        }
        self.set(r, d);
        for &q in scratch.iter() {
            let q = q as usize;
            if self.day[q] == NONE && !self.insert_direct(q, d) {
                break;
            }
        }
        if self.served < before.0 || self.wait >= before.1 {
            self.rollback(mark);
        }
        self.journal.clear();
    }
}

/// Greedy construction guided by demand pressure: every request not yet placed spreads one
/// unit of demand evenly over its possible days; a request goes to the day whose pools are the
/// least pressed relative to their remaining room, so scarce days stay for those needing them.
fn construct(state: &mut State<'_>, order: &[usize]) {
    let m = state.m;
    let mut pressure = vec![0f64; m.cap.len()];
    let spread = |pressure: &mut Vec<f64>, r: usize, sign: f64| {
        let days = m.days_of(r);
        let share = sign / days.len().max(1) as f64;
        for &p in m.pools_of(r) {
            for &d in days {
                pressure[p as usize * m.horizon + d as usize] += share;
            }
        }
    };
    for &r in order {
        spread(&mut pressure, r, 1.0);
    }
    for &r in order {
        spread(&mut pressure, r, -1.0);
        let mut best: Option<(f64, Day)> = None;
        for &d in m.days_of(r) {
            let mut cost = 0.0;
            let mut fits = true;
            for &p in m.pools_of(r) {
                let i = p as usize * m.horizon + d as usize;
                let left = i32::from(m.cap[i]) - i32::from(state.used[i]);
                if left <= 0 {
                    fits = false;
                    break;
                }
                cost += pressure[i].max(0.0) / f64::from(left);
            }
            // A small charge per day waited breaks near-ties towards early days.
            cost += 0.002 * f64::from(d - m.release[r]);
            if fits && best.is_none_or(|(c, _)| cost < c) {
                best = Some((cost, d));
            }
        }
        if let Some((_, d)) = best {
            state.set(r, d);
        }
    }
    state.journal.clear();
}

/// Chooses a day for every request it can serve (`None` for the others).
pub(super) fn plan_days(m: &Model, options: &Options) -> Vec<Option<Day>> {
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut state = State::new(m);
    // Tightest requests first: fewest possible days, then earliest deadline.
    let mut order: Vec<usize> = (0..m.requests()).collect();
    order.sort_by_key(|&r| {
        let days = m.days_of(r);
        (days.len(), days.last().copied().unwrap_or(0), r)
    });
    construct(&mut state, &order);
    state.chain_pass(1, 5, &mut rng);
    state.pull_earlier();

    let threads = options.threads.max(1);
    let n = m.requests() as f64;
    let steps = |per_request: f64, cap: usize, rounds: usize| {
        ((per_request * n) as usize).min(cap) / (rounds * threads)
    };
    let mut seed = options.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let served_steps = steps(options.effort, options.max_moves, SERVED_ROUNDS);
    for _ in 0..SERVED_ROUNDS {
        let before = state.served;
        state = parallel_round(state, Phase::Served, served_steps, threads, &mut seed);
        if state.served == before {
            // Nothing gained in a whole round: the plan is at or near its best.
            break;
        }
    }
    state.chain_pass(1, 5, &mut rng);
    state.pull_earlier();
    for _ in 0..WAIT_ROUNDS {
        let polish_steps = steps(options.polish, 4 * options.max_moves, WAIT_ROUNDS);
        state = parallel_round(state, Phase::Wait, polish_steps, threads, &mut seed);
        state.pull_earlier();
    }
    state
        .day
        .iter()
        .map(|&d| (d != NONE).then_some(d))
        .collect()
}

const SERVED_ROUNDS: usize = 4;
const MAX_EJECTION_CANDIDATES: usize = 6;
/// Days of extra waiting a plateau move may add (tuned on seeds 1-3 of sizes S and M).
const WAIT_SLACK: u64 = 20;
const WAIT_ROUNDS: usize = 2;

/// Runs `steps` moves on each of `threads` copies of `state`, each with its own seed, and keeps
/// the best copy; ties go to the lowest thread number, so the merge is deterministic.
fn parallel_round<'m>(
    state: State<'m>,
    phase: Phase,
    steps: usize,
    threads: usize,
    seed: &mut u64,
) -> State<'m> {
    let base = *seed;
    *seed = seed.wrapping_add(threads as u64);
    let results: Vec<State<'m>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mut s = state.clone();
                scope.spawn(move || {
                    let mut rng = StdRng::seed_from_u64(base.wrapping_add(t as u64));
                    let mut scratch = Vec::new();
                    for _ in 0..steps {
                        match phase {
                            Phase::Served => s.force_step(&mut rng, &mut scratch),
                            Phase::Wait => s.wait_step(&mut rng, &mut scratch),
                        }
                    }
                    s
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("search thread"))
            .collect()
    });
    let mut best = state;
    let mut first = true;
    for s in results {
        if first || s.key() > best.key() {
            best = s;
            first = false;
        }
    }
    best
}
