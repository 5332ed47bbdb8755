"""Users: settings checked against the schema, logins, roles, the commands.

Most cases run on SQLite; the roles that come through a many-to-many
relation also run on PostgreSQL and MariaDB (tests/dbsupport.py).
"""

from __future__ import annotations

import io
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from fw.auth import users as users_module
from fw.auth.commands import read_password, users_add, users_passwd, users_roles
from fw.auth.passwords import AuthError, hash_password, verify_password
from fw.auth.users import (
    Authenticator,
    Settings,
    User,
    normalize_login,
    read_settings,
    split_roles,
)
from fw.db.connection import Database
from fw.db.migrate import install
from fw.db.records import Records
from fw.db.schema import parse_schema
from fw.exceptions import ConfigError
from fw.expressions import compile_expression

from . import dbsupport

ID = {"type": "integer", "primary": True, "auto": True}
TABLES = {
    "users": {
        "fields": {
            "id": ID,
            "login": {"type": "text", "length": 80, "required": True, "unique": True},
            "name": {"type": "text", "length": 120},
            "password_hash": {"type": "text", "length": 255},
            "age": "integer",
        },
        "relations": {"roles": {"through": "user_roles", "to": "roles"}},
    },
    "roles": {
        "fields": {
            "id": ID,
            "name": {"type": "text", "length": 40, "required": True, "unique": True},
        },
        "seed": [{"name": "admin"}, {"name": "staff"}, {"name": "customer"}],
    },
    "user_roles": {
        "fields": {
            "user_id": {"type": "integer", "required": True,
                        "references": "users.id", "on_delete": "cascade"},
            "role_id": {"type": "integer", "required": True,
                        "references": "roles.id", "on_delete": "cascade"},
        },
        "primary_key": ["user_id", "role_id"],
    },
    "members": {
        "fields": {
            "id": ID,
            "email": {"type": "text", "length": 120, "required": True},
            "secret": "text",
            "role": {"type": "text", "length": 200},
            "short_hash": {"type": "text", "length": 40},
        },
    },
}
SCHEMA = parse_schema(
    {name: (data, f"schema/{name}.json") for name, data in TABLES.items()}
)
FAST = {"n": 1024, "r": 8, "p": 1}
MEMBERS = {
    "table": "members",
    "login": "email",
    "password": "secret",
    "fields": ["id", "email"],
    "roles": {"field": "role"},
    "params": FAST,
}


def sqlite_records(case: unittest.TestCase) -> Records:
    """Return records over a fresh SQLite database with SCHEMA installed."""
    folder = tempfile.TemporaryDirectory()
    case.addCleanup(folder.cleanup)
    database = Database(f"sqlite:///{Path(folder.name) / 'app.db'}")
    case.addCleanup(database.close)
    install(database, SCHEMA)
    return Records(database, SCHEMA)


