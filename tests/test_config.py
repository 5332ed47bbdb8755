"""Tests for fw.config: readers, writers, merging, environment, explain, caching."""

from __future__ import annotations

import multiprocessing
import os
import stat
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

from fw.config import Configuration, read_file, write_file, write_new
from fw.config.environ import expand
from fw.config.merge import merge
from fw.exceptions import ConfigError
from fw.finder import Finder, Layer

LAYERS = ("domain", "server", "environment", "common")

EXPECTED = {
    "name": "Shop",
    "port": 8080,
    "ratio": 0.25,
    "debug": False,
    "zip": "01234",
    "code": "42",
    "hosts": ["a.example", "b.example"],
    "database": {"engine": "sqlite", "pool": {"size": 4, "recycle": True}},
    "servers": [{"name": "one", "weight": 1}, {"name": "two", "weight": 2}],
}

SAME = {
    ".json": """\
        {
          "name": "Shop",
          "port": 8080,
          "ratio": 0.25,
          "debug": false,
          "zip": "01234",
          "code": "42",
          "hosts": ["a.example", "b.example"],
          "database": {
            "engine": "sqlite",
            "pool": {"size": 4, "recycle": true}
          },
          "servers": [{"name": "one", "weight": 1}, {"name": "two", "weight": 2}]
        }
        """,
    ".toml": """\
        name = "Shop"
        port = 8080
        ratio = 0.25
        debug = false
        zip = "01234"
        code = "42"
        hosts = ["a.example", "b.example"]
        servers = [{name = "one", weight = 1}, {name = "two", weight = 2}]

        [database]
        engine = "sqlite"

        [database.pool]
        size = 4
        recycle = true
        """,
    ".ini": """\
        name = Shop
        port = 8080
        ratio = 0.25
        debug = false
        zip = 01234
        code = "42"
        hosts = ["a.example", "b.example"]
        servers = [{"name": "one", "weight": 1}, {"name": "two", "weight": 2}]

        [database]
        engine = sqlite

        [database.pool]
        size = 4
        recycle = true
        """,
    ".xml": """\
        <?xml version="1.0" encoding="utf-8"?>
        <config>
          <name>Shop</name>
          <port>8080</port>
          <ratio>0.25</ratio>
          <debug>false</debug>
          <zip>01234</zip>
          <code>"42"</code>
          <hosts><item>a.example</item><item>b.example</item></hosts>
          <database>
            <engine>sqlite</engine>
            <pool><size>4</size><recycle>true</recycle></pool>
          </database>
          <servers><name>one</name><weight>1</weight></servers>
          <servers><name>two</name><weight>2</weight></servers>
        </config>
        """,
}

# The line of ("database", "engine") in each text of SAME.
ENGINE_LINE = {".json": 10, ".toml": 11, ".ini": 11, ".xml": 11}


