#!/usr/bin/env python3
"""Lists C++ functions longer than N lines (default 80).

Usage: tools/function_sizes.py [--max N] [PATH ...]

PATHs are files or directories (searched for *.cc and *.h); the default is
core/ server/ client/ cli/ under the repository root. Output: one line per
function over the limit, longest first, as "path:line: name (N lines)";
exit status 1 if there is any, 0 otherwise.

A function's length counts from the first line of its declaration (return
type, template header) to its closing brace, inclusive. The scanner is a
brace matcher, not a parser: it blanks comments, string, character and raw
string literals and preprocessor lines first (so braces inside them do not
count), then walks namespace and class scopes and measures every function
body it finds there, including in-class member definitions and lambdas
assigned at namespace scope. Nested classes are walked too; lambdas inside
a function count towards that function.
"""

import argparse
import os
import re
import sys

DEFAULT_DIRS = ("core", "server", "client", "cli")
SOURCE_SUFFIXES = (".cc", ".h")
IDENT_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
RAW_PREFIXES = ("R", "u8R", "uR", "UR", "LR")


def _blank(chars, start, end):
    """Replaces chars[start:end] by spaces, keeping newlines."""
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def _literal_prefix(text, quote):
    """The identifier characters directly before position `quote`."""
    i = quote
    while i > 0 and text[i - 1] in IDENT_CHARS:
        i -= 1
    return text[i:quote]


def strip_code(text):
    """Returns `text` with comments, literals and preprocessor lines blanked.

    Line structure (every newline) is preserved, so line numbers stay valid.
    """
    chars = list(text)
    n = len(text)
    i = 0
    line_start = True  # only whitespace since the last newline
    while i < n:
        c = text[i]
        if c == "\n":
            line_start = True
            i += 1
            continue
        if c in " \t\r\f\v":
            i += 1
            continue
        if line_start and c == "#":
            # A directive, with its backslash continuations.
            j = i
            while j < n:
                if text[j] == "\n" and text[j - 1] != "\\":
                    break
                j += 1
            _blank(chars, i, j)
            i = j
            continue
        line_start = False
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            _blank(chars, i, j)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            _blank(chars, i, j)
            i = j
        elif c == '"' and _literal_prefix(text, i) in RAW_PREFIXES:
            paren = text.find("(", i + 1)
            if paren < 0:
                i += 1
                continue
            delimiter = text[i + 1:paren]
            close = text.find(")" + delimiter + '"', paren + 1)
            j = n if close < 0 else close + len(delimiter) + 2
            _blank(chars, i, j)
            i = j
        elif c == '"' or (c == "'" and not _is_digit_separator(text, i)):
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            _blank(chars, i, j)
            i = j
        else:
            i += 1
    return "".join(chars)


def _is_digit_separator(text, quote):
    """True for the ' in 1'000'000 (a number token, not a char literal)."""
    token = _literal_prefix(text, quote)
    return bool(token) and token[0].isdigit()


# What an opening brace at namespace or class scope opens, judged by the
# text between the previous ';', '{' or '}' and the brace.
_TEMPLATE_HEAD = re.compile(r"^\s*template\s*<")
_NAMESPACE = re.compile(r"^\s*(inline\s+)?namespace\b")
_EXTERN_BLOCK = re.compile(r"^\s*extern\s*$")
_ENUM = re.compile(r"^\s*enum\b")
_CLASS = re.compile(r"^\s*(class|struct|union)\b")
# ...) [const] [noexcept(...)] [override] [-> T] [ANNOTATION(...)] {
_FUNCTION_END = re.compile(r"\)[^;={}()]*(\([^;{}]*\)[^;={}()]*)*$")
_CTOR_INIT = re.compile(r"\)\s*(noexcept\s*)?:(?!:)")


def _strip_template_heads(header):
    """Drops leading `template <...>` clauses (angle brackets balanced)."""
    while _TEMPLATE_HEAD.match(header):
        start = header.index("<")
        depth = 0
        for k in range(start, len(header)):
            if header[k] == "<":
                depth += 1
            elif header[k] == ">":
                depth -= 1
                if depth == 0:
                    header = header[k + 1:]
                    break
        else:
            return header
    return header


def classify(header):
    """'namespace', 'class', 'function' or 'other' for a brace's header."""
    h = _strip_template_heads(header)
    if _NAMESPACE.match(h) or _EXTERN_BLOCK.match(h):
        return "namespace"
    if _ENUM.match(h):
        return "other"
    if _CLASS.match(h) and not re.search(r"\)\s*(const\s*)?$", h):
        return "class"
    if "(" in h and (_FUNCTION_END.search(h.rstrip()) or _CTOR_INIT.search(h)):
        return "function"
    return "other"