class SettingsTest(unittest.TestCase):
    def read(self, **data):
        return read_settings(data, SCHEMA)

    def test_the_defaults_fit_the_usual_users_table(self):
        settings = read_settings({}, SCHEMA)

        self.assertEqual(settings.table, "users")
        self.assertEqual(settings.login, "login")
        self.assertEqual(settings.password, "password_hash")
        self.assertEqual(settings.fields, ("id", "login", "name"))
        self.assertEqual(settings.role_relation, "roles")
        self.assertEqual(settings.role_name, "name")
        self.assertEqual(settings.algorithm, "scrypt")
        self.assertEqual(settings.params, {"n": 16384, "r": 8, "p": 1})
        self.assertEqual(settings.max_length, 1024)
        self.assertEqual(read_settings(None, SCHEMA), settings)

    def test_roles_from_a_field_and_no_roles_at_all(self):
        members = read_settings(MEMBERS, SCHEMA)
        without = self.read(roles={})
        no_relation = read_settings({**MEMBERS, "roles": None}, SCHEMA)

        self.assertEqual((members.role_field, members.role_relation), ("role", None))
        self.assertEqual((without.role_field, without.role_relation), (None, None))
        self.assertIsNone(no_relation.role_relation)

    def test_a_table_without_a_roles_relation_defaults_to_no_roles(self):
        settings = read_settings({k: v for k, v in MEMBERS.items() if k != "roles"},
                                 SCHEMA)

        self.assertEqual((settings.role_field, settings.role_relation), (None, None))

    def test_wrong_settings_say_what_to_fix(self):
        cases = [
            ({"tabel": "users"}, "unknown key(s) tabel; the keys are table, login"),
            ({"table": "people"}, "users table 'people' is not described"),
            ({"login": "nick"}, "'login' field 'nick' is not a field of users"),
            ({"login": "age"}, "users.age is integer; it must be a text field"),
            ({"password": "pw"}, "'password' field 'pw' is not a field of users"),
            ({"fields": ["id", "password_hash"]}, "names the password field"),
            ({"fields": ["id", "email"]}, "'fields' names 'email', which users does"),
            ({"fields": "id,name"}, "'fields' must be a list"),
            ({"roles": {"relation": "groups"}}, "relation 'groups' is not a relation"),
            ({"roles": {"relation": "roles", "name": "title"}},
             "'title' is not a field of roles"),
            ({"roles": {"field": "age"}}, "users.age is integer"),
            ({"roles": {"field": "name", "relation": "roles"}}, "'roles' must be"),
            ({"roles": "admin"}, "'roles' must be"),
            ({"algorithm": "md5"},
             "'md5' is unknown; the known ones are scrypt, pbkdf2"),
            ({"params": {"n": 3}}, "must be a power of two"),
            ({"max_length": 0}, "'max_length' is 0; it must be a whole number"),
            ({"max_length": "1024"}, "'max_length' is '1024'"),
        ]
        for data, message in cases:
            with self.subTest(data=data):
                with self.assertRaises(ConfigError) as caught:
                    read_settings(data, SCHEMA)
                self.assertIn(message, str(caught.exception))
                self.assertTrue(str(caught.exception).startswith("config/auth: "))

    def test_the_password_field_must_hold_the_configured_hashes(self):
        with self.assertRaisesRegex(ConfigError, r"holds 40 characters.*take \d+"):
            read_settings({**MEMBERS, "password": "short_hash"}, SCHEMA)

    def test_the_origin_given_is_named(self):
        with self.assertRaisesRegex(ConfigError, r"^common/config/auth\.toml: "):
            read_settings({"table": "x"}, SCHEMA, origin="common/config/auth.toml")


