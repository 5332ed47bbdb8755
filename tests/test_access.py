"""Tests for fw.access: patterns, decisions, caching, configuration, explain."""

from __future__ import annotations

import json
import tempfile
import textwrap
import unittest
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fw.access import AccessList, Pattern, PatternError
from fw.access.caching import is_role_only
from fw.config import Configuration
from fw.exceptions import ConfigError
from fw.expressions.parser import parse
from fw.finder import Finder, Layer

STAFF_HOURS = "user and 'staff' in user.roles and clock.hour >= 8 and clock.hour < 18"

ACL = {
    "sections": {
        "public": {
            "condition": "true",
            "presenters": ["index", "about", "css/*", "login"],
        },
        "staff": {"condition": STAFF_HOURS, "presenters": ["staff/*"]},
        "admin": {
            "condition": "user and 'admin' in user.roles",
            "presenters": ["admin", "admin/**"],
            "menu": {"admin": {"label": "Administration"}},
        },
    }
}


class Services(Mapping[str, Any]):
    """Names made on first read from factories, as the request's services are."""

    def __init__(self, **factories: Callable[[], Any]) -> None:
        self.factories = factories
        self.made: list[str] = []

    def __getitem__(self, name: str) -> Any:
        factory = self.factories[name]
        self.made.append(name)
        return factory()

    def __iter__(self) -> Iterator[str]:
        return iter(self.factories)

    def __len__(self) -> int:
        return len(self.factories)


def visitor(*roles: str, hour: int = 10, login: str = "ana") -> Services:
    """Return the services of a visitor with ``roles`` (none: anonymous)."""
    user = SimpleNamespace(login=login, roles=list(roles)) if roles else None
    return Services(
        user=lambda: user,
        roles=lambda: list(roles),
        clock=lambda: SimpleNamespace(hour=hour),
    )


def access_list(data: Mapping[str, Any] = ACL) -> AccessList:
    return AccessList.from_config(data, origin="config/acl.json")


def one_section(condition: str, presenters: list[str]) -> AccessList:
    return access_list({"sections": {"only": {"condition": condition,
                                              "presenters": presenters}}})


class PatternTest(unittest.TestCase):
    def test_an_exact_name_matches_itself_only(self) -> None:
        pattern = Pattern.parse("admin")

        self.assertTrue(pattern.exact)
        self.assertTrue(pattern.matches("admin"))
        for other in ("ADMIN", "admin/index", "admins", "xadmin"):
            self.assertFalse(pattern.matches(other), other)

    def test_a_star_matches_within_one_segment(self) -> None:
        pattern = Pattern.parse("staff/*")

        self.assertTrue(pattern.matches("staff/index"))
        self.assertTrue(pattern.matches("staff/[id]"))
        self.assertFalse(pattern.matches("staff"))
        self.assertFalse(pattern.matches("staff/reports/2024"))
        self.assertFalse(pattern.matches("staffroom/index"))

    def test_a_double_star_matches_any_depth(self) -> None:
        cases = {
            ("admin/**", "admin"): True,
            ("admin/**", "admin/users/[id]/edit"): True,
            ("admin/**", "administration"): False,
            ("**/index", "index"): True,
            ("**/index", "shop/staff/index"): True,
            ("a/**/b", "a/b"): True,
            ("a/**/b", "a/x/y/b"): True,
            ("a/**/b", "a/x/y/c"): False,
            ("**", "anything/at/all"): True,
        }
        for (text, presenter), expected in cases.items():
            with self.subTest(pattern=text, presenter=presenter):
                self.assertEqual(Pattern.parse(text).matches(presenter), expected)

    def test_brackets_are_the_parameter_name_not_a_character_class(self) -> None:
        pattern = Pattern.parse("products/[id]")

        self.assertTrue(pattern.exact)
        self.assertTrue(pattern.matches("products/[id]"))
        self.assertFalse(pattern.matches("products/i"))
        self.assertFalse(pattern.matches("products/d"))
        self.assertTrue(Pattern.parse("products/[id]/*").matches("products/[id]/edit"))
        self.assertFalse(Pattern.parse("products/[id]/*").matches("products/i/edit"))

    def test_dots_are_literal(self) -> None:
        self.assertTrue(Pattern.parse("css/site.css").matches("css/site.css"))
        self.assertFalse(Pattern.parse("css/site.css").matches("css/siteXcss"))
        self.assertTrue(Pattern.parse("css/*.css").matches("css/site.css"))
        self.assertFalse(Pattern.parse("css/*.css").matches("css/site.js"))

    def test_malformed_patterns_are_refused_with_a_fix(self) -> None:
        cases = {
            "": "non-empty",
            "/admin": "write 'admin'",
            "staff/": "write 'staff'",
            "a//b": "empty",
            "a/../b": "'..'",
            "a\\b": "backslash",
            "staff/a**": "whole part",
        }
        for text, fragment in cases.items():
            with self.subTest(pattern=text):
                with self.assertRaises(PatternError) as caught:
                    Pattern.parse(text)
                self.assertIn(fragment, str(caught.exception))