def _class_name(header):
    h = _strip_template_heads(header)
    m = re.match(r"\s*(?:class|struct|union)\s+(?:\w+\s*\(.*?\)\s*)*"
                 r"(?:\[\[.*?\]\]\s*)*([A-Za-z_]\w*)", h, re.S)
    return m.group(1) if m else "(anonymous)"


def function_name(header):
    """The (possibly qualified) name a function header declares."""
    h = " ".join(_strip_template_heads(header).split())
    m = re.search(r"([\w:~]*operator\s*(?:\(\)|[^\s(]+))\s*\(", h)
    if m:
        return m.group(1).replace(" ", "")
    lam = re.match(r"^[^=(]*?\b([A-Za-z_]\w*)\s*=\s*\[", h)
    if lam:
        return lam.group(1)
    depth = 0
    for k, ch in enumerate(h):
        if ch == "<":
            depth += 1
        elif ch == ">" and depth > 0 and h[k - 1] != "-":
            depth -= 1
        elif ch == "(" and depth == 0:
            m = re.search(r"([~\w:]+)\s*$", h[:k])
            if m:
                return m.group(1)
            break
    return h[:60]


def _header_start(code, start, end):
    """Index of the first non-blank character in code[start:end]."""
    k = start
    while k < end and code[k].isspace():
        k += 1
    return k


def scan(code):
    """Yields (name, first_line, line_count) for every function in `code`.

    `code` must come from strip_code().
    """
    line_of = []  # index -> 1-based line
    line = 1
    for ch in code:
        line_of.append(line)
        if ch == "\n":
            line += 1
    line_of.append(line)

    results = []
    # Scope stack: (kind, name) for namespace and class scopes.
    stack = []
    header_start = 0
    i = 0
    n = len(code)
    while i < n:
        c = code[i]
        if c == ";":
            header_start = i + 1
        elif c == "}":
            if stack:
                stack.pop()
            header_start = i + 1
        elif c == "{":
            header = code[header_start:i]
            kind = classify(header)
            if kind == "function" and _CTOR_INIT.search(header):
                i = _skip_member_initializers(code, i)
            if kind in ("namespace", "class"):
                name = _class_name(header) if kind == "class" else ""
                stack.append((kind, name))
                header_start = i + 1
            else:
                end = _matching_brace(code, i)
                if kind == "function":
                    first = _header_start(code, header_start, i)
                    classes = [s[1] for s in stack if s[0] == "class"]
                    name = "::".join(classes + [function_name(code[first:i])])
                    results.append((name, line_of[first],
                                    line_of[end] - line_of[first] + 1))
                i = end
                header_start = i + 1
        elif c == ":" and code.startswith("public:", max(0, i - 6)):
            header_start = i + 1
        elif c == ":" and (code.startswith("private:", max(0, i - 7)) or
                           code.startswith("protected:", max(0, i - 9))):
            header_start = i + 1
        i += 1
    return results


def _skip_member_initializers(code, brace):
    """In `Foo() : a_{1}, b_(2) {`, moves from a member's brace to the body's.

    A brace directly after an identifier or '>' initialises a member; the
    body's brace follows ')' or '}'.
    """
    i = brace
    while True:
        k = i - 1
        while k >= 0 and code[k].isspace():
            k -= 1
        if k < 0 or not (code[k] in IDENT_CHARS or code[k] == ">"):
            return i
        i = _matching_brace(code, i) + 1
        while i < len(code) and code[i] != "{":
            i += 1
        if i >= len(code):
            return len(code) - 1


def _matching_brace(code, open_index):
    depth = 0
    for k in range(open_index, len(code)):
        if code[k] == "{":
            depth += 1
        elif code[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(code) - 1


def source_files(paths):
    for path in paths:
        if os.path.isfile(path):
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for f in sorted(files):
                if f.endswith(SOURCE_SUFFIXES):
                    yield os.path.join(root, f)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="List C++ functions longer than N lines.")
    parser.add_argument("--max", type=int, default=80,
                        help="longest allowed function, in lines (default 80)")
    parser.add_argument("paths", nargs="*",
                        help="files or directories (default: %s)" %
                        " ".join(DEFAULT_DIRS))
    args = parser.parse_args(argv)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = args.paths or [os.path.join(root, d) for d in DEFAULT_DIRS
                           if os.path.isdir(os.path.join(root, d))]
    offenders = []
    for path in source_files(paths):
        with open(path, encoding="utf-8", errors="replace") as f:
            code = strip_code(f.read())
        shown = os.path.relpath(path, root) if path.startswith(root) else path
        for name, line, count in scan(code):
            if count > args.max:
                offenders.append((count, shown, line, name))
    offenders.sort(key=lambda o: (-o[0], o[1], o[2]))
    for count, path, line, name in offenders:
        print("%s:%d: %s (%d lines)" % (path, line, name, count))
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main())