class AuthenticatorTest(unittest.TestCase):
    def setUp(self):
        self.records = sqlite_records(self)
        self.auth = Authenticator(self.records, {"params": FAST})
        self.users = self.records.table("users")

    def add(self, login="ana", password="pw-ana", roles=("staff",), **fields):
        return self.auth.add_user(login, password, roles, fields=fields or None)

    def stored_hash(self, login="ana"):
        return self.users.find(login=login).first()["password_hash"]

    def test_a_user_logs_in_with_the_right_password_only(self):
        added = self.add(name="Ana Lima")

        found = self.auth.authenticate("ana", "pw-ana")

        self.assertEqual(found, added)
        self.assertEqual(found.login, "ana")
        self.assertEqual(dict(found.fields), {"id": found.key, "login": "ana",
                                              "name": "Ana Lima"})
        self.assertEqual(found.roles, frozenset({"staff"}))
        self.assertIsNone(self.auth.authenticate("ana", "pw-anA"))
        self.assertIsNone(self.auth.authenticate("bob", "pw-ana"))
        self.assertIsNone(self.auth.authenticate("ana", ""))

    def test_the_password_hash_never_reaches_the_user(self):
        user = self.add()

        self.assertNotIn("password_hash", user.fields)
        self.assertNotIn(self.stored_hash(), repr(user))
        with self.assertRaisesRegex(AttributeError, "no field 'password_hash'"):
            user.password_hash

    def test_the_hash_is_stored_with_the_configured_algorithm(self):
        self.add()

        self.assertTrue(self.stored_hash().startswith("scrypt$n=1024,r=8,p=1$"))
        self.assertTrue(verify_password("pw-ana", self.stored_hash()))

    def test_fields_read_as_attributes_for_expressions(self):
        user = self.add(roles=("admin", "staff"), name="Ana")
        condition = compile_expression(
            "user and user.name == 'Ana' and 'admin' in user.roles "
            "and user.login == 'ana'"
        )

        self.assertIs(condition.evaluate({"user": user}), True)
        self.assertFalse(compile_expression("'customer' in user.roles").evaluate(
            {"user": user}))
        self.assertEqual(user.name, "Ana")
        with self.assertRaisesRegex(AttributeError, "the fields returned are id"):
            user.nickname
        with self.assertRaises(AttributeError):
            user._secret

    def test_a_user_is_a_frozen_value(self):
        user = self.add()

        with self.assertRaises(AttributeError):
            user.login = "eve"
        self.assertEqual(hash(user), hash(self.auth.load(user.key)))
        self.assertIsInstance(user, User)

    def test_logins_are_one_after_normalization_and_case_folding(self):
        self.add("\uff21\uff2e\uff21")

        self.assertEqual(self.users.find().first()["login"], "ana")
        for login in ("ana", "Ana", "ANA", " ana ", "\uff21\uff2e\uff21"):
            with self.subTest(login=login):
                self.assertEqual(self.auth.authenticate(login, "pw-ana").login, "ana")
        with self.assertRaisesRegex(AuthError, "'ana' exists already"):
            self.add("Ana")

    def test_sharp_s_folds_to_ss(self):
        self.add("Stra\u00dfe")

        self.assertEqual(normalize_login("STRASSE"), "strasse")
        self.assertEqual(self.auth.authenticate("strasse", "pw-ana").login, "strasse")
        with self.assertRaises(AuthError):
            self.add("STRASSE")

    def test_a_failed_login_verifies_once_whether_the_user_exists_or_not(self):
        self.add()
        self.add("nohash")
        self.users.find(login="nohash").update(password_hash=None)
        self.add("damaged")
        self.users.find(login="damaged").update(password_hash="scrypt$broken")
        attempts = {
            "existing user, wrong password": ("ana", "wrong"),
            "missing user": ("bob", "wrong"),
            "user without a hash": ("nohash", "wrong"),
            "user with a damaged hash": ("damaged", "scrypt$broken"),
            "login that no field can hold": ("x" * 500, "wrong"),
            "login with a NUL": ("a\x00", "wrong"),
            "login that is not text": (42, "wrong"),
            "password past the limit": ("ana", "p" * 5000),
        }

        for case, (login, password) in attempts.items():
            with self.subTest(case):
                calls = self.count_verifications(login, password)
                self.assertEqual(len(calls), 1)
                stored = calls[0].args[1]
                self.assertTrue(stored.startswith("scrypt$n=1024,r=8,p=1$"))

    def count_verifications(self, login, password):
        with mock.patch.object(
            users_module, "verify_password", wraps=verify_password
        ) as verify:
            self.assertIsNone(self.auth.authenticate(login, password))
        return verify.call_args_list

    def test_a_successful_login_verifies_once_too(self):
        self.add()

        with mock.patch.object(
            users_module, "verify_password", wraps=verify_password
        ) as verify:
            self.assertIsNotNone(self.auth.authenticate("ana", "pw-ana"))
        self.assertEqual(verify.call_count, 1)

    def test_a_login_rehashes_when_the_parameters_changed(self):
        self.add()
        before = self.stored_hash()
        stronger = Authenticator(self.records, {"params": {"n": 2048}})

        self.assertIsNone(stronger.authenticate("ana", "wrong"))
        self.assertEqual(self.stored_hash(), before)
        self.assertIsNotNone(stronger.authenticate("ana", "pw-ana"))
        after = self.stored_hash()
        self.assertTrue(after.startswith("scrypt$n=2048,r=8,p=1$"))
        self.assertIsNotNone(stronger.authenticate("ana", "pw-ana"))
        self.assertEqual(self.stored_hash(), after)
        self.assertIsNotNone(self.auth.authenticate("ana", "pw-ana"))

    def test_a_login_rehashes_when_the_algorithm_changed(self):
        self.add()
        pbkdf2 = Authenticator(
            self.records, {"algorithm": "pbkdf2_sha256", "params": {"i": 1000}}
        )

        self.assertIsNotNone(pbkdf2.authenticate("ana", "pw-ana"))
        self.assertTrue(self.stored_hash().startswith("pbkdf2_sha256$i=1000$"))
        self.assertIsNotNone(pbkdf2.authenticate("ANA", "pw-ana"))

    def test_the_length_limit_is_configurable(self):
        short = Authenticator(self.records, {"params": FAST, "max_length": 8})

        short.add_user("ana", "12345678")
        self.assertIsNotNone(short.authenticate("ana", "12345678"))
        self.assertIsNone(short.authenticate("ana", "123456789"))
        with self.assertRaisesRegex(AuthError, "at most 8 characters"):
            short.add_user("bob", "123456789")
        self.assertIsNone(self.auth.authenticate("ana", "x" * 100_000))

    def test_empty_logins_and_passwords_are_refused(self):
        with self.assertRaisesRegex(AuthError, "password cannot be empty"):
            self.add(password="")
        with self.assertRaisesRegex(AuthError, "at least one visible character"):
            self.add(login="  ")
        self.assertEqual(self.users.find().count(), 0)

    def test_the_login_and_password_are_not_set_through_fields(self):
        with self.assertRaisesRegex(AuthError, "password_hash are set from"):
            self.add(password_hash="scrypt$whatever")

    def test_load_gives_the_user_of_a_key_or_none(self):
        user = self.add(roles=("admin",))

        self.assertEqual(self.auth.load(user.key), user)
        self.assertEqual(self.auth.load(str(user.key)), user)
        self.assertIsNone(self.auth.load(user.key + 1))
        self.assertIsNone(self.auth.load("not a key"))
        self.assertIsNone(self.auth.load(None))
        self.assertIsNone(self.auth.load({"id": 1, "extra": 2}))

    def test_find_user_reads_without_a_password(self):
        user = self.add()

        self.assertEqual(self.auth.find_user("ANA"), user)
        self.assertIsNone(self.auth.find_user("bob"))

    def test_set_password_replaces_the_old_one(self):
        self.add()

        self.auth.set_password("Ana", "new password")

        self.assertIsNone(self.auth.authenticate("ana", "pw-ana"))
        self.assertIsNotNone(self.auth.authenticate("ana", "new password"))
        with self.assertRaisesRegex(AuthError, "no user with the login 'bob'"):
            self.auth.set_password("bob", "x")

    def test_roles_through_the_relation_are_set_exactly(self):
        self.add(roles=("staff", "customer"))

        self.assertEqual(self.auth.set_roles("ana", ["admin", "staff"]).roles,
                         {"admin", "staff"})
        self.assertEqual(self.auth.authenticate("ana", "pw-ana").roles,
                         {"admin", "staff"})
        self.assertEqual(self.auth.set_roles("ana", []).roles, frozenset())
        self.assertEqual(self.records.table("user_roles").find().count(), 0)

    def test_unknown_roles_are_refused_naming_the_known_ones(self):
        self.add()

        with self.assertRaises(AuthError) as caught:
            self.auth.set_roles("ana", ["admin", "root"])

        self.assertIn("root do not exist; the roles are admin, customer, staff",
                      str(caught.exception))
        self.assertEqual(self.auth.find_user("ana").roles, {"staff"})
        with self.assertRaisesRegex(AuthError, "root"):
            self.add("bob", roles=("root",))
        self.assertIsNone(self.auth.find_user("bob"))
        self.assertEqual(self.records.table("roles").find().count(), 3)

    def test_roles_given_as_one_string_are_a_list(self):
        self.assertEqual(self.auth.add_user("ana", "pw", "admin, staff").roles,
                         {"admin", "staff"})

    def test_users_without_roles(self):
        plain = Authenticator(self.records, {"params": FAST, "roles": {}})

        user = plain.add_user("ana", "pw")

        self.assertEqual(user.roles, frozenset())
        self.assertIsNone(plain.known_roles())
        with self.assertRaisesRegex(AuthError, "have no roles"):
            plain.set_roles("ana", ["admin"])


