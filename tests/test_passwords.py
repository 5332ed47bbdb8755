"""Password hashes: formats, verification, rehash, limits, damaged hashes."""

from __future__ import annotations

import base64
import re
import unittest
from unittest import mock

from fw.auth import passwords
from fw.auth.passwords import (
    AuthError,
    check_params,
    dummy_hash,
    hash_length,
    hash_password,
    is_well_formed,
    needs_rehash,
    verify_password,
)
from fw.exceptions import ConfigError, FwError

FAST = {"scrypt": {"n": 1024, "r": 8, "p": 1}, "pbkdf2_sha256": {"i": 1000}}
B64 = r"[A-Za-z0-9+/]+={0,2}"


def fast_hash(password: str, algorithm: str = "scrypt", **options) -> str:
    return hash_password(
        password, algorithm=algorithm, params=FAST[algorithm], **options
    )


def parts(stored: str) -> tuple[str, str, bytes, bytes]:
    algorithm, params, salt, key = stored.split("$")
    return algorithm, params, base64.b64decode(salt), base64.b64decode(key)


class FormatTest(unittest.TestCase):
    def test_scrypt_by_default_with_its_default_parameters_in_the_hash(self):
        stored = hash_password("correct horse")

        self.assertRegex(stored, rf"^scrypt\$n=16384,r=8,p=1\${B64}\${B64}$")
        _, _, salt, key = parts(stored)
        self.assertEqual((len(salt), len(key)), (16, 64))
        self.assertTrue(verify_password("correct horse", stored))

    def test_pbkdf2_with_its_default_iterations_in_the_hash(self):
        stored = hash_password("correct horse", algorithm="pbkdf2_sha256")

        self.assertRegex(stored, rf"^pbkdf2_sha256\$i=600000\${B64}\${B64}$")
        _, _, salt, key = parts(stored)
        self.assertEqual((len(salt), len(key)), (16, 32))

    def test_the_parameters_given_are_the_ones_stored(self):
        scrypt = hash_password("pw", params={"n": 2048, "r": 4, "p": 2})
        pbkdf2 = hash_password("pw", algorithm="pbkdf2_sha256", params={"i": 1234})

        self.assertTrue(scrypt.startswith("scrypt$n=2048,r=4,p=2$"))
        self.assertTrue(pbkdf2.startswith("pbkdf2_sha256$i=1234$"))

    def test_each_hash_has_its_own_salt(self):
        first, second = fast_hash("same"), fast_hash("same")

        self.assertNotEqual(parts(first)[2], parts(second)[2])
        self.assertNotEqual(first, second)

    def test_hash_length_is_the_length_of_a_real_hash(self):
        for algorithm in passwords.ALGORITHMS:
            with self.subTest(algorithm):
                stored = fast_hash("pw", algorithm)
                self.assertEqual(hash_length(algorithm, FAST[algorithm]), len(stored))


class VerifyTest(unittest.TestCase):
    def test_the_right_password_verifies_and_others_do_not(self):
        for algorithm in passwords.ALGORITHMS:
            with self.subTest(algorithm):
                stored = fast_hash("s3cret pass", algorithm)

                self.assertTrue(verify_password("s3cret pass", stored))
                self.assertFalse(verify_password("s3cret pass ", stored))
                self.assertFalse(verify_password("S3cret pass", stored))
                self.assertFalse(verify_password("", stored))

    def test_a_hash_verifies_with_its_own_parameters(self):
        stored = hash_password("pw", params={"n": 2048, "r": 2, "p": 3})

        self.assertTrue(verify_password("pw", stored))

    def test_composed_and_decomposed_accents_are_the_same_password(self):
        stored = fast_hash("caf\u00e9")

        self.assertTrue(verify_password("cafe\u0301", stored))

    def test_the_key_is_compared_in_constant_time(self):
        stored = fast_hash("pw")

        with mock.patch.object(
            passwords.hmac, "compare_digest", wraps=passwords.hmac.compare_digest
        ) as compare:
            self.assertTrue(verify_password("pw", stored))
        compare.assert_called_once()

    def test_a_password_that_is_not_text_is_false(self):
        stored = fast_hash("1234")

        for password in (None, 1234, b"1234", ["1234"]):
            with self.subTest(password=password):
                self.assertFalse(verify_password(password, stored))


class LengthLimitTest(unittest.TestCase):
    def test_a_password_past_the_limit_cannot_be_set(self):
        fast_hash("x" * 1024)

        with self.assertRaisesRegex(AuthError, "at most 1024 characters"):
            fast_hash("x" * 1025)

    def test_a_password_past_the_limit_fails_without_being_hashed(self):
        stored = fast_hash("pw")

        with mock.patch.object(passwords, "_derive") as derive:
            self.assertFalse(verify_password("x" * 10_000_000, stored))
        derive.assert_not_called()

    def test_the_limit_can_be_configured(self):
        long = "p" * 1500
        stored = fast_hash(long, max_length=2000)

        self.assertTrue(verify_password(long, stored, max_length=2000))
        self.assertFalse(verify_password(long, stored))
        with self.assertRaises(AuthError):
            fast_hash("p" * 11, max_length=10)
        self.assertTrue(issubclass(AuthError, FwError))