class DecideTest(unittest.TestCase):
    def test_a_working_hours_section_allows_at_ten_and_denies_at_twenty(self) -> None:
        acl = access_list()

        self.assertTrue(acl.decide("staff/index", visitor("staff", hour=10)).allowed)
        self.assertTrue(acl.decide("staff/index", visitor("staff", hour=8)).allowed)
        self.assertFalse(acl.decide("staff/index", visitor("staff", hour=18)).allowed)
        denied = acl.decide("staff/index", visitor("staff", hour=20))
        self.assertFalse(denied.allowed)
        self.assertIn("staff: condition false", denied.reasons)

    def test_roles_decide(self) -> None:
        acl = access_list()

        allowed = acl.decide("admin", visitor("admin"))
        self.assertEqual((allowed.allowed, allowed.section), (True, "admin"))
        self.assertFalse(acl.decide("admin", visitor("staff")).allowed)
        self.assertFalse(acl.decide("admin", visitor()).allowed)
        self.assertFalse(acl.decide("staff/index", visitor("admin")).allowed)
        self.assertTrue(acl.decide("admin/users/[id]", visitor("admin")).allowed)

    def test_public_presenters_need_no_user(self) -> None:
        acl = access_list()

        for presenter in ("index", "about", "login", "css/site.css"):
            decision = acl.decide(presenter, visitor())
            self.assertEqual((decision.allowed, decision.section), (True, "public"))

    def test_unlisted_presenters_are_denied_by_default(self) -> None:
        decision = access_list().decide("secret", visitor("admin", "staff"))

        self.assertFalse(decision.allowed)
        self.assertIsNone(decision.section)
        self.assertEqual(decision.reasons, [
            "public: presenter not listed",
            "staff: presenter not listed",
            "admin: presenter not listed",
        ])

    def test_names_differing_only_in_case_or_form_are_not_listed(self) -> None:
        acl = access_list()

        for presenter in ("ADMIN", "Admin", "/admin", "admin/", "./admin", "Index"):
            with self.subTest(presenter=presenter):
                self.assertFalse(acl.decide(presenter, visitor()).allowed)

    def test_only_the_sections_that_list_the_presenter_are_evaluated(self) -> None:
        acl = access_list()
        names = visitor("staff")

        acl.decide("about", names)

        self.assertEqual(names.made, [])
        self.assertEqual(acl.evaluations, 1)

    def test_the_first_section_that_allows_wins(self) -> None:
        acl = access_list({"sections": {
            "everyone": {"condition": "true", "presenters": ["report"]},
            "broken": {"condition": "clok.hour > 1", "presenters": ["report"]},
        }})

        with self.assertNoLogs("fw.access", "WARNING"):
            decision = acl.decide("report", visitor())
        self.assertEqual(decision.section, "everyone")
        self.assertEqual(decision.reasons, ["everyone: condition true"])

    def test_except_takes_presenters_out_of_a_section(self) -> None:
        acl = access_list({"sections": {
            "open": {"condition": "true", "presenters": ["**"], "except": ["admin/**"]},
        }})

        self.assertTrue(acl.decide("shop/cart", visitor()).allowed)
        denied = acl.decide("admin/users", visitor())
        self.assertFalse(denied.allowed)
        self.assertEqual(denied.reasons, ["open: presenter excepted"])

    def test_no_configuration_allows_everything(self) -> None:
        acl = access_list({})

        decision = acl.decide("admin", visitor())
        self.assertFalse(acl.configured)
        self.assertTrue(decision.allowed)
        self.assertIsNone(decision.section)

    def test_an_access_list_without_sections_denies_everything(self) -> None:
        acl = access_list({"sections": {}})

        self.assertTrue(acl.configured)
        self.assertFalse(acl.decide("index", visitor("admin")).allowed)

    def test_an_unknown_service_denies_and_is_reported_once(self) -> None:
        acl = one_section("user and clok.hour >= 8", ["staff/*"])

        with self.assertLogs("fw.access", "WARNING") as logs:
            first = acl.decide("staff/index", visitor("staff"))
            second = acl.decide("staff/report", visitor("staff"))

        self.assertFalse(first.allowed or second.allowed)
        self.assertEqual(
            second.reasons, ["only: condition names the unknown service 'clok'"]
        )
        self.assertEqual(len(logs.records), 1)
        self.assertIn("config/acl.json", logs.output[0])
        self.assertIn("'clok'", logs.output[0])

    def test_a_condition_that_fails_denies_with_its_reason(self) -> None:
        acl = one_section("'admin' in user.roles", ["admin"])

        decision = acl.decide("admin", visitor())

        self.assertFalse(decision.allowed)
        self.assertEqual(len(decision.reasons), 1)
        self.assertTrue(decision.reasons[0].startswith("only: condition failed: "))
        self.assertIn("'roles'", decision.reasons[0])

    def test_an_error_of_the_application_is_not_taken_for_a_denial(self) -> None:
        def broken() -> None:
            raise ValueError("the clock service is broken")

        names = Services(user=lambda: None, clock=broken)
        acl = one_section("clock.hour > 1", ["index"])

        with self.assertRaises(ValueError):
            acl.decide("index", names)