class RoleFieldTest(unittest.TestCase):
    def setUp(self):
        self.records = sqlite_records(self)
        self.auth = Authenticator(self.records, MEMBERS)
        self.members = self.records.table("members")

    def test_roles_are_kept_as_a_list_in_the_field(self):
        user = self.auth.add_user("Ana@Example.org", "pw", ["staff", "admin"])

        row = self.members.get(user.key)
        self.assertEqual(row["role"], "admin,staff")
        self.assertEqual(row["email"], "ana@example.org")
        self.assertEqual(user.roles, {"admin", "staff"})
        self.assertEqual(dict(user.fields),
                         {"id": user.key, "email": "ana@example.org"})

    def test_one_role_or_a_loose_list_reads_back(self):
        one = self.members.insert(email="a", secret=hash_password("pw", params=FAST),
                                  role="admin")
        loose = self.members.insert(email="b", secret=hash_password("pw", params=FAST),
                                    role=" staff, customer ,,")
        empty = self.members.insert(email="c", role=None)

        self.assertEqual(self.auth.authenticate("a", "pw").roles, {"admin"})
        self.assertEqual(self.auth.load(loose.id).roles, {"staff", "customer"})
        self.assertEqual(self.auth.load(empty.id).roles, frozenset())
        self.assertEqual(self.auth.load(one.id).login, "a")

    def test_set_roles_rewrites_the_field(self):
        self.auth.add_user("ana", "pw", ["staff"])

        self.assertEqual(self.auth.set_roles("ana", ["customer"]).roles, {"customer"})
        self.assertEqual(self.members.find().first()["role"], "customer")
        self.assertIsNone(self.auth.known_roles())
        with self.assertRaisesRegex(AuthError, "holds a comma"):
            self.auth.set_roles("ana", ["a,b"])

    def test_split_roles(self):
        self.assertEqual(split_roles(" a, b ,,c "), ["a", "b", "c"])
        self.assertEqual(split_roles(""), [])