class MalformedTest(unittest.TestCase):
    def test_damaged_hashes_are_false_never_an_error(self):
        good = fast_hash("pw")
        _, _, salt, key = good.split("$")
        damaged = [
            None,
            5,
            b"scrypt",
            "",
            "garbage",
            "$$$",
            good + "$",
            good.rsplit("$", 1)[0],
            f"md5$n=1024,r=8,p=1${salt}${key}",
            f"scrypt$n=1023,r=8,p=1${salt}${key}",
            f"scrypt$n=1073741824,r=8,p=1${salt}${key}",
            f"scrypt$n=1024,r=8,p=0${salt}${key}",
            f"scrypt$r=8,n=1024,p=1${salt}${key}",
            f"scrypt$n=1024,r=8${salt}${key}",
            f"scrypt$n=1024,r=8,p=1,x=2${salt}${key}",
            f"scrypt$n=+1024,r=8,p=1${salt}${key}",
            f"scrypt$n=\u0661\u0660\u0662\u0664,r=8,p=1${salt}${key}",
            f"scrypt$n=1024,r=8,p=1$!!!!${key}",
            f"scrypt$n=1024,r=8,p=1$${key}",
            f"scrypt$n=1024,r=8,p=1${salt}$",
            f"scrypt$n=1024,r=8,p=1${salt}$\u00e9\u00e9\u00e9\u00e9",
            f"pbkdf2_sha256$i=0${salt}${key}",
            f"pbkdf2_sha256$i=99999999999${salt}${key}",
            f"pbkdf2_sha256$n=1024,r=8,p=1${salt}${key}",
        ]

        for stored in damaged:
            with self.subTest(stored=stored):
                self.assertFalse(verify_password("pw", stored))
                self.assertFalse(is_well_formed(stored))
                self.assertTrue(needs_rehash(stored, "scrypt", FAST["scrypt"]))
        self.assertTrue(is_well_formed(good))


class RehashTest(unittest.TestCase):
    def test_a_hash_made_as_configured_needs_no_rehash(self):
        stored = fast_hash("pw")

        self.assertFalse(needs_rehash(stored, "scrypt", FAST["scrypt"]))
        self.assertFalse(needs_rehash(stored, "scrypt", {"n": 1024}))

    def test_other_parameters_or_another_algorithm_need_a_rehash(self):
        stored = fast_hash("pw")

        self.assertTrue(needs_rehash(stored, "scrypt", {"n": 2048}))
        self.assertTrue(needs_rehash(stored, "scrypt"))
        self.assertTrue(needs_rehash(stored, "pbkdf2_sha256", {"i": 1000}))

    def test_the_dummy_hash_costs_like_a_real_one_and_matches_nothing(self):
        dummy = dummy_hash("scrypt", FAST["scrypt"])

        self.assertTrue(is_well_formed(dummy))
        self.assertFalse(needs_rehash(dummy, "scrypt", FAST["scrypt"]))
        self.assertFalse(verify_password("", dummy))
        self.assertEqual(len(dummy), hash_length("scrypt", FAST["scrypt"]))
        self.assertNotEqual(dummy, dummy_hash("scrypt", FAST["scrypt"]))


class ParametersTest(unittest.TestCase):
    def test_an_unknown_algorithm_names_itself_and_the_known_ones(self):
        with self.assertRaises(ConfigError) as caught:
            check_params("md5", origin="config/auth.json")

        message = str(caught.exception)
        self.assertTrue(message.startswith("config/auth.json: "))
        self.assertIn("'md5'", message)
        self.assertIn("scrypt, pbkdf2_sha256", message)
        with self.assertRaisesRegex(ConfigError, "'bcrypt' is unknown"):
            hash_password("pw", algorithm="bcrypt")

    def test_defaults_fill_in_what_is_not_given(self):
        self.assertEqual(
            check_params("scrypt", {"n": 2048}), {"n": 2048, "r": 8, "p": 1}
        )
        self.assertEqual(check_params("pbkdf2_sha256"), {"i": 600_000})
        self.assertEqual(passwords.DEFAULTS["scrypt"], {"n": 16384, "r": 8, "p": 1})

    def test_wrong_parameters_say_what_is_expected(self):
        cases = [
            ("scrypt", {"x": 1}, "'x' is unknown; its parameters are n, r, p"),
            ("scrypt", {"n": 1000}, "must be a power of two"),
            ("scrypt", {"n": "1024"}, "must be a whole number from 2 to"),
            ("scrypt", {"r": True}, "must be a whole number from 1 to 32"),
            ("scrypt", {"n": 2**20, "r": 16}, "MiB of memory"),
            ("pbkdf2_sha256", {"i": 0}, "must be a whole number from 1"),
            ("pbkdf2_sha256", {"n": 1024}, "its parameters are i"),
            ("scrypt", [("n", 1024)], "must be a table"),
        ]
        for algorithm, params, message in cases:
            with self.subTest(params=params):
                with self.assertRaisesRegex(ConfigError, re.escape(message)):
                    check_params(algorithm, params)


if __name__ == "__main__":
    unittest.main()