def put(path: Path, text: str) -> Path:
    """Write dedented text to path, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


class TempTestCase(unittest.TestCase):
    """Give each test a temporary folder."""

    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.root = Path(folder.name)


class App(TempTestCase):
    """Give each test an application root with four layers and a configuration."""

    def put(self, layer: str, name: str, text: str) -> Path:
        return put(self.root / layer / "config" / name, text)

    def configuration(self, **options) -> Configuration:
        layers = [Layer(name, self.root / name) for name in LAYERS]
        for name in LAYERS:
            (self.root / name).mkdir(exist_ok=True)
        return Configuration(Finder(layers, watch=True), **options)


class ReadersTest(TempTestCase):
    def read(self, ext: str, text: str):
        return read_file(put(self.root / f"settings{ext}", text))

    def test_same_configuration_in_four_formats_reads_the_same(self):
        for ext, text in SAME.items():
            with self.subTest(ext=ext):
                self.assertEqual(self.read(ext, text).data, EXPECTED)

    def test_each_format_knows_the_line_of_a_nested_key(self):
        for ext, text in SAME.items():
            with self.subTest(ext=ext):
                document = self.read(ext, text)
                self.assertEqual(
                    document.lines[("database", "engine")], ENGINE_LINE[ext]
                )

    def test_json_lines_follow_nested_objects_and_arrays(self):
        document = self.read(
            ".json",
            '{"a": {"b": [1,\n  {"c": "x}"}],\n "d": {}},\n"e": "\\"{"}',
        )

        self.assertEqual(document.lines[("a", "b", 1, "c")], 2)
        self.assertEqual(document.lines[("a", "d")], 3)
        self.assertEqual(document.lines[("e",)], 4)

    def test_toml_lines_follow_arrays_of_tables(self):
        document = self.read(
            ".toml",
            """\
            [[server]]
            name = "one"
            text = '''
            fake = 1
            '''
            [[server]]
            name = "two"
            [server.limits]
            cpu = 2
            """,
        )

        self.assertEqual(document.lines[("server", 0, "name")], 2)
        self.assertEqual(document.lines[("server", 1, "name")], 7)
        self.assertEqual(document.lines[("server", 1, "limits", "cpu")], 9)
        self.assertNotIn(("server", 0, "fake"), document.lines)

    def test_extends_is_read_and_removed_in_every_format(self):
        texts = {
            ".json": '{"extends": true, "a": 1}',
            ".toml": "extends = true\na = 1\n",
            ".ini": "extends = true\na = 1\n",
            ".xml": '<config extends="true"><a>1</a></config>',
        }
        for ext, text in texts.items():
            with self.subTest(ext=ext):
                document = self.read(ext, text)
                self.assertTrue(document.extends)
                self.assertEqual(document.data, {"a": 1})

    def test_extends_that_is_not_a_boolean_is_refused(self):
        with self.assertRaisesRegex(ConfigError, "line 1: The reserved key"):
            self.read(".json", '{"extends": "yes"}')

    def test_ini_sections_nest_and_keep_the_case_of_keys(self):
        document = self.read(".ini", "[a.b]\nMixedCase = x\n[a]\nc = 1\n")

        self.assertEqual(document.data, {"a": {"b": {"MixedCase": "x"}, "c": 1}})

    def test_ini_key_that_is_also_a_section_is_refused(self):
        with self.assertRaisesRegex(ConfigError, "line 4: .*'b' is both"):
            self.read(".ini", "[a.b]\nx = 1\n[a]\nb = 2\n")

    def test_xml_lists_and_types(self):
        document = self.read(
            ".xml",
            """\
            <config>
              <none type="list"/>
              <empty type="map"/>
              <odd type="map"><item>1</item></odd>
              <text/>
              <nested><item><item>1</item></item></nested>
            </config>
            """,
        )

        self.assertEqual(
            document.data,
            {"none": [], "empty": {}, "odd": {"item": 1}, "text": "", "nested": [[1]]},
        )

    def test_yaml_needs_an_adapter(self):
        for ext in (".yaml", ".yml"):
            with self.subTest(ext=ext):
                with self.assertRaisesRegex(ConfigError, "YAML .* adapter"):
                    self.read(ext, "a: 1\n")

    def test_unknown_extension_is_refused(self):
        with self.assertRaisesRegex(ConfigError, "No reader knows the extension"):
            self.read(".cfg", "a = 1\n")


class BrokenFilesTest(TempTestCase):
    BROKEN = {
        ".json": ('{\n  "a": 1,\n  "b": \n}\n', 4, 1),
        ".toml": ('a = 1\nb = "open\n', 2, 10),
        ".ini": ("a = 1\n[s]\nno separator here\n", 3, None),
        ".xml": ("<config>\n  <a>1</b>\n</config>\n", 2, 9),
    }

    def test_broken_file_names_path_line_and_column(self):
        for ext, (text, line, column) in self.BROKEN.items():
            path = put(self.root / f"broken{ext}", text)
            with self.subTest(ext=ext), self.assertRaises(ConfigError) as caught:
                read_file(path)

            self.assertEqual(caught.exception.origin, str(path))
            self.assertEqual(caught.exception.line, line)
            self.assertEqual(caught.exception.column, column)
            self.assertIn(f"{path}, line {line}", str(caught.exception))

    def test_ini_duplicate_key_names_its_line(self):
        path = put(self.root / "dup.ini", "[s]\na = 1\na = 2\n")

        with self.assertRaises(ConfigError) as caught:
            read_file(path)

        self.assertEqual(caught.exception.line, 3)
        self.assertIn("'a' appears twice", caught.exception.message)

    def test_bad_value_names_the_key_and_line(self):
        path = put(self.root / "bad.ini", "a = 1\nlist = [1, 2\n")

        with self.assertRaisesRegex(ConfigError, r"line 2: The value of 'list'"):
            read_file(path)

    def test_json_that_is_not_an_object_is_refused(self):
        with self.assertRaisesRegex(ConfigError, "must hold a map"):
            read_file(put(self.root / "list.json", "[1, 2]"))

    def test_missing_file_is_a_config_error(self):
        with self.assertRaisesRegex(ConfigError, "cannot be read"):
            read_file(self.root / "absent.json")


class XmlSafetyTest(TempTestCase):
    LAUGHS = """\
        <?xml version="1.0"?>
        <!DOCTYPE lolz [
          <!ENTITY lol "lol">
          <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
          <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
        ]>
        <config><a>&lol3;</a></config>
        """

    def test_billion_laughs_is_refused_before_parsing(self):
        path = put(self.root / "laughs.xml", self.LAUGHS)

        with self.assertRaises(ConfigError) as caught:
            read_file(path)

        self.assertEqual(caught.exception.line, 2)
        self.assertIn("DOCTYPE declaration", caught.exception.message)

    def test_external_entity_is_refused(self):
        text = '<!ENTITY x SYSTEM "file:///etc/passwd"><config/>'

        with self.assertRaisesRegex(ConfigError, "ENTITY declaration"):
            read_file(put(self.root / "xxe.xml", text))

    def test_declaration_the_byte_check_cannot_see_is_refused_by_the_parser(self):
        text = '<?xml version="1.0" encoding="utf-16"?>\n<!DOCTYPE c [\n]><config/>'
        path = self.root / "wide.xml"
        path.write_bytes(text.encode("utf-16"))

        with self.assertRaisesRegex(ConfigError, "line 2: .*DOCTYPE declaration"):
            read_file(path)

    def test_undeclared_entity_is_a_parse_error(self):
        with self.assertRaisesRegex(ConfigError, "undefined entity"):
            read_file(put(self.root / "entity.xml", "<config><a>&x;</a></config>"))


class EnvironTest(unittest.TestCase):
    ENVIRON = {"PW": "s3cret", "EMPTY": ""}

    def test_references_are_replaced(self):
        cases = {
            "${PW}": "s3cret",
            "postgresql://u:${PW}@h/db": "postgresql://u:s3cret@h/db",
            "${NOPE:-fallback}": "fallback",
            "${EMPTY:-fallback}": "fallback",
            "${EMPTY}": "",
            "$${PW} and ${PW}": "${PW} and s3cret",
            "plain $PW text": "plain $PW text",
        }
        for text, expected in cases.items():
            with self.subTest(text=text):
                self.assertEqual(expand(text, self.ENVIRON), expected)

    def test_missing_variable_and_bad_reference_raise(self):
        for text in ("${NOPE}", "${not valid}", "open ${PW"):
            with self.subTest(text=text), self.assertRaises(ValueError):
                expand(text, self.ENVIRON)


class MergeTest(unittest.TestCase):
    def test_maps_merge_lists_replace_scalars_override(self):
        base = {"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": {"f": 1}}
        over = {"a": {"c": [3], "g": True}, "d": "y", "e": 5}

        merged = merge(base, over)

        self.assertEqual(merged, {"a": {"b": 1, "c": [3], "g": True}, "d": "y", "e": 5})
        self.assertEqual(base["a"], {"b": 1, "c": [1, 2]})


class ConfigurationTest(App):
    def three_layers(self) -> None:
        self.put(
            "common",
            "settings.toml",
            """\
            title = "Base"
            hosts = ["a", "b"]
            [database]
            host = "localhost"
            port = 5432
            [database.pool]
            size = 2
            """,
        )
        self.put(
            "environment",
            "settings.ini",
            """\
            extends = true
            hosts = ["c"]
            [database]
            port = 6543
            password = ${DB_PASSWORD}
            """,
        )
        self.put(
            "server",
            "settings.json",
            '{\n  "extends": true,\n  "database": {"pool": {"size": 8}}\n}\n',
        )

    def test_extends_merges_three_layers(self):
        self.three_layers()

        data = self.configuration(environ={"DB_PASSWORD": "pw"}).load("settings")

        self.assertEqual(
            data,
            {
                "title": "Base",
                "hosts": ["c"],
                "database": {
                    "host": "localhost",
                    "port": 6543,
                    "pool": {"size": 8},
                    "password": "pw",
                },
            },
        )

    def test_file_without_extends_hides_the_layers_below(self):
        self.three_layers()
        self.put("domain", "settings.json", '{"only": 1}')

        self.assertEqual(self.configuration().load("settings"), {"only": 1})

    def test_chain_stops_at_a_lower_file_that_does_not_extend(self):
        self.put("common", "settings.json", '{"a": 1, "b": 1}')
        self.put("environment", "settings.json", '{"b": 2}')
        self.put("server", "settings.json", '{"extends": true, "c": 3}')

        self.assertEqual(self.configuration().load("settings"), {"b": 2, "c": 3})

    def test_missing_name_loads_empty(self):
        self.assertEqual(self.configuration().load("absent"), {})
        self.assertEqual(self.configuration().explain("absent"), [])

    def test_exts_order_decides_within_one_folder(self):
        self.put("common", "settings.json", '{"from": "json"}')
        self.put("common", "settings.ini", "from = ini\n")

        for exts, expected in (((".ini", ".json"), "ini"), ((".json",), "json")):
            with self.subTest(exts=exts):
                config = self.configuration(exts=exts)
                self.assertEqual(config.load("settings"), {"from": expected})

    def test_explain_names_layer_file_and_line_of_each_value(self):
        self.three_layers()

        origins = self.configuration(environ={"DB_PASSWORD": "pw"}).explain("settings")

        seen = {o.dotted: (o.value, o.layer, o.path.name, o.line) for o in origins}
        self.assertEqual(
            seen,
            {
                "title": ("Base", "common", "settings.toml", 1),
                "hosts[0]": ("c", "environment", "settings.ini", 2),
                "database.host": ("localhost", "common", "settings.toml", 4),
                "database.port": (6543, "environment", "settings.ini", 4),
                "database.pool.size": (8, "server", "settings.json", 3),
                "database.password": ("pw", "environment", "settings.ini", 5),
            },
        )

    def test_format_explain_shows_references_not_secrets(self):
        self.three_layers()
        config = self.configuration(environ={"DB_PASSWORD": "hunter2"})

        text = config.format_explain("settings")

        self.assertNotIn("hunter2", text)
        written = r'database\.password = "\$\{DB_PASSWORD\}"'
        self.assertRegex(text, written + r" +<- environment: .*settings\.ini:5\n")

    def test_missing_variable_names_file_line_and_key(self):
        self.three_layers()
        path = self.root / "environment" / "config" / "settings.ini"

        with self.assertRaises(ConfigError) as caught:
            self.configuration(environ={}).load("settings")

        self.assertEqual(caught.exception.origin, str(path))
        self.assertEqual(caught.exception.line, 5)
        self.assertIn("'database.password'", caught.exception.message)
        self.assertIn("'DB_PASSWORD'", caught.exception.message)

    def test_overridden_reference_needs_no_variable(self):
        self.put("common", "settings.json", '{"key": "${UNSET}"}')
        self.put("server", "settings.json", '{"extends": true, "key": "set"}')

        data = self.configuration(environ={}).load("settings")

        self.assertEqual(data, {"key": "set"})


class CacheTest(App):
    def test_unchanged_files_are_read_once(self):
        self.put("common", "settings.json", '{"a": 1}')
        self.put("server", "settings.json", '{"extends": true, "b": 2}')
        config = self.configuration()

        first = config.load("settings")
        second = config.load("settings")

        self.assertEqual(first, second)
        self.assertEqual(config.reads, 2)

    def test_changed_file_is_read_again_and_others_are_not(self):
        self.put("common", "settings.json", '{"a": 1}')
        upper = self.put("server", "settings.json", '{"extends": true, "b": 2}')
        config = self.configuration()
        config.load("settings")

        upper.write_text('{"extends": true, "b": 30}')
        os.utime(upper, ns=(0, 10**9))

        self.assertEqual(config.load("settings"), {"a": 1, "b": 30})
        self.assertEqual(config.reads, 3)

    def test_without_watch_files_are_never_looked_at_again(self):
        path = self.put("common", "settings.json", '{"a": 1}')
        config = self.configuration(watch=False)
        config.load("settings")

        path.write_text('{"a": 22}')

        self.assertEqual(config.load("settings"), {"a": 1})
        self.assertEqual(config.reads, 1)

    def test_changing_a_result_does_not_change_the_cache(self):
        self.put("common", "settings.json", '{"a": {"b": [1]}}')
        config = self.configuration()

        config.load("settings")["a"]["b"].append(2)

        self.assertEqual(config.load("settings"), {"a": {"b": [1]}})


ROUND_TRIP = {
    "extends": True,
    "text": "plain",
    "numberish": "42",
    "boolish": "true",
    "padded": "  spaces  ",
    "quoted": '"q"',
    "bracket": "[not a list]",
    "lines": "one\ntwo",
    "empty": "",
    "int": -7,
    "float": 1e-05,
    "flag": False,
    "list": [1, "two", 3.5, True],
    "none": [],
    "maps": [{"a": 1}, {"b": [2, 3]}],
    "nested": {"deeper": {"key": "value", "hole": {}}, "item": {"item": 1}},
}


class WritersTest(TempTestCase):
    def test_written_files_read_back_the_same(self):
        for ext in (".json", ".ini", ".xml"):
            with self.subTest(ext=ext):
                path = self.root / f"out{ext}"
                write_file(path, ROUND_TRIP)

                document = read_file(path)

                expected = {k: v for k, v in ROUND_TRIP.items() if k != "extends"}
                self.assertEqual(document.data, expected)
                self.assertTrue(document.extends)

    def test_write_replaces_and_leaves_no_temporary_file(self):
        path = self.root / "out.json"
        path.write_text("{}")
        path.chmod(0o600)

        write_file(path, {"a": 1})

        self.assertEqual(read_file(path).data, {"a": 1})
        self.assertEqual([p.name for p in self.root.iterdir()], ["out.json"])
        self.assertEqual(stat.S_IMODE(path.stat().st_mode), 0o600)

    def test_formats_without_a_writer_are_refused(self):
        for name in ("out.toml", "out.yaml"):
            with self.subTest(name=name), self.assertRaises(ConfigError):
                write_file(self.root / name, {"a": 1})
            self.assertFalse((self.root / name).exists())

    def test_keys_a_format_cannot_hold_are_refused(self):
        cases = {
            "out.ini": {"s": {"a.b": {}}},
            "out.xml": {"bad key": 1},
            "out.json": {"extends": "yes"},
        }
        for name, data in cases.items():
            with self.subTest(name=name), self.assertRaises(ConfigError):
                write_file(self.root / name, data)
            self.assertEqual(list(self.root.iterdir()), [])

    def test_missing_folder_is_a_config_error(self):
        with self.assertRaisesRegex(ConfigError, "cannot be written"):
            write_file(self.root / "absent" / "out.json", {"a": 1})

    def test_write_new_never_overwrites(self):
        path = self.root / "new.ini"

        self.assertTrue(write_new(path, {"a": 1}))
        self.assertFalse(write_new(path, {"a": 2}))

        self.assertEqual(read_file(path).data, {"a": 1})
        self.assertEqual([p.name for p in self.root.iterdir()], ["new.ini"])


def race_write_new(path: str, writer: int, barrier) -> None:
    """Wait for every racer, then try to create the file; exit 10 if this won."""
    payload = {"writer": writer, "payload": [writer] * 5000}
    barrier.wait()
    sys.exit(10 if write_new(path, payload) else 11)


class WriteNewRaceTest(TempTestCase):
    RACERS = 8

    def test_racing_processes_leave_one_complete_file(self):
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")

        for ext in (".json", ".xml"):
            with self.subTest(ext=ext):
                path = self.root / f"raced{ext}"
                codes = self.race(context, path)

                self.assertEqual(sorted(codes), [10] + [11] * (self.RACERS - 1))
                winner = codes.index(10)
                data = read_file(path).data
                self.assertEqual(data, {"writer": winner, "payload": [winner] * 5000})

    def race(self, context, path: Path) -> list[int]:
        barrier = context.Barrier(self.RACERS)
        racers = [
            context.Process(target=race_write_new, args=(str(path), n, barrier))
            for n in range(self.RACERS)
        ]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(30)
        return [racer.exitcode for racer in racers]


if __name__ == "__main__":
    unittest.main()