class CommandsTest(unittest.TestCase):
    def setUp(self):
        records = sqlite_records(self)
        self.auth = Authenticator(records, read_settings({"params": FAST}, SCHEMA))
        self.out = io.StringIO()

    def add(self, login, roles, stdin):
        stream = io.StringIO(stdin)
        return users_add(self.auth, login, roles, password_stream=stream, out=self.out)

    def test_users_add_reads_the_password_from_the_first_line(self):
        code = self.add("Ana", ["admin,staff"], "my pass\nsecond line\n")

        self.assertEqual(code, 0)
        self.assertEqual(self.out.getvalue(),
                         "Added the user ana with the roles admin, staff.\n")
        self.assertEqual(self.auth.authenticate("ana", "my pass").roles,
                         {"admin", "staff"})
        self.assertIsNone(self.auth.authenticate("ana", "my pass\n"))

    def test_a_windows_line_ending_is_not_part_of_the_password(self):
        self.assertEqual(read_password(io.StringIO("pw\r\n")), "pw")
        self.assertEqual(read_password(io.StringIO(" pw ")), " pw ")
        self.assertEqual(read_password(io.StringIO("")), "")

    def test_users_add_refuses_an_empty_password(self):
        for stdin in ("", "\n", "\r\n"):
            with self.subTest(stdin=stdin):
                self.assertEqual(self.add("ana", [], stdin), 1)
        self.assertIn("No password arrived on standard input", self.out.getvalue())
        self.assertIsNone(self.auth.find_user("ana"))

    def test_users_add_refuses_unknown_roles_and_existing_logins(self):
        self.assertEqual(self.add("ana", ["root"], "pw\n"), 1)
        self.assertIn("root do not exist; the roles are admin, customer, staff",
                      self.out.getvalue())
        self.assertEqual(self.add("ana", [], "pw\n"), 0)
        self.assertEqual(self.add("ANA", [], "pw\n"), 1)
        self.assertIn("'ana' exists already", self.out.getvalue())

    def test_users_add_refuses_a_login_too_long_for_its_field(self):
        self.assertEqual(self.add("x" * 81, [], "pw\n"), 1)
        self.assertIn("holds at most 80 characters", self.out.getvalue())

    def test_users_passwd(self):
        self.add("ana", [], "old\n")

        code = users_passwd(self.auth, "ana", password_stream=io.StringIO("new\n"),
                            out=self.out)

        self.assertEqual(code, 0)
        self.assertIn("Changed the password of ana.", self.out.getvalue())
        self.assertIsNotNone(self.auth.authenticate("ana", "new"))
        self.assertEqual(users_passwd(self.auth, "bob", password_stream=io.StringIO(
            "new\n"), out=self.out), 1)
        self.assertIn("no user with the login 'bob'", self.out.getvalue())
        self.assertEqual(users_passwd(self.auth, "ana", password_stream=io.StringIO(
            ""), out=self.out), 1)
        self.assertIsNotNone(self.auth.authenticate("ana", "new"))

    def test_users_roles(self):
        self.add("ana", ["customer"], "pw\n")

        self.assertEqual(users_roles(self.auth, "ana", "admin,staff", out=self.out), 0)
        self.assertIn("The roles of ana are now admin, staff.", self.out.getvalue())
        self.assertEqual(self.auth.find_user("ana").roles, {"admin", "staff"})
        self.assertEqual(users_roles(self.auth, "ana", ["boss"], out=self.out), 1)
        self.assertEqual(users_roles(self.auth, "bob", ["admin"], out=self.out), 1)
        self.assertEqual(users_roles(self.auth, "ana", [], out=self.out), 0)
        self.assertIn("are now (none).", self.out.getvalue())


