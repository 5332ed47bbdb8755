import re
import unittest

import fw

from .support import ROOT


class PublicApiTestCase(unittest.TestCase):
    def test_exports_match_the_documentation(self):
        text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
        table = text.split("## ", 1)[0]
        documented = re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)

        self.assertEqual(sorted(documented), sorted(fw.__all__))
        self.assertEqual(fw.__all__, sorted(fw.__all__))

    def test_every_export_resolves_and_has_a_docstring(self):
        for name in fw.__all__:
            with self.subTest(name=name):
                value = getattr(fw, name)
                self.assertTrue(value.__doc__, name)

    def test_unknown_names_raise_attribute_error(self):
        with self.assertRaises(AttributeError):
            fw.no_such_thing


if __name__ == "__main__":
    unittest.main()
