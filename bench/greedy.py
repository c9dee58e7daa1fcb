#!/usr/bin/env python3
"""Baseline: greedy in release order (each request on its earliest day where every operator has
a covering crew with room). usage: greedy.py INSTANCE.json PLAN.json"""
import json, sys

inst = json.load(open(sys.argv[1]))
cap = inst["capacity_per_crew_day"]
crews = {c["id"]: c for c in inst["crews"]}
cover = {(c["operator"], c["commune"]): c["crews"] for c in inst["cover"]}
left = {}
out = []
for r in sorted(inst["requests"], key=lambda r: (r["release"], r["id"])):
    for d in range(r["release"], r["deadline"] + 1):
        pick = {}
        for o in r["operators"]:
            for c in cover.get((o, r["commune"]), ()):
                if crews[c]["available"][d] and left.get((c, d), cap[o]) > 0:
                    pick[o] = c
                    break
            else:
                break
        if len(pick) == len(r["operators"]):
            for o, c in pick.items():
                left[(c, d)] = left.get((c, d), cap[o]) - 1
            out.append({"request": r["id"], "day": d, "crews": pick})
            break
json.dump({"assignments": out}, open(sys.argv[2], "w"))
