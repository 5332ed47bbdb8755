"""Tests for fw.templates: syntax, escaping, layouts, errors and caching."""

from __future__ import annotations

import os
import tempfile
import unittest
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from fw.exceptions import NotFound, TemplateError
from fw.finder import Finder, Layer
from fw.templates import Markup, Template, Templates, escape
from fw.templates.compiler import translate
from fw.templates.lexer import Source, tokenize
from fw.templates.runtime import Lazy


class FolderFinder:
    """A finder over one folder, counting its lookups."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls = 0

    def find(self, name: str, *, exts=None):
        self.calls += 1
        path = self.root / (name + ".html")
        return SimpleNamespace(path=path, layer="common") if path.is_file() else None


class TemplateFolder(unittest.TestCase):
    """Give each test a temporary application folder and an engine over it."""

    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.root = Path(folder.name)
        self.finder = FolderFinder(self.root / "templates")
        self.engine = Templates(self.finder)

    def write(self, name: str, text: str) -> Path:
        path = self.root / "templates" / (name + ".html")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def render(self, source: str, **context: object) -> str:
        return self.engine.from_string(source).render(context)

    def error(self, source: str, **context: object) -> TemplateError:
        with self.assertRaises(TemplateError) as caught:
            self.render(source, **context)
        return caught.exception


class MarkupTests(unittest.TestCase):
    def test_escape_replaces_the_five_special_characters(self) -> None:
        self.assertEqual(escape("<a href=\"x\">'&'</a>"),
                         "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;")

    def test_escape_leaves_markup_alone(self) -> None:
        self.assertEqual(escape(Markup("<b>")), "<b>")
        self.assertIsInstance(escape(5), Markup)

    def test_combining_markup_with_text_escapes_the_text(self) -> None:
        self.assertEqual(Markup("<b>") + "<i>", "<b>&lt;i&gt;")
        self.assertEqual("<i>" + Markup("<b>"), "&lt;i&gt;<b>")
        self.assertEqual(Markup("<p>%s</p>") % "<x>", "<p>&lt;x&gt;</p>")
        self.assertEqual(Markup("<p>{}</p>").format("<x>"), "<p>&lt;x&gt;</p>")
        self.assertEqual(Markup("<br>").join(["<", Markup("<hr>")]), "&lt;<br><hr>")

    def test_format_keeps_markup_arguments(self) -> None:
        self.assertEqual(Markup("{0}").format(Markup("<b>")), "<b>")


class SyntaxTests(TemplateFolder):
    def test_output_is_escaped_unless_markup_or_raw(self) -> None:
        context = {"text": "<script>", "safe": Markup("<em>x</em>")}
        self.assertEqual(self.render("{{ text }}", **context), "&lt;script&gt;")
        result = self.render("<p>{{ safe }}</p>", **context)
        self.assertEqual(result, "<p><em>x</em></p>")
        self.assertEqual(self.render("{{ text | raw }}", **context), "<script>")

    def test_none_outputs_nothing_and_numbers_output_as_text(self) -> None:
        result = self.render("[{{ nothing }}|{{ 2 + 3 }}]", nothing=None)
        self.assertEqual(result, "[|5]")

    def test_comments_vanish(self) -> None:
        self.assertEqual(self.render("a{# {{ x }} {% if %} #}b"), "ab")

    def test_whitespace_control_strips_the_marked_side(self) -> None:
        source = (
            "<ul>\n  {%- for x in xs -%}\n  <li>{{ x }}</li>\n  {%- endfor %}\n</ul>"
        )
        self.assertEqual(self.render(source, xs=[1, 2]),
                         "<ul><li>1</li><li>2</li>\n</ul>")

    def test_raw_block_keeps_delimiters_as_text(self) -> None:
        self.assertEqual(self.render("{% raw %}{{ x }}{% endraw %}"), "{{ x }}")

    def test_delimiters_inside_strings_do_not_close_a_tag(self) -> None:
        self.assertEqual(self.render("{{ '%}' }}{{ \"}}\" }}"), "%}}}")

    def test_if_elif_else(self) -> None:
        source = "{% if n > 1 %}many{% elif n == 1 %}one{% else %}none{% endif %}"
        for n, expected in ((5, "many"), (1, "one"), (0, "none")):
            with self.subTest(n=n):
                self.assertEqual(self.render(source, n=n), expected)

    def test_for_gives_loop_variable(self) -> None:
        source = (
            "{% for x in xs %}{{ loop.index }}/{{ loop.length }}:{{ x }}"
            "{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}"
            "{{ loop.index0 }} {% endfor %}"
        )
        self.assertEqual(self.render(source, xs=["a", "b", "c"]),
                         "1/3:aF0 2/3:b1 3/3:cL2 ")

    def test_for_else_runs_for_an_empty_sequence(self) -> None:
        source = "{% for x in xs %}{{ x }}{% else %}empty{% endfor %}"
        self.assertEqual(self.render(source, xs=[]), "empty")
        self.assertEqual(self.render(source, xs=(y for y in "ab")), "ab")

    def test_for_unpacks_items_of_a_mapping(self) -> None:
        source = (
            "{% for key, value in prices | items %}{{ key }}={{ value }};{% endfor %}"
        )
        self.assertEqual(self.render(source, prices={"tea": 2, "milk": 1}),
                         "tea=2;milk=1;")

    def test_nested_loops_keep_their_own_loop_variable(self) -> None:
        source = (
            "{% for row in rows %}{% for cell in row %}{{ loop.index }}{% endfor %}"
            "({{ loop.index }}){% endfor %}"
        )
        self.assertEqual(self.render(source, rows=[[7, 8], [9]]), "12(1)1(2)")

    def test_loop_variables_and_sets_end_with_the_loop(self) -> None:
        source = (
            "{% set total = 0 %}{% for x in xs %}{% set total = total + x %}"
            "{{ total }},{% endfor %}{{ total }} {{ x }}"
        )
        self.assertEqual(self.render(source, xs=[1, 2], x="outer"), "1,3,0 outer")

    def test_loop_variables_shadow_outer_names_and_filters_only_inside(self) -> None:
        source = (
            "{% for x in xs %}{% for x in x %}{{ x }}{% endfor %}[{{ x | length }}]"
            "{% endfor %}{% for upper in [length] %}{{ 'abc' | upper }}{% endfor %}"
            "{{ x }}{{ 'abc' | upper }}"
        )
        rendered = self.render(source, xs=[[1, 2], [3]], x="outer")
        self.assertEqual(rendered, "12[2]3[1]3outerABC")

    def test_a_loop_named_loop_and_loops_that_never_read_loop(self) -> None:
        self.assertEqual(self.render("{% for loop in xs %}{{ loop }}{% endfor %}",
                                     xs=["a", "b"]), "ab")
        self.assertNotIn("Loop", translate("{% for x in xs %}{{ x }}{% endfor %}", "t"))
        self.assertIn("Loop", translate("{% for x in xs %}{{ loop }}{% endfor %}", "t"))

    def test_text_with_braces_quotes_and_backslashes_around_outputs(self) -> None:
        source = "{ {{ x }} }'\"\\\n{{ \"it's\" }}{{ '\\\\' }}{{ x }}"
        self.assertEqual(self.render(source, x="<"),
                         "{ &lt; }'\"\\\nit&#39;s\\&lt;")

    def test_set_defines_a_name(self) -> None:
        self.assertEqual(self.render("{% set a = 'b' + 'c' %}{{ a }}{{ a }}"), "bcbc")

    def test_loop_variables_of_any_type_are_escaped_text(self) -> None:
        source = "{% for a, b in rows %}{{ a }}|{{ b }};{% endfor %}"
        rows = [(1, "<"), ("<", 2), (True, None), (1.5, Markup("<b>"))]
        self.assertEqual(self.render(source, rows=rows),
                         "1|&lt;;&lt;|2;True|;1.5|<b>;")
        self.assertEqual(self.render("{% for a in xs %}{{ a }}{% endfor %}",
                                     xs=[7, "&"]), "7&amp;")

    def test_generate_yields_pieces_that_render_joins(self) -> None:
        template = self.engine.from_string("{% for x in xs %}<{{ x }}>{% endfor %}")
        pieces = list(template.generate({"xs": [1, 2, 3]}))
        self.assertGreater(len(pieces), 1)
        self.assertEqual("".join(pieces), template.render({"xs": [1, 2, 3]}))

    def test_generated_code_has_no_python_builtins(self) -> None:
        template = self.engine.from_string("{{ x }}")
        self.assertEqual(template.root.__globals__["__builtins__"], {})
        self.assertNotIn("open", translate("{{ x }}", "t"))


class LazyTests(TemplateFolder):
    def test_a_lazy_value_is_computed_once_when_first_read(self) -> None:
        calls = []
        value = Lazy(lambda: calls.append(1) or "v")
        self.write("part", "{{ name }}")
        source = (
            "{% for i in [1, 2] %}{{ name }}{% set j = i %}{% endfor %}"
            "{% include 'part' %}{{ name }}"
        )
        self.assertEqual(self.render(source, name=value), "vvvv")
        self.assertEqual(calls, [1])

    def test_a_lazy_value_never_read_is_never_computed(self) -> None:
        def refuse() -> None:
            raise AssertionError("computed")

        self.assertEqual(self.render("{{ other }}", name=Lazy(refuse), other=1), "1")

    def test_a_key_error_while_computing_is_not_an_unknown_name(self) -> None:
        error = self.error("{{ name }}", name=Lazy(lambda: {}["key"]))
        self.assertIn("'name'", error.message)
        self.assertIn("KeyError", error.message)
        self.assertNotIn("not defined", error.message)


    def test_a_lazy_value_is_computed_when_an_include_or_a_filter_reads_it(
        self,
    ) -> None:
        self.write("part", "{{ name }}")
        rendered = self.render("{% include 'part' %}{{ 'x' | f }}",
                               name=Lazy(lambda: "v"), f=Lazy(lambda: str.upper))
        self.assertEqual(rendered, "vX")

    def test_filters_and_globals_stand_behind_the_given_names(self) -> None:
        engine = Templates(self.finder, globals={"site": "Shop"})
        source = "{{ site }} {{ upper }}{% set site = 'X' %} {{ site | lower }}"
        self.assertEqual(engine.from_string(source).render({"upper": 1}), "Shop 1 x")
        self.assertEqual(engine.from_string("{{ site }}").render(), "Shop")


class FilterTests(TemplateFolder):
    def test_builtin_filters(self) -> None:
        cases = [
            ("{{ 'ab' | upper }}", "AB"),
            ("{{ 'AB' | lower }}", "ab"),
            ("{{ 'hello world' | title }}", "Hello World"),
            ("{{ '  x  ' | trim }}", "x"),
            ("{{ [1, 2, 3] | length }}", "3"),
            ("{{ null | default('none') }}", "none"),
            ("{{ 'set' | default('none') }}", "set"),
            ("{{ ['<a>', 'b'] | join(', ') }}", "&lt;a&gt;, b"),
            ("{{ '<a>' | escape }}", "&lt;a&gt;"),
            ("{{ 'a b/c&d' | urlencode }}", "a%20b/c%26d"),
            ("{{ {'q': 'x y', 'n': 1} | urlencode }}", "q=x+y&amp;n=1"),
        ]
        for source, expected in cases:
            with self.subTest(source=source):
                self.assertEqual(self.render(source), expected)

    def test_json_is_safe_inside_a_script_element(self) -> None:
        result = self.render("{{ data | json }}", data={"x": "</script><b>&'"})
        self.assertNotIn("<", result)
        self.assertNotIn("'", result)
        expected = '{"x": "\\u003c/script\\u003e\\u003cb\\u003e\\u0026\\u0027"}'
        self.assertEqual(result, expected)

    def test_caller_filters_and_globals(self) -> None:
        engine = Templates(
            self.finder,
            filters={"shout": lambda value, end="!": value.upper() + end},
            globals={"site": "Shop"},
        )
        template = engine.from_string("{{ site | shout }}{{ 'a' | shout('?') }}")
        self.assertEqual(template.render({}), "SHOP!A?")


class LayoutTests(TemplateFolder):
    def test_multi_level_extends_with_super(self) -> None:
        self.write("base", "<title>{% block title %}Site{% endblock %}</title>"
                           "{% block body %}base body{% endblock %}")
        self.write("layout", "{% extends 'base' %}"
                             "{% block title %}Shop - {{ super() }}{% endblock %}")
        self.write("page", "{% extends 'layout' %}{% set who = 'me' %}\n"
                           "{% block title %}Cart | {{ super() }}{% endblock %}\n"
                           "{% block body %}for {{ who }}{% endblock %}")
        self.assertEqual(self.engine.render("page", {}),
                         "<title>Cart | Shop - Site</title>for me")
        self.assertEqual(self.engine.render("layout", {}),
                         "<title>Shop - Site</title>base body")

    def test_a_parent_alone_shows_its_own_blocks_and_a_child_replaces_them(
        self,
    ) -> None:
        self.write("base", "[{% block a %}A{% block b %}B{% endblock %}{% endblock %}]")
        self.write("child", "{% extends 'base' %}{% block b %}b{{ x }}{% endblock %}")
        self.assertEqual(self.engine.render("base", {"x": 1}), "[AB]")
        self.assertEqual(self.engine.render("child", {"x": 1}), "[Ab1]")

    def test_names_set_in_a_block_end_with_it(self) -> None:
        self.write("base", "{% block a %}{% set x = 2 %}{{ x }}{% endblock %}{{ x }}")
        self.write("child", "{% extends 'base' %}{% block a %}"
                            "{% set x = 3 %}{{ super() }}{{ x }}{% endblock %}")
        self.assertEqual(self.engine.render("base", {"x": 1}), "21")
        self.assertEqual(self.engine.render("child", {"x": 1}), "231")

    def test_an_included_template_uses_its_own_blocks(self) -> None:
        self.write("part", "({% block a %}part{% endblock %})")
        self.write("base", "{% block a %}base{% endblock %}{% include 'part' %}")
        self.write("child", "{% extends 'base' %}{% block a %}child{% endblock %}")
        self.assertEqual(self.engine.render("child", {}), "child(part)")

    def test_include_sees_the_same_names_without_leaking_its_own(self) -> None:
        self.write("partials/menu", "{% set inner = 1 %}<nav>{{ user }}</nav>")
        source = "{% include 'partials/menu' %}{{ inner | default('-') }}"
        self.assertEqual(self.render(source, user="<ann>", inner=None),
                         "<nav>&lt;ann&gt;</nav>-")

    def test_include_inside_a_loop_sees_the_loop_variable(self) -> None:
        self.write("item", "<li>{{ x }}</li>")
        source = "{% for x in xs %}{% include 'item' %}{% endfor %}"
        self.assertEqual(self.render(source, xs=[1, 2]), "<li>1</li><li>2</li>")

    def test_templates_found_through_the_layer_cascade(self) -> None:
        common, domain = self.root / "common", self.root / "domain"
        for layer, text in ((common, "common {{ x }}"), (domain, "domain {{ x }}")):
            (layer / "templates").mkdir(parents=True)
            (layer / "templates" / "hello.html").write_text(text, encoding="utf-8")
        (common / "templates" / "only.html").write_text("only", encoding="utf-8")
        finder = Finder([Layer("domain", domain), Layer("common", common)])
        engine = Templates(finder, prefix="templates")
        self.assertEqual(engine.render("hello", {"x": 1}), "domain 1")
        self.assertEqual(engine.render("only", {}), "only")


class ErrorTests(TemplateFolder):
    def assertAt(self, error: TemplateError, line: int, column: int) -> None:
        self.assertEqual((error.line, error.column), (line, column), str(error))

    def test_unknown_tag(self) -> None:
        error = self.error("ok\n  {% frobnicate x %}")
        self.assertAt(error, 2, 6)
        self.assertIn("frobnicate", error.message)
        self.assertEqual(error.origin, "<string>")

    def test_unclosed_block_points_at_its_opening(self) -> None:
        error = self.error("a\n{% for x in xs %}\n{% if x %}x\n{% endfor %}")
        self.assertAt(error, 3, 4)
        self.assertIn("endif", error.message)

    def test_stray_and_mismatched_end_tags(self) -> None:
        self.assertIn("no opening", self.error("{% endif %}").message)
        error = self.error("{% block a %}{% endblock b %}")
        self.assertIn("endblock a", error.message)

    def test_unclosed_delimiter(self) -> None:
        error = self.error("line\nab {{ x ")
        self.assertAt(error, 2, 4)

    def test_bad_expression_points_into_the_template(self) -> None:
        error = self.error("first\n<p>{{ a + }}</p>")
        self.assertEqual(error.line, 2)
        self.assertGreaterEqual(error.column, 7)
        self.assertIsNotNone(error.__cause__)

    def test_runtime_error_names_the_template_line(self) -> None:
        source = "one\n{% for x in xs %}\n  {{ 10 / x }}\n{% endfor %}"
        path = self.write("broken", source)
        with self.assertRaises(TemplateError) as caught:
            self.engine.render("broken", {"xs": [1, 0]})
        self.assertEqual(caught.exception.origin, str(path))
        self.assertEqual(caught.exception.line, 3)
        self.assertIsNotNone(caught.exception.__cause__)

    def test_runtime_error_in_an_included_template_names_that_template(self) -> None:
        path = self.write("inner", "\n\n{{ missing_name }}")
        self.write("outer", "{% include 'inner' %}")
        with self.assertRaises(TemplateError) as caught:
            self.engine.render("outer", {})
        error = caught.exception
        self.assertEqual((error.origin, error.line), (str(path), 3))

    def test_syntax_error_in_an_included_template_keeps_its_place(self) -> None:
        path = self.write("inner", "ok\n{{ 1 + }}")
        error = self.error("{% include 'inner' %}")
        self.assertEqual((error.origin, error.line), (str(path), 2))
        self.assertIsNot(error.__cause__, error)
        self.assertIsNotNone(error.__cause__)

    def test_http_errors_from_called_functions_pass_through(self) -> None:
        def lookup() -> None:
            raise NotFound("No such product.")

        with self.assertRaises(NotFound):
            self.render("{{ lookup() }}", lookup=lookup)

    def test_looping_over_a_number(self) -> None:
        error = self.error("\n {% for x in n %}{% endfor %}", n=5)
        self.assertAt(error, 2, 5)
        self.assertIn("int", error.message)

    def test_missing_template(self) -> None:
        error = self.error("\n{% include 'nowhere' %}")
        self.assertIn("nowhere", error.message)
        self.assertEqual(error.line, 2)

    def test_extends_in_a_circle(self) -> None:
        self.write("a", "{% extends 'b' %}")
        self.write("b", "{% extends 'a' %}")
        with self.assertRaises(TemplateError) as caught:
            self.engine.render("a", {})
        self.assertIn("circle", caught.exception.message)

    def test_content_outside_blocks_of_a_child_template(self) -> None:
        error = self.error("{% extends 'x' %}\nstray text")
        self.assertAt(error, 1, 18)

    def test_super_without_a_parent_block(self) -> None:
        error = self.error("{% block a %}{{ super() }}{% endblock %}")
        self.assertIn("super()", error.message)

    def test_bad_for_and_set(self) -> None:
        error = self.error("{% for x %}{% endfor %}")
        self.assertIn("name in expression", error.message)
        self.assertIn("plain name", self.error("{% set a.b = 1 %}").message)


class CacheTests(TemplateFolder):
    def setUp(self) -> None:
        super().setUp()
        self.cache = self.root / "var" / "cache"
        self.path = self.write("page", "Hello {{ name }}")

    def engine_with_cache(self, **options: object) -> Templates:
        return Templates(self.finder, cache_dir=self.cache, **options)

    def test_exists(self) -> None:
        self.assertTrue(self.engine.exists("page"))
        self.assertFalse(self.engine.exists("missing"))
        self.assertFalse(self.engine.exists("../page"))

    def test_memory_cache_returns_the_same_template(self) -> None:
        first = self.engine.get("page")
        self.assertIs(self.engine.get("page"), first)
        self.assertEqual(self.engine.compile_count, 1)
        self.assertIsInstance(first, Template)

    def test_a_new_process_reuses_the_disk_cache(self) -> None:
        first = self.engine_with_cache()
        self.assertEqual(first.render("page", {"name": "a"}), "Hello a")
        second = self.engine_with_cache()
        self.assertEqual(second.render("page", {"name": "b"}), "Hello b")
        self.assertEqual((first.compile_count, second.compile_count), (1, 0))
        self.assertEqual(len(list(self.cache.glob("*.code"))), 1)

    def test_damaged_cache_file_is_ignored_and_rewritten(self) -> None:
        self.engine_with_cache().get("page")
        (cache_file,) = self.cache.glob("*.code")
        header = cache_file.read_bytes().split(b"\n")[0] + b"\n"
        cache_file.write_bytes(header + b"\x00garbage")
        engine = self.engine_with_cache()
        with self.assertLogs("fw.templates", "WARNING"):
            self.assertEqual(engine.render("page", {"name": "x"}), "Hello x")
        self.assertEqual(engine.compile_count, 1)
        again = self.engine_with_cache()
        self.assertEqual(again.render("page", {"name": "y"}), "Hello y")
        self.assertEqual(again.compile_count, 0)
        self.assertEqual(len(list(self.cache.glob("*"))), 1)

    def test_changed_source_is_recompiled_in_a_new_process(self) -> None:
        self.engine_with_cache().get("page")
        self.touch_with("Bye {{ name }}")
        engine = self.engine_with_cache()
        self.assertEqual(engine.render("page", {"name": "x"}), "Bye x")
        self.assertEqual(engine.compile_count, 1)

    def test_auto_reload_notices_a_change(self) -> None:
        engine = Templates(self.finder, auto_reload=True)
        self.assertEqual(engine.render("page", {"name": "x"}), "Hello x")
        self.assertEqual(engine.render("page", {"name": "x"}), "Hello x")
        self.assertEqual(engine.compile_count, 1)
        self.touch_with("Changed {{ name }}")
        self.assertEqual(engine.render("page", {"name": "x"}), "Changed x")
        self.assertEqual(engine.compile_count, 2)

    def test_without_auto_reload_the_first_version_stays(self) -> None:
        self.engine.get("page")
        self.touch_with("Changed")
        self.assertEqual(self.engine.render("page", {"name": "x"}), "Hello x")
        self.assertEqual(self.finder.calls, 1)

    def test_rendering_again_without_auto_reload_reads_no_file(self) -> None:
        self.write("base", "<{% block body %}{% endblock %}>")
        self.write("part", "{{ name }}")
        self.write("child", "{% extends 'base' %}"
                            "{% block body %}{% include 'part' %}{% endblock %}")
        self.assertEqual(self.engine.render("child", {"name": "a"}), "<a>")
        counts = (self.engine.compile_count, self.finder.calls)
        refused = mock.Mock(side_effect=AssertionError("the file system was used"))
        with mock.patch("os.stat", refused), mock.patch("builtins.open", refused):
            self.assertEqual(self.engine.render("child", {"name": "b"}), "<b>")
        self.assertEqual((self.engine.compile_count, self.finder.calls), counts)
        self.assertEqual(counts, (3, 3))

    def test_an_unwritable_cache_folder_does_not_stop_rendering(self) -> None:
        self.cache.parent.mkdir(parents=True)
        self.cache.write_text("a file where the folder should be", encoding="utf-8")
        with self.assertLogs("fw.templates", "WARNING"):
            self.assertEqual(self.engine_with_cache().render("page", {"name": "x"}),
                             "Hello x")

    def touch_with(self, text: str) -> None:
        stat = self.path.stat()
        self.path.write_text(text, encoding="utf-8")
        later = stat.st_mtime_ns + 1_000_000_000
        os.utime(self.path, ns=(later, later))


class LexerTests(unittest.TestCase):
    def test_tokens_know_where_their_content_starts(self) -> None:
        tokens = tokenize(Source("ab\n{{  x }}{% if y %}", "t"))
        self.assertEqual([(t.kind, t.value, t.line, t.column) for t in tokens],
                         [("text", "ab\n", 1, 1), ("output", "x", 2, 5),
                          ("tag", "if y", 2, 12)])


if __name__ == "__main__":
    unittest.main()
