import os
import unittest

from fw.exceptions import ServiceError
from fw.finder import Finder, Layer
from fw.services import Services

from .support import AppTestCase


class ServicesTestCase(AppTestCase):
    files = {
        "common/services/greeting.py": (
            "def service(context):\n    return 'hello ' + context['who']\n"
        ),
        "server/services/greeting.py": (
            "def service(context, base):\n    return base().upper() + '!'\n"
        ),
        "server/services/only_here.py": "def service(context):\n    return 42\n",
        "server/services/broken.py": "value = 1\n",
        "server/services/raising.py": "raise ImportError('no such driver')\n",
    }

    def setUp(self):
        super().setUp()
        self.finder = self.finder_over("server", "common")
        self.services = Services({"clock": lambda context: "12:00"})

    def test_builtin_service(self):
        self.assertEqual(self.services.make("clock", self.finder, {}), "12:00")

    def test_a_layer_overrides_and_reaches_the_one_below(self):
        value = self.services.make("greeting", self.finder, {"who": "ana"})

        self.assertEqual(value, "HELLO ANA!")

    def test_a_layer_overrides_a_builtin(self):
        self.write({"common/services/clock.py": (
            "def service(context, base):\n    return 'not ' + base()\n"
        )})

        self.assertEqual(self.services.make("clock", self.finder, {}), "not 12:00")

    def test_a_layer_adds_a_service(self):
        self.assertEqual(self.services.make("only_here", self.finder, {}), 42)
        self.assertIn("only_here", self.services.names(self.finder))
        self.assertIn("clock", self.services.names(self.finder))

    def test_errors_say_what_to_do(self):
        with self.assertRaisesRegex(ServiceError, "services/nothing.py"):
            self.services.make("nothing", self.finder, {})
        with self.assertRaisesRegex(ServiceError, "defines no function"):
            self.services.make("broken", self.finder, {})
        with self.assertRaisesRegex(ServiceError, "lowercase"):
            self.services.make("../x", self.finder, {})
        with self.assertRaisesRegex(ServiceError, "no base"):
            self.services.make("greeting", Finder([Layer("s", self.root / "server")]),
                               {"who": "x"})

    def test_a_failing_module_raises_its_own_error(self):
        with self.assertRaisesRegex(ImportError, "no such driver"):
            self.services.make("raising", self.finder, {})

    def test_a_changed_file_is_loaded_again(self):
        self.assertEqual(self.services.make("only_here", self.finder, {}), 42)
        path = self.root / "server/services/only_here.py"
        path.write_text("def service(context):\n    return 43\n")
        os.utime(path, ns=(10**9, 10**9))

        self.assertEqual(self.services.make("only_here", self.finder, {}), 43)


if __name__ == "__main__":
    unittest.main()
