#!/usr/bin/env python3
"""Prints the attack-case table of docs/SECURITY.md from tests/security/*_test.cc:
one row per TEST/TEST_F with the comment block above it as its reference.

  python3 tests/security/attack_table.py . > /tmp/table.md   # then paste it
The ctest `security_doc_table` (check_doc_table.sh) fails when a test is
missing from docs/SECURITY.md."""
import re, glob, os, sys
root = sys.argv[1]
rows = []
for path in sorted(glob.glob(os.path.join(root, 'tests/security/*_test.cc'))):
    lines = open(path).read().split('\n')
    for i, line in enumerate(lines):
        m = re.match(r'^TEST(?:_F)?\((\w+),\s*(\w+)\)', line)
        if not m: continue
        j = i - 1
        comment = []
        while j >= 0 and lines[j].startswith('//'):
            comment.insert(0, lines[j][2:].strip()); j -= 1
        ref = ' '.join(comment).replace('|', '\\|')
        if len(ref) > 220: ref = ref[:217].rsplit(' ', 1)[0] + ' …'
        rows.append((os.path.basename(path), m.group(1) + '.' + m.group(2), ref))
print('| file | test | what and reference |')
print('| --- | --- | --- |')
for f, t, r in rows:
    print(f'| `{f}` | `{t}` | {r} |')
print(f'\n{len(rows)} cases.', file=sys.stderr)