class RequestPathTest(unittest.TestCase):
    """What the request path asks: allows (no reasons) and allows_everyone."""

    def test_allows_answers_as_decide_does(self) -> None:
        access = access_list()
        presenters = ["index", "staff/orders", "admin", "admin/users/edit", "nope"]
        visitors = [visitor(), visitor("staff"), visitor("staff", hour=20),
                    visitor("admin")]

        for presenter in presenters:
            for names in visitors:
                with self.subTest(presenter=presenter, roles=names["roles"]):
                    self.assertEqual(
                        access.allows(presenter, names),
                        access.decide(presenter, names).allowed,
                    )

    def test_only_conditions_that_name_nothing_open_a_page_to_everyone(self):
        access = access_list({"sections": {
            "closed": {"condition": "1 > 2", "presenters": ["news"]},
            "public": {"condition": "true", "presenters": ["index", "news"]},
            "staff": {"condition": STAFF_HOURS, "presenters": ["staff/*", "about"]},
            "late": {"condition": "true", "presenters": ["about"]},
        }})

        self.assertTrue(access.allows_everyone("index"))
        self.assertTrue(access.allows_everyone("news"))
        self.assertFalse(access.allows_everyone("staff/orders"))
        self.assertFalse(access.allows_everyone("about"))
        self.assertFalse(access.allows_everyone("unlisted"))
        self.assertTrue(AccessList.from_config({}, origin="-").allows_everyone("x"))