class RelationRolesCases:
    """The many-to-many roles path, the same on every engine."""

    def setUp(self):
        super().setUp()
        install(self.database, SCHEMA)
        self.records = Records(self.database, SCHEMA)
        self.auth = Authenticator(self.records, Settings(params=FAST))

    def test_roles_through_the_relation_on_this_engine(self):
        added = self.auth.add_user("\uff21na", "pw", ["admin", "staff"],
                                   fields={"name": "Ana"})

        user = self.auth.authenticate("ANA", "pw")

        self.assertEqual(user, added)
        self.assertEqual(user.roles, {"admin", "staff"})
        self.assertEqual(self.auth.set_roles("ana", ["customer"]).roles, {"customer"})
        self.assertEqual(self.auth.load(user.key).roles, {"customer"})
        self.assertIsNone(self.auth.authenticate("ana", "wrong"))
        self.assertEqual(self.auth.known_roles(), ["admin", "customer", "staff"])

    def test_a_login_matches_only_the_same_characters(self):
        self.auth.add_user("ana", "pw")

        for other in ("\u00e1na", "ana\u0301", "an", "ana2"):
            with self.subTest(login=other):
                self.assertIsNone(self.auth.authenticate(other, "pw"))
                self.assertIsNone(self.auth.find_user(other))
        self.assertIsNotNone(self.auth.authenticate("ana", "pw"))

    def test_a_failed_link_rolls_the_new_user_back(self):
        users = self.records.table("users")
        link = users.link
        calls = []

        def fail_second(*args):
            calls.append(args)
            if len(calls) == 2:
                raise OSError("the link table is gone")
            return link(*args)

        with mock.patch.object(users, "link", side_effect=fail_second):
            with self.assertRaises(OSError):
                self.auth.add_user("bob", "pw", ["staff", "admin"])

        self.assertEqual(len(calls), 2)
        self.assertIsNone(self.auth.find_user("bob"))
        self.assertEqual(users.find().count(), 0)
        self.assertEqual(self.records.table("user_roles").find().count(), 0)

    def test_unknown_roles_are_refused_before_anything_is_written(self):
        with self.assertRaisesRegex(AuthError, "root do not exist"):
            self.auth.add_user("bob", "pw", ["staff", "root"])

        self.assertEqual(self.records.table("users").find().count(), 0)


class SQLiteRolesTest(RelationRolesCases, dbsupport.EngineTestCase):
    engine = "sqlite"


@dbsupport.needs_driver("postgresql")
class PostgreSQLRolesTest(RelationRolesCases, dbsupport.EngineTestCase):
    engine = "postgresql"


@dbsupport.needs_driver("mysql")
class MariaDBRolesTest(RelationRolesCases, dbsupport.EngineTestCase):
    engine = "mysql"


if __name__ == "__main__":
    unittest.main()
