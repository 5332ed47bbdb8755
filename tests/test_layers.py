import json
import multiprocessing
import unittest
from unittest import mock

from fw import layers as fw_layers
from fw.exceptions import BadRequest
from fw.finder import Listings
from fw.layers import Layers

from .support import AppTestCase

ENV = "env-1"


def layers_for(root, *, production=False, environment_id=ENV):
    return Layers(
        root,
        environment_id=environment_id,
        production=lambda: production,
        listings=Listings(watch=not production),
    )


def first_request(root, host, queue):
    try:
        stack = layers_for(root).for_host(host)
        queue.put(stack.server)
    except Exception as error:
        queue.put(repr(error))


class HostRulesTestCase(AppTestCase):
    files = {
        "common/config/settings.json": '{"name": "common"}',
        "environments/env-1/config/environment.json": '{"server": "example.com"}',
        "servers/example.com/config/server.json": json.dumps(
            {"domains": ["example.com", "*.shop.example.com"]}
        ),
        "servers/example.com/config/settings.json": '{"name": "server"}',
        "domains/a.shop.example.com/config/settings.json": '{"name": "domain"}',
    }

    def test_white_listed_host_gets_its_domain_layer(self):
        stack = layers_for(self.root).for_host("a.shop.example.com")

        names = [layer.name for layer in stack.layers]
        self.assertEqual(names, ["domain", "server", "environment", "common", "fw"])
        self.assertEqual(stack.config.load("settings")["name"], "domain")

    def test_white_listed_host_without_a_domain_folder(self):
        stack = layers_for(self.root).for_host("example.com")

        self.assertEqual(stack.config.load("settings")["name"], "server")
        self.assertNotIn("domain", [layer.name for layer in stack.layers])

    def test_production_shares_one_stack_among_hosts_without_a_domain(self):
        layers = layers_for(self.root, production=True)

        first = layers.for_host("b.shop.example.com")
        second = layers.for_host("c.shop.example.com")
        own = layers.for_host("a.shop.example.com")

        self.assertIs(first, second)
        self.assertIsNot(own, first)
        self.assertEqual(own.config.load("settings")["name"], "domain")
        self.assertEqual(first.config.load("settings")["name"], "server")

    def test_production_remembers_a_bounded_number_of_hosts(self):
        layers = layers_for(self.root, production=True)

        with mock.patch.object(fw_layers, "HOSTS_KEPT", 5):
            stacks = {layers.for_host(f"h{n}.shop.example.com") for n in range(50)}

        self.assertEqual(len(stacks), 1)
        self.assertLessEqual(len(layers._by_host), 5)

    def test_host_not_on_the_list_is_refused(self):
        for host in ("evil.com", "shop.example.com", "example.com.evil.com", None):
            with self.subTest(host=host):
                with self.assertRaises(BadRequest):
                    layers_for(self.root).for_host(host)

    def test_loopback_is_accepted_outside_production_only(self):
        stack = layers_for(self.root).for_host("localhost")
        self.assertEqual(stack.server, "example.com")

        with self.assertRaises(BadRequest):
            layers_for(self.root, production=True).for_host("localhost")

    def test_domain_layer_only_for_white_listed_hosts(self):
        self.write({"domains/evil.com/config/settings.json": '{"name": "evil"}'})

        with self.assertRaises(BadRequest):
            layers_for(self.root).for_host("evil.com")


class NewEnvironmentTestCase(AppTestCase):
    files = {
        "common/config/server.json": '{"domains": ["www.shop.example.com"]}',
    }

    def test_first_request_writes_the_server_as_its_base_domain(self):
        layers = layers_for(self.root, environment_id="fresh")

        stack = layers.for_host("www.shop.example.com")

        written = self.root / "environments/fresh/config/environment.json"
        self.assertEqual(json.loads(written.read_text()), {"server": "example.com"})
        self.assertEqual(stack.server, "example.com")
        self.assertIn("environment", [layer.name for layer in stack.layers])

    def test_an_ipv6_loopback_first_request_leaves_a_working_environment(self):
        layers = layers_for(self.root, environment_id="fresh")

        first = layers.for_host("[::1]")
        later = layers_for(self.root, environment_id="fresh").for_host("localhost")

        self.assertEqual((first.server, later.server), ("[::1]", "[::1]"))

    def test_a_later_host_does_not_change_the_server(self):
        layers = layers_for(self.root, environment_id="fresh")
        layers.for_host("localhost")

        layers.for_host("www.shop.example.com")

        written = self.root / "environments/fresh/config/environment.json"
        self.assertEqual(json.loads(written.read_text()), {"server": "localhost"})

    def test_a_refused_host_writes_nothing(self):
        with self.assertRaises(BadRequest):
            layers_for(self.root, environment_id="fresh").for_host("evil.example.org")

        self.assertFalse((self.root / "environments/fresh").exists())

    def test_a_developer_may_change_the_server_in_the_file(self):
        layers = layers_for(self.root, environment_id="fresh")
        layers.for_host("localhost")
        self.write(
            {
                "environments/fresh/config/environment.json": '{"server": "other.org"}',
                "servers/other.org/config/settings.json": '{"name": "other"}',
            }
        )

        stack = layers_for(self.root, environment_id="fresh").for_host("localhost")

        self.assertEqual(stack.server, "other.org")
        self.assertEqual(stack.config.load("settings")["name"], "other")

    def test_two_processes_at_once_leave_one_complete_file(self):
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        hosts = ["www.shop.example.com", "localhost"] * 4
        workers = [
            context.Process(target=first_request, args=(self.root, host, queue))
            for host in hosts
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
        servers = [queue.get(timeout=5) for _ in workers]

        written = self.root / "environments" / ENV / "config/environment.json"
        data = json.loads(written.read_text())
        self.assertIn(data["server"], ("example.com", "localhost"))
        self.assertEqual(set(servers), {data["server"]}, servers)


if __name__ == "__main__":
    unittest.main()
