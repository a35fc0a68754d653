#!/usr/bin/env python3
"""Tests for tools/function_sizes.py: braces in literals and comments, scopes,
constructors with member initialisers, names and line counts."""

import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tools"))
import function_sizes  # noqa: E402


def Sizes(source):
    return function_sizes.scan(function_sizes.strip_code(source))


class StripCodeTest(unittest.TestCase):

    def test_literals_comments_and_directives_are_blanked(self):
        source = ('#define OPEN {\\\n  more {\n'
                  'int a = \'{\';  // {\n'
                  '/* { */ const char* s = "}\\"{";\n'
                  'auto r = R"x(})")x";\n'
                  'int big = 1\'000\'000; char c = \'}\';\n')
        code = function_sizes.strip_code(source)
        self.assertNotIn("{", code)
        self.assertNotIn("}", code)
        self.assertEqual(code.count("\n"), source.count("\n"))
        self.assertIn("000", code)  # digit separators are not literals


class ScanTest(unittest.TestCase):

    def test_counts_from_declaration_to_closing_brace(self):
        source = ("namespace a {\n"
                  "namespace {\n"
                  "absl::StatusOr<std::vector<int>>\n"
                  "Helper(int x) {\n"
                  "  if (x) { return {}; }\n"
                  "  return {1};\n"
                  "}\n"
                  "}  // namespace\n"
                  "}  // namespace a\n")
        self.assertEqual(Sizes(source), [("Helper", 3, 5)])

    def test_braces_in_strings_and_comments_do_not_end_a_function(self):
        source = ("void F() {\n"
                  "  const char* s = \"}}}\";  // }\n"
                  "  /* } */ char c = '}';\n"
                  "  auto r = R\"(})\";\n"
                  "}\n"
                  "void G() {}\n")
        self.assertEqual(Sizes(source), [("F", 1, 5), ("G", 6, 1)])

    def test_class_members_are_qualified_and_nested_classes_walked(self):
        source = ("class Outer final : public Base {\n"
                  " public:\n"
                  "  int Get() const { return 1; }\n"
                  "  struct Inner {\n"
                  "    void Run() ABSL_LOCKS_EXCLUDED(mu_) {\n"
                  "    }\n"
                  "  };\n"
                  " private:\n"
                  "  std::atomic<bool> flag_{false};\n"
                  "  enum class E { kA, kB };\n"
                  "};\n")
        self.assertEqual(Sizes(source), [("Outer::Get", 3, 1),
                                         ("Outer::Inner::Run", 5, 2)])

    def test_member_initialisers_with_braces_belong_to_the_constructor(self):
        source = ("Foo::Foo(int x)\n"
                  "    : a_{x},\n"
                  "      b_(x) {\n"
                  "  Init();\n"
                  "}\n")
        self.assertEqual(Sizes(source), [("Foo::Foo", 1, 5)])

    def test_initialisers_and_operators(self):
        source = ("constexpr int kTable[] = {1, 2,\n"
                  "                          3};\n"
                  "bool operator==(const A& a, const A& b) {\n"
                  "  return a.x == b.x;\n"
                  "}\n"
                  "template <typename T>\n"
                  "T Twice(T t) {\n"
                  "  return t + t;\n"
                  "}\n")
        self.assertEqual(Sizes(source), [("operator==", 3, 3),
                                         ("Twice", 6, 4)])

    def test_main_reports_only_functions_over_the_limit(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "x.cc")
            with open(path, "w") as f:
                f.write("void Long() {\n" + "  f();\n" * 5 + "}\n"
                        "void Short() {\n}\n")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(function_sizes.main(["--max", "7", path]), 0)
            self.assertEqual(out.getvalue(), "")
            with contextlib.redirect_stdout(out):
                self.assertEqual(function_sizes.main(["--max", "6", path]), 1)
            self.assertEqual(out.getvalue(), "%s:1: Long (7 lines)\n" % path)


if __name__ == "__main__":
    unittest.main()
