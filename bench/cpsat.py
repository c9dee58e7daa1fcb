#!/usr/bin/env python3
"""OR-Tools CP-SAT on a joint-day instance, maximising requests served (the first criterion).

usage: cpsat.py INSTANCE.json SECONDS WORKERS  -> prints {"served", "bound", "seconds"}

Same pooled model as lp_bound.py (crews covering a commune together share a daily capacity),
so the plan it finds is the number of requests served, not a full crew-level plan.
"""
import json, sys, time
from ortools.sat.python import cp_model
import lp_bound

inst = json.load(open(sys.argv[1]))
seconds, workers = float(sys.argv[2]), int(sys.argv[3])
var_req, rows, rhs = lp_bound.build(inst)
m = cp_model.CpModel()
x = [m.NewBoolVar("") for _ in var_req]
by_req = {}
for v, (r, _) in enumerate(var_req):
    by_req.setdefault(r, []).append(v)
for vs in by_req.values():
    m.AddAtMostOne(x[v] for v in vs)
for key, vs in rows.items():
    if len(vs) > rhs[key]:
        m.Add(sum(x[v] for v in vs) <= rhs[key])
m.Maximize(sum(x))
s = cp_model.CpSolver()
s.parameters.max_time_in_seconds = seconds
s.parameters.num_workers = workers
t = time.time()
s.Solve(m)
print(json.dumps({"served": int(s.ObjectiveValue()), "bound": s.BestObjectiveBound(),
                  "seconds": round(time.time() - t, 1)}))