class CachingTest(unittest.TestCase):
    def test_a_clock_condition_is_evaluated_every_time(self) -> None:
        acl = access_list()

        morning = acl.decide("staff/index", visitor("staff", hour=10))
        evening = acl.decide("staff/index", visitor("staff", hour=20))

        self.assertTrue(morning.allowed)
        self.assertFalse(evening.allowed)
        self.assertEqual(acl.evaluations, 2)

    def test_a_role_only_condition_is_cached_per_role_set(self) -> None:
        acl = access_list()

        for login in ("ana", "bob", "eve"):
            self.assertTrue(acl.decide("admin", visitor("admin", login=login)).allowed)
        self.assertEqual(acl.evaluations, 1)

        self.assertFalse(acl.decide("admin", visitor("staff")).allowed)
        self.assertFalse(acl.decide("admin", visitor()).allowed)
        self.assertFalse(acl.decide("admin/users", visitor()).allowed)
        self.assertEqual(acl.evaluations, 3)

    def test_a_condition_on_other_user_fields_is_not_cached(self) -> None:
        acl = one_section("user and user.login == 'ana'", ["diary"])

        self.assertTrue(acl.decide("diary", visitor("staff", login="ana")).allowed)
        self.assertFalse(acl.decide("diary", visitor("staff", login="bob")).allowed)
        self.assertEqual(acl.evaluations, 2)

    def test_which_conditions_are_role_only(self) -> None:
        cases = {
            "true": True,
            "user": True,
            "not user": True,
            "user and 'admin' in user.roles": True,
            "'admin' in roles or 'staff' not in roles": True,
            "'a' in user.roles if user else false": True,
            "user.login == 'ana'": False,
            "user.roles[0] == 'admin'": False,
            "user.roles == ['admin']": False,
            "'a' in user": False,
            "(user or 'x') == 'x'": False,
            "'admin' in user.roles | sorted": False,
            "clock.hour > 8": False,
            "request.method == 'GET'": False,
        }
        for source, expected in cases.items():
            with self.subTest(source=source):
                self.assertEqual(is_role_only(parse(source, "<test>")), expected)

    def test_reachable_evaluates_each_condition_once_per_call(self) -> None:
        acl = access_list()
        presenters = ["staff/index", "staff/rota", "staff/pay"]

        reached = acl.reachable(presenters, visitor("staff", hour=9))

        self.assertEqual(reached, presenters)
        self.assertEqual(acl.evaluations, 1)


class ReachableTest(unittest.TestCase):
    def test_the_reachable_presenters_keep_their_order(self) -> None:
        acl = access_list()
        presenters = ["admin", "staff/index", "index", "secret", "css/site.css"]

        self.assertEqual(
            acl.reachable(presenters, visitor("staff", hour=10)),
            ["staff/index", "index", "css/site.css"],
        )
        self.assertEqual(
            acl.reachable(presenters, visitor("admin", hour=20)),
            ["admin", "index", "css/site.css"],
        )
        anonymous = acl.reachable(presenters, visitor())
        self.assertEqual(anonymous, ["index", "css/site.css"])

    def test_the_menu_metadata_is_kept_with_its_section(self) -> None:
        admin = access_list().sections[2]

        self.assertEqual(admin.menu, {"admin": {"label": "Administration"}})


class ExplainTest(unittest.TestCase):
    def test_an_allowed_presenter_names_its_section(self) -> None:
        text = access_list().explain("staff/index", visitor("staff", hour=10))

        self.assertEqual(text, textwrap.dedent(f"""\
            'staff/index' is allowed by section 'staff'.
              public: presenter not listed
              staff: condition true
                  condition: {STAFF_HOURS}
            """))

    def test_a_denied_presenter_says_why_each_section_did_not_allow(self) -> None:
        text = access_list().explain("admin", visitor("staff"))

        self.assertEqual(text, textwrap.dedent("""\
            'admin' is denied: no section allows it (config/acl.json).
              public: presenter not listed
              staff: presenter not listed
              admin: condition false
                  condition: user and 'admin' in user.roles
            """))

    def test_without_an_access_list_everything_is_allowed(self) -> None:
        text = access_list({}).explain("admin", visitor())

        self.assertIn("'admin' is allowed", text)
        self.assertIn("no access list is configured", text)


