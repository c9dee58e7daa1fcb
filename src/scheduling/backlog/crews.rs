//! Picking crews inside each pool once days are fixed: keep the requests of one commune with
//! one crew, so that each extra (crew, day, commune) opening — another road opening and crew
//! visit (rule C-6) — is avoided where capacity allows.

use std::collections::BTreeMap;

use super::{Assignment, Instance, Plan, model::Day, model::Model};

pub(super) fn assign_crews(inst: &Instance, m: &Model, days: &[Option<Day>]) -> Plan {
    let h = m.horizon;
    // Requests per pool and day, in request order.
    let mut by_slot: Vec<Vec<u32>> = vec![Vec::new(); m.pools() * h];
    for (r, d) in days.iter().enumerate() {
        if let Some(d) = d {
            for &p in m.pools_of(r) {
                by_slot[p as usize * h + *d as usize].push(r as u32);
            }
        }
    }
    let mut left: Vec<u32> = Vec::with_capacity(inst.crews.len() * h);
    for c in &inst.crews {
        left.extend((0..h).map(|d| c.capacity_on(&inst.capacity_per_crew_day, d)));
    }
    let mut chosen: Vec<Vec<u32>> = (0..days.len())
        .map(|r| vec![u32::MAX; m.pools_of(r).len()])
        .collect();
    let mut failed = vec![false; days.len()];
    for p in 0..m.pools() {
        for d in 0..h {
            let slot = &by_slot[p * h + d];
            if slot.is_empty() {
                continue;
            }
            let mut groups: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
            for &r in slot {
                groups
                    .entry(inst.requests[r as usize].commune)
                    .or_default()
                    .push(r);
            }
            let mut groups: Vec<(u32, Vec<u32>)> = groups.into_iter().collect();
            // Largest communes first: they are the hardest to keep with one crew.
            groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
            let crews = &m.pool_crews[p];
            for (_, group) in groups {
                let size = group.len() as u32;
                // Best fit: the crew whose remaining capacity fits the whole group most tightly.
                let whole = crews
                    .iter()
                    .copied()
                    .filter(|&k| left[k as usize * h + d] >= size)
                    .min_by_key(|&k| (left[k as usize * h + d], k));
                let mut queue = group.into_iter();
                if let Some(k) = whole {
                    for r in queue.by_ref() {
                        place(&mut chosen, &mut left, m, r, p, k, h, d);
                    }
                    continue;
                }
                // Otherwise split over as few crews as possible: the freest first.
                for r in queue {
                    let freest = crews
                        .iter()
                        .copied()
                        .filter(|&k| left[k as usize * h + d] > 0)
                        .max_by_key(|&k| (left[k as usize * h + d], std::cmp::Reverse(k)));
                    match freest {
                        Some(k) => place(&mut chosen, &mut left, m, r, p, k, h, d),
                        // Only when cover sets overlap between pools: drop, stay valid.
                        None => failed[r as usize] = true,
                    }
                }
            }
        }
    }
    let mut plan = Plan::default();
    for (r, d) in days.iter().enumerate() {
        let Some(d) = d else { continue };
        if failed[r] {
            continue;
        }
        let crews = m.req_ops[r]
            .iter()
            .zip(&chosen[r])
            .map(|(op, &k)| (op.clone(), inst.crews[k as usize].id))
            .collect();
        plan.assignments.push(Assignment {
            request: inst.requests[r].id,
            day: *d as usize,
            crews,
        });
    }
    plan
}

#[expect(clippy::too_many_arguments, reason = "a private helper of one loop")]
fn place(
    chosen: &mut [Vec<u32>],
    left: &mut [u32],
    m: &Model,
    r: u32,
    pool: usize,
    crew: u32,
    h: usize,
    d: usize,
) {
    let slot = m
        .pools_of(r as usize)
        .iter()
        .position(|&p| p as usize == pool)
        .expect("request uses the pool");
    chosen[r as usize][slot] = crew;
    left[crew as usize * h + d] -= 1;
}
