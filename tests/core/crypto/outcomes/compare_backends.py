#!/usr/bin/env python3
"""Runs vector_outcomes on both crypto backends and compares case by case.

  compare_backends.py BORINGSSL_BIN OPENSSL_BIN EXCEPTIONS_FILE [OUT_DIR]

Every case id must appear in both outputs, and its line (accepted/rejected
and reason) must be identical, except for the ids EXCEPTIONS_FILE lists
("<id> <why>", '#' comments): each of those must differ, so an exception
that stops applying is noticed. Prints the counts; exit status 1 on any
unexpected difference.
"""
import subprocess
import sys


def outcomes(binary, out_path):
    text = subprocess.run([binary], check=True, capture_output=True,
                          text=True).stdout
    if out_path:
        with open(out_path, 'w') as f:
            f.write(text)
    cases = {}
    for line in text.splitlines():
        case_id, outcome, reason = line.split(' ', 2)
        if case_id in cases:
            sys.exit(f'duplicate case id {case_id} in {binary}')
        cases[case_id] = (outcome, reason)
    return cases


def main():
    boring_bin, openssl_bin, exceptions_path = sys.argv[1:4]
    out_dir = sys.argv[4] if len(sys.argv) > 4 else None
    boring = outcomes(boring_bin, out_dir and f'{out_dir}/outcomes_boringssl.txt')
    openssl = outcomes(openssl_bin, out_dir and f'{out_dir}/outcomes_openssl.txt')
    exceptions = {}
    with open(exceptions_path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                case_id, why = line.split(None, 1)
                exceptions[case_id] = why
    problems = []
    if set(boring) != set(openssl):
        only_b = sorted(set(boring) - set(openssl))[:10]
        only_o = sorted(set(openssl) - set(boring))[:10]
        problems.append(f'case sets differ: only BoringSSL {only_b}, '
                        f'only OpenSSL {only_o}')
    differ = [c for c in sorted(set(boring) & set(openssl))
              if boring[c] != openssl[c]]
    outcome_differ = [c for c in differ if boring[c][0] != openssl[c][0]]
    for c in differ:
        if c not in exceptions:
            problems.append(f'{c}: BoringSSL {boring[c]} vs OpenSSL '
                            f'{openssl[c]}')
    for c in exceptions:
        if c not in differ:
            problems.append(f'listed exception {c} no longer differs')
    accepted = sum(1 for c in boring if boring[c][0] == 'accepted')
    print(f'backends compared: {len(boring)} cases ({accepted} accepted), '
          f'{len(differ)} differ ({len(outcome_differ)} in accepted/'
          f'rejected), {len(exceptions)} documented exceptions')
    for p in problems:
        print('DIFFERENCE:', p)
    return 1 if problems or not boring else 0


if __name__ == '__main__':
    sys.exit(main())
