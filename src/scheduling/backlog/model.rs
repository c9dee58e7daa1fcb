//! The instance compiled into flat arrays: pools of interchangeable crews with a capacity per
//! day, and for each request its pools and the days on which every pool can take it.

use std::collections::HashMap;

use super::{Instance, InstanceError};

pub(super) type Day = u16;

pub(super) struct Model {
    pub horizon: usize,
    /// Capacity per pool and day, at `pool * horizon + day`.
    pub cap: Vec<u16>,
    /// Crew indices (into `Instance::crews`) of each pool, and its operator.
    pub pool_crews: Vec<Vec<u32>>,
    /// Requests' pools, flattened: request `r` uses `pools[pool_start[r]..pool_start[r + 1]]`.
    pool_start: Vec<u32>,
    pools: Vec<u32>,
    /// Days (ascending) on which request `r` can be served, flattened the same way.
    day_start: Vec<u32>,
    days: Vec<Day>,
    pub release: Vec<Day>,
    /// The same days as a bit set of `words` 64-bit words per request.
    pub words: usize,
    pub feasible: Vec<u64>,
    /// Operator names of each request, deduplicated, in the order of `pools_of`.
    pub req_ops: Vec<Vec<String>>,
}

impl Model {
    pub fn build(inst: &Instance) -> Result<Self, InstanceError> {
        let horizon = inst.horizon_days;
        if horizon == 0 || horizon > 10_000 {
            return Err(InstanceError::Horizon(horizon));
        }
        let mut crew_index = HashMap::new();
        for (i, c) in inst.crews.iter().enumerate() {
            if crew_index.insert(c.id, i as u32).is_some() {
                return Err(InstanceError::DuplicateCrew(c.id));
            }
            if c.available.len() != horizon {
                return Err(InstanceError::Availability {
                    crew: c.id,
                    got: c.available.len(),
                    horizon,
                });
            }
            if let Some(capacity) = &c.capacity
                && capacity.len() != horizon
            {
                return Err(InstanceError::Availability {
                    crew: c.id,
                    got: capacity.len(),
                    horizon,
                });
            }
            if !inst.capacity_per_crew_day.contains_key(&c.operator) {
                return Err(InstanceError::NoCapacity(c.operator.clone()));
            }
        }
        // One pool per distinct (operator, crew set): all communes of a service area share it.
        let mut pool_of_set: HashMap<(String, Vec<u32>), u32> = HashMap::new();
        let mut pool_crews: Vec<Vec<u32>> = Vec::new();
        let mut cover: HashMap<(&str, u32), u32> = HashMap::new();
        for cv in &inst.cover {
            let mut set = Vec::with_capacity(cv.crews.len());
            for id in &cv.crews {
                let problem = |problem| InstanceError::Cover {
                    operator: cv.operator.clone(),
                    commune: cv.commune,
                    crew: *id,
                    problem,
                };
                let &k = crew_index
                    .get(id)
                    .ok_or_else(|| problem("does not exist"))?;
                if inst.crews[k as usize].operator != cv.operator {
                    return Err(problem("belongs to another operator"));
                }
                set.push(k);
            }
            set.sort_unstable();
            set.dedup();
            let next = pool_crews.len() as u32;
            let pool = *pool_of_set
                .entry((cv.operator.clone(), set.clone()))
                .or_insert_with(|| {
                    pool_crews.push(set);
                    next
                });
            cover.insert((cv.operator.as_str(), cv.commune), pool);
        }
        let mut cap = vec![0u16; pool_crews.len() * horizon];
        for (p, crews) in pool_crews.iter().enumerate() {
            for &k in crews {
                let crew = &inst.crews[k as usize];
                for d in 0..horizon {
                    let per_day = crew
                        .capacity_on(&inst.capacity_per_crew_day, d)
                        .min(u16::MAX as u32);
                    let slot = &mut cap[p * horizon + d];
                    *slot = slot.saturating_add(per_day as u16);
                }
            }
        }

        let n = inst.requests.len();
        let mut seen = HashMap::with_capacity(n);
        let mut model = Model {
            horizon,
            cap,
            pool_crews,
            pool_start: Vec::with_capacity(n + 1),
            pools: Vec::new(),
            day_start: Vec::with_capacity(n + 1),
            days: Vec::new(),
            release: Vec::with_capacity(n),
            words: horizon.div_ceil(64),
            feasible: Vec::with_capacity(n * horizon.div_ceil(64)),
            req_ops: Vec::with_capacity(n),
        };
        model.pool_start.push(0);
        model.day_start.push(0);
        for r in &inst.requests {
            if seen.insert(r.id, ()).is_some() {
                return Err(InstanceError::DuplicateRequest(r.id));
            }
            if r.operators.is_empty() {
                return Err(InstanceError::Request(r.id, "no operator"));
            }
            let mut ops = r.operators.clone();
            ops.sort_unstable();
            ops.dedup();
            // An operator without crews in the commune makes the request impossible, not the
            // instance invalid.
            let pools: Option<Vec<u32>> = ops
                .iter()
                .map(|o| cover.get(&(o.as_str(), r.commune)).copied())
                .collect();
            let last = r.deadline.min(horizon - 1);
            if let Some(pools) = pools {
                model.pools.extend_from_slice(&pools);
                for d in r.release..=last {
                    if pools
                        .iter()
                        .all(|&p| model.cap[p as usize * horizon + d] > 0)
                    {
                        model.days.push(d as Day);
                    }
                }
            }
            let mut bits = vec![0u64; model.words];
            for &d in &model.days[*model.day_start.last().unwrap_or(&0) as usize..] {
                bits[d as usize / 64] |= 1 << (d % 64);
            }
            model.feasible.extend_from_slice(&bits);
            model.pool_start.push(model.pools.len() as u32);
            model.day_start.push(model.days.len() as u32);
            model.release.push(r.release.min(horizon) as Day);
            model.req_ops.push(ops);
        }
        Ok(model)
    }

    pub fn requests(&self) -> usize {
        self.release.len()
    }

    pub fn pools_of(&self, r: usize) -> &[u32] {
        &self.pools[self.pool_start[r] as usize..self.pool_start[r + 1] as usize]
    }

    pub fn days_of(&self, r: usize) -> &[Day] {
        &self.days[self.day_start[r] as usize..self.day_start[r + 1] as usize]
    }

    pub fn feasible_of(&self, r: usize) -> &[u64] {
        &self.feasible[r * self.words..(r + 1) * self.words]
    }

    pub fn pools(&self) -> usize {
        self.pool_crews.len()
    }
}
