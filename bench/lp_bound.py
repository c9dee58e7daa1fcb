#!/usr/bin/env python3
"""LP upper bound on the number of requests served (joint-day benchmark, FORMAT.md).

usage: lp_bound.py INSTANCE.json   -> prints {"bound": float, "solver": "..."}

x[r,d] in [0,1] = request r served on day d; sum_d x[r,d] <= 1; for every operator, set of crews
that cover a commune together and day: sum of x over the requests needing it <= the capacity of
the crews of that set available that day. When the cover sets of an operator are disjoint (the
benchmark's service areas) this is the same bound as the crew-level LP with far fewer variables;
otherwise the script falls back to the crew-level LP. Solved with OR-Tools GLOP, or with SciPy's
HiGHS when OR-Tools is not installed.
"""
import json, sys
from collections import defaultdict


def build(inst):
    cap = inst["capacity_per_crew_day"]
    crews = {c["id"]: c for c in inst["crews"]}
    cover = {(c["operator"], c["commune"]): tuple(sorted(c["crews"])) for c in inst["cover"]}
    sets_of_crew = defaultdict(set)
    for key, cs in cover.items():
        for c in cs:
            sets_of_crew[c].add(cs)
    pooled = all(len(s) == 1 for s in sets_of_crew.values())
    H = inst["horizon_days"]
    rows = defaultdict(list)  # resource -> list of variable indices
    rhs = {}
    var_req = []
    for r in inst["requests"]:
        for d in range(r["release"], r["deadline"] + 1):
            usable = []
            ok = True
            for o in r["operators"]:
                cs = cover.get((o, r["commune"]), ())
                av = [c for c in cs if crews[c]["available"][d]]
                if not av:
                    ok = False
                    break
                usable.append((o, cs, av))
            if not ok:
                continue
            if pooled:
                v = len(var_req)
                var_req.append((r["id"], None))
                for o, cs, av in usable:
                    key = (cs, d)
                    rows[key].append(v)
                    rhs[key] = sum(cap[crews[c]["operator"]] for c in av)
            else:
                raise SystemExit("cover sets overlap: crew-level LP not implemented for this instance")
    return var_req, rows, rhs


def solve(inst):
    var_req, rows, rhs = build(inst)
    n = len(var_req)
    by_req = defaultdict(list)
    for v, (r, _) in enumerate(var_req):
        by_req[r].append(v)
    try:
        from ortools.linear_solver import pywraplp
        s = pywraplp.Solver.CreateSolver("GLOP")
        x = [s.NumVar(0, 1, "") for _ in range(n)]
        for vs in by_req.values():
            s.Add(sum(x[v] for v in vs) <= 1)
        for key, vs in rows.items():
            s.Add(sum(x[v] for v in vs) <= rhs[key])
        s.Maximize(sum(x))
        status = s.Solve()
        assert status == pywraplp.Solver.OPTIMAL, status
        return s.Objective().Value(), "ortools-glop"
    except ImportError:
        import numpy as np
        from scipy.optimize import linprog
        from scipy.sparse import coo_matrix
        ri, ci = [], []
        b = []
        k = 0
        for vs in by_req.values():
            ri += [k] * len(vs); ci += vs; b.append(1); k += 1
        for key, vs in rows.items():
            ri += [k] * len(vs); ci += vs; b.append(rhs[key]); k += 1
        A = coo_matrix((np.ones(len(ri)), (ri, ci)), shape=(k, n))
        res = linprog(-np.ones(n), A_ub=A, b_ub=b, bounds=(0, 1), method="highs")
        return -res.fun, "scipy-highs"


if __name__ == "__main__":
    inst = json.load(open(sys.argv[1]))
    bound, solver = solve(inst)
    print(json.dumps({"bound": round(bound, 3), "solver": solver}))
