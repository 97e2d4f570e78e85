#!/usr/bin/env python3
"""Compare two runs' metric rows up to a step, bit for bit (the determinism check of
docs/results/bdwm-hopper-first-run.md, "Session 6").

Usage: scripts/compare-runs.py RUN_A RUNS_DIR_A RUN_B RUNS_DIR_B [MAX_STEP]
(DWM: the dwm binary, default bin/dwm). time/* rows (wall-clock rates) are left out.
Exits 1 if any shared row differs or either run has rows the other lacks.
"""
import csv, os, subprocess, sys


def rows(dwm, name, runs, max_step):
    out = subprocess.run([dwm, 'runs', 'export', '--runs', runs, '--filter', name, '--csv'],
                         capture_output=True, text=True, check=True).stdout
    d = {}
    for r in csv.DictReader(out.splitlines()):
        if int(r['step']) <= max_step and not r['name'].startswith('time/'):
            d[(int(r['step']), r['phase'], r['name'])] = r['value']
    return d


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    dwm = os.environ.get('DWM', 'bin/dwm')
    max_step = int(sys.argv[5]) if len(sys.argv) == 6 else 1 << 62
    a = rows(dwm, sys.argv[1], sys.argv[2], max_step)
    b = rows(dwm, sys.argv[3], sys.argv[4], max_step)
    common = sorted(set(a) & set(b))
    diff = [k for k in common if a[k] != b[k]]
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    print(f'{len(a)} rows in {sys.argv[1]}, {len(b)} in {sys.argv[3]}, {len(common)} in both (time/* left out), {len(diff)} differ')
    for k in diff[:10]:
        print('  differs:', k, a[k], b[k])
    for k in only_a[:5]:
        print('  only in', sys.argv[1], k)
    for k in only_b[:5]:
        print('  only in', sys.argv[3], k)
    sys.exit(1 if diff or only_a or only_b else 0)


if __name__ == '__main__':
    main()
