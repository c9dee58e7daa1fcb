//! The backlog optimiser: plans a whole waiting backlog at once on the benchmark format
//! (`shared/bench/scheduling/FORMAT.md`). Every request gets one day on which all its operators
//! come (rule C-4). Objective, lexicographic: most requests served, then least waiting, then
//! fewest crew openings per (crew, day, commune).
//!
//! How: the crews that cover a commune together form a pool with a daily capacity; a greedy
//! construction, then ejection chains and a large-neighbourhood search on two threads, choose
//! the days; finally crews are picked inside each pool to open as few sites as possible.

mod crews;
pub mod live;
mod model;
mod search;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

pub use search::Options;

/// A benchmark instance (FORMAT.md). Day 0 is a Monday; days are indices into the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub horizon_days: usize,
    /// Jobs one crew of an operator does per day.
    pub capacity_per_crew_day: BTreeMap<String, u32>,
    #[serde(default)]
    pub weights: Weights,
    #[serde(default)]
    pub communes: Vec<BenchCommune>,
    pub crews: Vec<BenchCrew>,
    pub cover: Vec<Cover>,
    pub requests: Vec<BenchRequest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub serve: i64,
    pub wait: i64,
    pub opening: i64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            serve: 1000,
            wait: 1,
            opening: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchCommune {
    pub id: u32,
    #[serde(default)]
    pub x_km: f64,
    #[serde(default)]
    pub y_km: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchCrew {
    pub id: u32,
    pub operator: String,
    /// One flag per day of the horizon.
    pub available: Vec<bool>,
    /// Jobs still free per day, when they differ from the operator's `capacity_per_crew_day`
    /// (a live backlog: crews of their own size, days partly booked). Not in the benchmark
    /// format; absent there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Vec<u32>>,
}

impl BenchCrew {
    /// Jobs the crew can take on `day` (0 when it does not work).
    pub fn capacity_on(&self, per_crew_day: &BTreeMap<String, u32>, day: usize) -> u32 {
        if !self.available.get(day).copied().unwrap_or(false) {
            return 0;
        }
        match &self.capacity {
            Some(days) => days.get(day).copied().unwrap_or(0),
            None => per_crew_day.get(&self.operator).copied().unwrap_or(0),
        }
    }
}

/// The crews of `operator` allowed to work in `commune`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cover {
    pub operator: String,
    pub commune: u32,
    pub crews: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchRequest {
    pub id: u32,
    pub commune: u32,
    pub operators: Vec<String>,
    pub release: usize,
    pub deadline: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub assignments: Vec<Assignment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub request: u32,
    pub day: usize,
    /// Operator → crew id.
    pub crews: BTreeMap<String, u32>,
}

/// The figures `evaluate.py` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Score {
    pub served: usize,
    pub wait: u64,
    pub openings: usize,
    pub objective: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstanceError {
    #[error("horizon of {0} days is not between 1 and 10000")]
    Horizon(usize),
    #[error("crew {crew}: {got} availability flags for a horizon of {horizon} days")]
    Availability {
        crew: u32,
        got: usize,
        horizon: usize,
    },
    #[error("crew {0} is listed twice")]
    DuplicateCrew(u32),
    #[error("request {0} is listed twice")]
    DuplicateRequest(u32),
    #[error("operator {0:?} has no capacity_per_crew_day")]
    NoCapacity(String),
    #[error("cover of {operator:?} in commune {commune}: crew {crew} {problem}")]
    Cover {
        operator: String,
        commune: u32,
        crew: u32,
        problem: &'static str,
    },
    #[error("request {0}: {1}")]
    Request(u32, &'static str),
}

/// Why a plan breaks the rules (the checks of `evaluate.py`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid plan: {0}")]
pub struct PlanError(pub String);

/// Plans the backlog. Deterministic: the same instance and options give the same plan, whatever
/// the number of threads the machine has.
pub fn optimise(instance: &Instance, options: &Options) -> Result<Plan, InstanceError> {
    let model = model::Model::build(instance)?;
    let days = search::plan_days(&model, options);
    Ok(crews::assign_crews(instance, &model, &days))
}

/// Checks a plan and scores it like `evaluate.py`.
pub fn evaluate(instance: &Instance, plan: &Plan) -> Result<Score, PlanError> {
    let fail = |m: String| Err(PlanError(m));
    let requests: HashMap<u32, &BenchRequest> =
        instance.requests.iter().map(|r| (r.id, r)).collect();
    let crews: HashMap<u32, &BenchCrew> = instance.crews.iter().map(|c| (c.id, c)).collect();
    let cover: HashMap<(&str, u32), &[u32]> = instance
        .cover
        .iter()
        .map(|c| ((c.operator.as_str(), c.commune), c.crews.as_slice()))
        .collect();
    let mut load: HashMap<(u32, usize), u32> = HashMap::new();
    let mut opened = HashSet::new();
    let mut seen = HashSet::new();
    let mut wait = 0u64;
    for a in &plan.assignments {
        let Some(r) = requests.get(&a.request) else {
            return fail(format!("unknown request {}", a.request));
        };
        if !seen.insert(a.request) {
            return fail(format!("request {} planned twice", a.request));
        }
        if a.day < r.release || a.day > r.deadline {
            return fail(format!(
                "request {}: day {} outside its window",
                r.id, a.day
            ));
        }
        let mut wanted: Vec<&str> = r.operators.iter().map(String::as_str).collect();
        wanted.sort_unstable();
        wanted.dedup();
        if !a
            .crews
            .keys()
            .map(String::as_str)
            .eq(wanted.iter().copied())
        {
            return fail(format!("request {}: wrong operators", r.id));
        }
        for (op, crew) in &a.crews {
            let covers = cover
                .get(&(op.as_str(), r.commune))
                .is_some_and(|cs| cs.contains(crew));
            if !covers {
                return fail(format!("request {}: crew {crew} does not cover {op}", r.id));
            }
            let ok = crews
                .get(crew)
                .is_some_and(|c| &c.operator == op && c.available.get(a.day) == Some(&true));
            if !ok {
                return fail(format!(
                    "request {}: crew {crew} not available on day {}",
                    r.id, a.day
                ));
            }
            *load.entry((*crew, a.day)).or_default() += 1;
            opened.insert((*crew, a.day, r.commune));
        }
        wait += (a.day - r.release) as u64;
    }
    for ((crew, day), n) in &load {
        if *n > crews[crew].capacity_on(&instance.capacity_per_crew_day, *day) {
            return fail(format!("crew {crew} day {day}: {n} jobs above capacity"));
        }
    }
    let w = instance.weights;
    let served = seen.len();
    Ok(Score {
        served,
        wait,
        openings: opened.len(),
        objective: w.serve * served as i64 - w.wait * wait as i64 - w.opening * opened.len() as i64,
    })
}
