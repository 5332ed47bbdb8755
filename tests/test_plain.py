"""Tests for fw.plain: values compared, hashed, shown and changed by field."""

import unittest

from fw.plain import Plain, replace


class Point(Plain):
    """A value with a default."""

    __slots__ = fields = ("x", "y")

    def __init__(self, x: int, y: int = 0) -> None:
        self.x = x
        self.y = y


class Group(Plain):
    """A value with a field called ``fields``."""

    fields = ("name", "fields")

    def __init__(self, name: str, fields: tuple[str, ...]) -> None:
        self.name = name
        self.fields = fields


class PlainTestCase(unittest.TestCase):
    def test_equality_hash_and_repr_come_from_the_fields(self):
        self.assertEqual(Point(1, 2), Point(1, 2))
        self.assertNotEqual(Point(1, 2), Point(2, 1))
        self.assertEqual(hash(Point(1)), hash(Point(1, 0)))
        self.assertEqual(repr(Point(1, 2)), "Point(x=1, y=2)")

    def test_a_field_called_fields_is_a_field_like_the_others(self):
        group = Group("g", ("a", "b"))

        self.assertEqual(group, Group("g", ("a", "b")))
        self.assertNotEqual(group, Group("g", ("a",)))
        self.assertEqual(repr(group), "Group(name='g', fields=('a', 'b'))")


class ReplaceTestCase(unittest.TestCase):
    def test_replace_makes_a_new_value_with_the_changes(self):
        point = Point(1, 2)

        moved = replace(point, y=5)

        self.assertEqual(moved, Point(1, 5))
        self.assertEqual(point, Point(1, 2))
        self.assertEqual(replace(Group("g", ("a",)), fields=("b",)).fields, ("b",))

    def test_replace_refuses_an_unknown_field(self):
        with self.assertRaisesRegex(TypeError, "Point has no field 'z'"):
            replace(Point(1), z=3)


if __name__ == "__main__":
    unittest.main()