class FromConfigTest(unittest.TestCase):
    def assert_refused(self, data: Mapping[str, Any], *fragments: str) -> ConfigError:
        with self.assertRaises(ConfigError) as caught:
            AccessList.from_config(data, origin="config/acl.json")
        message = str(caught.exception)
        self.assertTrue(message.startswith("config/acl.json"), message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        return caught.exception

    def test_mistakes_name_the_file_and_what_to_fix(self) -> None:
        section = {"condition": "true", "presenters": ["index"]}
        cases = [
            ({"section": {}}, "unknown key 'section'"),
            ({"sections": ["public"]}, "must be a map"),
            ({"sections": {"public": "true"}}, "'public'", "must be a map"),
            ({"sections": {"public": {"presenters": ["index"]}}}, "no 'condition'"),
            ({"sections": {"public": {"condition": "true"}}}, "no 'presenters'"),
            ({"sections": {"public": {**section, "deny": []}}}, "unknown key 'deny'"),
            ({"sections": {"public": {**section, "presenters": "index"}}}, "a list"),
            ({"sections": {"public": {**section, "presenters": ["/index"]}}},
             "write 'index'"),
            ({"sections": {"public": {**section, "condition": 1}}}, "an expression"),
            ({"sections": {"public": {**section, "menu": []}}}, "must be a map"),
            ({"sections": {"public": {**section, "condition": "user and"}}},
             "section 'public'", "not a valid expression", "syntax"),
            ({"sections": {"public": {**section, "condition": "user._secret"}}},
             "attribute"),
        ]
        for data, *fragments in cases:
            with self.subTest(data=data):
                self.assert_refused(data, *fragments)

    def test_lines_name_the_line_of_the_mistake(self) -> None:
        staff = {"condition": "clock.hour >", "presenters": []}
        data = {"sections": {"staff": staff}}
        lines = {("sections",): 2, ("sections", "staff"): 3,
                 ("sections", "staff", "condition"): 4}

        with self.assertRaises(ConfigError) as caught:
            AccessList.from_config(data, origin="config/acl.json", lines=lines)

        self.assertEqual(caught.exception.origin, "config/acl.json")
        self.assertEqual(caught.exception.line, 4)

    def test_a_condition_read_as_a_boolean_is_taken_back(self) -> None:
        acl = access_list({"sections": {
            "open": {"condition": True, "presenters": ["index"]},
            "shut": {"condition": False, "presenters": ["admin"]},
        }})

        self.assertTrue(acl.decide("index", visitor()).allowed)
        self.assertFalse(acl.decide("admin", visitor("admin")).allowed)

    def test_conditions_are_compiled_once(self) -> None:
        acl = access_list()
        before = [section.condition for section in acl.sections]

        acl.decide("staff/index", visitor("staff"))
        acl.decide("admin", visitor("admin"))

        self.assertEqual([section.condition for section in acl.sections], before)
        self.assertEqual(acl.sections[1].condition.source, STAFF_HOURS)


class LoadTest(unittest.TestCase):
    def setUp(self) -> None:
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.config = Path(temp.name) / "common" / "config"
        self.config.mkdir(parents=True)
        finder = Finder([Layer("common", self.config.parent)], watch=True)
        self.configuration = Configuration(finder, environ={})

    def test_an_application_without_acl_allows_everything(self) -> None:
        acl = AccessList.load(self.configuration)

        self.assertFalse(acl.configured)
        self.assertTrue(acl.decide("admin", visitor()).allowed)

    def test_an_ini_access_list_is_read(self) -> None:
        (self.config / "acl.ini").write_text(textwrap.dedent("""\
            [sections.public]
            condition = true
            presenters = ["index", "css/*"]

            [sections.admin]
            condition = user and 'admin' in user.roles
            presenters = ["admin"]
            """), encoding="utf-8")

        acl = AccessList.load(self.configuration)

        self.assertEqual([s.name for s in acl.sections], ["public", "admin"])
        self.assertTrue(acl.decide("css/site.css", visitor()).allowed)
        self.assertTrue(acl.decide("admin", visitor("admin")).allowed)
        self.assertFalse(acl.decide("admin", visitor("staff")).allowed)

    def test_a_broken_condition_names_the_file_and_its_line(self) -> None:
        path = self.config / "acl.json"
        path.write_text(json.dumps(ACL, indent=2).replace(
            "clock.hour >= 8", "clock.hour >= >= 8"
        ), encoding="utf-8")
        line = 1 + path.read_text().splitlines().index(
            next(text for text in path.read_text().splitlines() if ">= >=" in text)
        )

        with self.assertRaises(ConfigError) as caught:
            AccessList.load(self.configuration)

        self.assertEqual(caught.exception.origin, str(path))
        self.assertEqual(caught.exception.line, line)
        self.assertIn("section 'staff'", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
